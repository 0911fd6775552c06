package meetings_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// BenchmarkBulkSetup is an organiser's set-up of a whole event through the
// batch calls: register the participants, send the requests, accept them.
// Three sizes show how the time grows; the per-item figure should stay flat.
//
//	go test -run '^$' -bench BulkSetup -benchtime 1x ./services/meetings
func BenchmarkBulkSetup(b *testing.B) {
	for _, size := range []struct{ participants, requests int }{{600, 3000}, {2000, 10000}, {6000, 30000}} {
		b.Run(fmt.Sprintf("%dp_%dr", size.participants, size.requests), func(b *testing.B) {
			e := start(b)
			org := e.as(organizer)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
			defer cancel()
			var items int
			var took time.Duration
			for b.Loop() {
				ev := e.openEvent(b, brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES))
				orgs := make([]string, size.participants)
				for i := range orgs {
					orgs[i] = fmt.Sprintf("BULK%s%06d", ev.GetId()[20:], i)
				}
				e.known(b, orgs...) // the profiles service's part, not timed
				t0 := time.Now()
				n, err := bulkSetup(ctx, org, ev.GetId(), orgs, size.requests, 42)
				if err != nil {
					b.Fatal(err)
				}
				items += n
				took += time.Since(t0)
			}
			b.ReportMetric(took.Seconds()/float64(b.N), "s/setup")
			b.ReportMetric(float64(items)/took.Seconds(), "items/s")
			b.ReportMetric(float64(took.Microseconds())/float64(items), "µs/item")
		})
	}
}

// bulkSetup registers, requests and accepts through org; it returns the
// items sent.
func bulkSetup(ctx context.Context, org meetingsv1.MeetingsServiceClient, eventID string, orgs []string, requests int, seed uint64) (int, error) {
	const batch = 1000
	participants := len(orgs)
	ids := make([]string, 0, participants)
	for start := 0; start < participants; start += batch {
		req := &meetingsv1.BatchRegisterParticipantsRequest{EventId: eventID}
		for i := start; i < min(participants, start+batch); i++ {
			req.Items = append(req.Items, &meetingsv1.RegisterParticipantRequest{
				Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: orgs[i]}},
			})
		}
		res, err := org.BatchRegisterParticipants(ctx, req)
		if err != nil {
			return 0, err
		}
		for _, r := range res.GetResults() {
			if r.GetError() != nil {
				return 0, fmt.Errorf("register: %v", r.GetError())
			}
			ids = append(ids, r.GetParticipant().GetId())
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	seen := map[[2]int]bool{}
	var pairs [][2]int
	for len(pairs) < requests {
		a, c := rng.IntN(participants), rng.IntN(participants)
		if a == c || seen[[2]int{min(a, c), max(a, c)}] {
			continue
		}
		seen[[2]int{min(a, c), max(a, c)}] = true
		pairs = append(pairs, [2]int{a, c})
	}
	var reqIDs []string
	for start := 0; start < len(pairs); start += batch {
		req := &meetingsv1.BatchRequestMeetingsRequest{EventId: eventID, ClientRequestId: fmt.Sprintf("bulk-%d", start)}
		for _, p := range pairs[start:min(len(pairs), start+batch)] {
			req.Items = append(req.Items, &meetingsv1.RequestMeetingRequest{FromParticipantId: ids[p[0]], ToParticipantId: ids[p[1]]})
		}
		res, err := org.BatchRequestMeetings(ctx, req)
		if err != nil {
			return 0, err
		}
		for _, r := range res.GetResults() {
			if r.GetError() != nil {
				return 0, fmt.Errorf("request: %v", r.GetError())
			}
			reqIDs = append(reqIDs, r.GetMeetingRequest().GetId())
		}
	}
	for start := 0; start < len(reqIDs); start += batch {
		req := &meetingsv1.BatchRespondToMeetingRequestsRequest{}
		for _, id := range reqIDs[start:min(len(reqIDs), start+batch)] {
			req.Items = append(req.Items, &meetingsv1.RespondToMeetingRequestRequest{RequestId: id, Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT})
		}
		res, err := org.BatchRespondToMeetingRequests(ctx, req)
		if err != nil {
			return 0, err
		}
		for _, r := range res.GetResults() {
			if r.GetError() != nil {
				return 0, fmt.Errorf("respond: %v", r.GetError())
			}
		}
	}
	return participants + 2*requests, nil
}
