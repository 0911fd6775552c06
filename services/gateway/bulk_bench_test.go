package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/auth/authtest"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/services/meetings"
	"github.com/tandem-cluster/tandem/services/meetings/meetingstest"
)

// BenchmarkBulkSetupHTTP is an organiser's set-up of a whole event through
// the gateway's HTTP API, as a script would do it: register the
// participants, send the requests and accept them all, 1,000 items a batch
// call, with the gateway's default rate limits. Three sizes show how the
// time grows; the time per item should stay flat.
//
//	go test -run '^$' -bench BulkSetupHTTP -benchtime 1x ./services/gateway
func BenchmarkBulkSetupHTTP(b *testing.B) {
	for _, size := range []struct{ participants, requests int }{{600, 3000}, {2000, 10000}, {6000, 30000}} {
		b.Run(fmt.Sprintf("%dp_%dr", size.participants, size.requests), func(b *testing.B) {
			mc := meetings.DefaultConfig()
			mc.Common = runtimetest.Common(b)
			addr := runtimetest.Start(b, meetings.Options(mc)).Target()
			base := gatewayWith(b, addr, nil)
			tok, _, err := authtest.Default().Signer.Issue(auth.Principal{Subject: "bench-organizer", Roles: []auth.Role{auth.RoleOrganizer}})
			if err != nil {
				b.Fatal(err)
			}
			api := bulkAPI{b: b, base: base, token: tok}
			var items int
			var took time.Duration
			for b.Loop() {
				eventID := api.openEvent()
				orgs := make([]string, size.participants)
				for i := range orgs {
					orgs[i] = fmt.Sprintf("BULK%s%06d", eventID[20:], i)
				}
				// The profiles service's part, not timed.
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				if err := meetingstest.KnownOrganizations(ctx, mc.NATSURL, orgs...); err != nil {
					b.Fatal(err)
				}
				cancel()
				t0 := time.Now()
				items += api.setup(eventID, orgs, size.requests)
				took += time.Since(t0)
			}
			b.ReportMetric(took.Seconds()/float64(b.N), "s/setup")
			b.ReportMetric(float64(items)/took.Seconds(), "items/s")
			b.ReportMetric(float64(took.Microseconds())/float64(items), "µs/item")
		})
	}
}

// bulkAPI calls the gateway's HTTP API as one organiser.
type bulkAPI struct {
	b     *testing.B
	base  string
	token string
}

// call sends body as JSON and decodes a 200 answer into out.
func (a bulkAPI) call(method, path string, body, out any) {
	a.b.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		a.b.Fatal(err)
	}
	req, err := http.NewRequest(method, a.base+path, bytes.NewReader(data))
	if err != nil {
		a.b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := bulkClient.Do(req)
	if err != nil {
		a.b.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		a.b.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		a.b.Fatalf("%s %s = %d: %.300s", method, path, res.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			a.b.Fatal(err)
		}
	}
}

// bulkClient allows for a batch of 1,000 items on a loaded machine.
var bulkClient = &http.Client{Timeout: 2 * time.Minute}

type jsonObj = map[string]any

// openEvent creates an event and opens its registration.
func (a bulkAPI) openEvent() string {
	var ev struct {
		Event struct {
			ID      string `json:"id"`
			Version string `json:"version"`
		} `json:"event"`
	}
	a.call(http.MethodPost, "/v1/events", jsonObj{"event": jsonObj{
		"name": "Partnering Fair", "timeZone": "Europe/Rome", "meetingDuration": "1500s", "breakDuration": "300s",
		"days": []jsonObj{{"date": jsonObj{"year": 2027, "month": 3, "day": 10}, "sessions": []jsonObj{{"name": "Morning",
			"startTime": jsonObj{"hours": 9}, "endTime": jsonObj{"hours": 17}}}}},
		"tables": []jsonObj{{"id": "t1", "name": "Table 1"}},
	}}, &ev)
	a.call(http.MethodPatch, "/v1/events/"+ev.Event.ID, jsonObj{
		"event": jsonObj{"status": "EVENT_STATUS_REGISTRATION_OPEN"}, "expectedVersion": ev.Event.Version, "updateMask": "status"}, nil)
	return ev.Event.ID
}

type itemResults struct {
	Results []struct {
		Participant    struct{ ID string } `json:"participant"`
		MeetingRequest struct{ ID string } `json:"meetingRequest"`
		Error          any                 `json:"error"`
	} `json:"results"`
}

// setup registers orgs, sends requests between random pairs of them and
// accepts every request; it returns the items sent.
func (a bulkAPI) setup(eventID string, orgs []string, requests int) int {
	const batch = 1000
	var ids []string
	for start := 0; start < len(orgs); start += batch {
		var items []jsonObj
		for _, o := range orgs[start:min(len(orgs), start+batch)] {
			items = append(items, jsonObj{"profile": jsonObj{"organizationId": o}})
		}
		var res itemResults
		a.call(http.MethodPost, "/v1/events/"+eventID+"/participants:batchRegister", jsonObj{"items": items}, &res)
		for _, r := range res.Results {
			if r.Error != nil || r.Participant.ID == "" {
				a.b.Fatalf("register: %v", r.Error)
			}
			ids = append(ids, r.Participant.ID)
		}
	}
	rng := rand.New(rand.NewPCG(42, 42))
	seen := map[[2]int]bool{}
	var pairs [][2]int
	for len(pairs) < requests {
		x, y := rng.IntN(len(ids)), rng.IntN(len(ids))
		if k := [2]int{min(x, y), max(x, y)}; x != y && !seen[k] {
			seen[k] = true
			pairs = append(pairs, [2]int{x, y})
		}
	}
	var reqIDs []string
	for start := 0; start < len(pairs); start += batch {
		var items []jsonObj
		for _, p := range pairs[start:min(len(pairs), start+batch)] {
			items = append(items, jsonObj{"fromParticipantId": ids[p[0]], "toParticipantId": ids[p[1]]})
		}
		var res itemResults
		a.call(http.MethodPost, "/v1/events/"+eventID+"/meeting-requests:batchCreate",
			jsonObj{"items": items, "clientRequestId": fmt.Sprintf("bench-%d", start)}, &res)
		for _, r := range res.Results {
			if r.Error != nil || r.MeetingRequest.ID == "" {
				a.b.Fatalf("request: %v", r.Error)
			}
			reqIDs = append(reqIDs, r.MeetingRequest.ID)
		}
	}
	for start := 0; start < len(reqIDs); start += batch {
		var items []jsonObj
		for _, id := range reqIDs[start:min(len(reqIDs), start+batch)] {
			items = append(items, jsonObj{"requestId": id, "action": "MEETING_REQUEST_ACTION_ACCEPT"})
		}
		var res itemResults
		a.call(http.MethodPost, "/v1/meeting-requests:batchRespond", jsonObj{"items": items}, &res)
		for _, r := range res.Results {
			if r.Error != nil {
				a.b.Fatalf("accept: %v", r.Error)
			}
		}
	}
	return len(orgs) + 2*len(pairs)
}
