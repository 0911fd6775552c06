package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// httpAPI is one signed-in user of the HTTP API.
type httpAPI struct {
	t     *testing.T
	base  string
	token string
	org   string // the principal's organisation
}

type obj = map[string]any

// call sends a JSON request and decodes the JSON answer; it returns the
// status code with the body.
func (a httpAPI) call(method, path string, body any) (int, obj) {
	a.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := obj{}
	if len(raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			a.t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, path, err, raw)
		}
	} else {
		out["raw"] = string(raw)
	}
	return res.StatusCode, out
}

// must is call that fails the test unless the answer has status want.
func (a httpAPI) must(want int, method, path string, body any) obj {
	a.t.Helper()
	code, out := a.call(method, path, body)
	if code != want {
		a.t.Fatalf("%s %s = %d, want %d: %v", method, path, code, want, out)
	}
	return out
}

// eventually retries fn until it reports done, for what travels by events.
func eventually(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func str(v any) string { s, _ := v.(string); return s }

func field(o obj, path ...string) any {
	var cur any = o
	for _, p := range path {
		m, ok := cur.(obj)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func login(t *testing.T, sys *system, user string) httpAPI {
	t.Helper()
	a := httpAPI{t: t, base: sys.gateway}
	out := a.must(http.StatusOK, http.MethodPost, "/v1/auth/login", obj{"username": user})
	a.token = str(out["token"])
	a.org = str(field(out, "principal", "organization"))
	if a.token == "" {
		t.Fatalf("login %s gave no token: %v", user, out)
	}
	return a
}

// suggestedOrgs asks for partners of seeker and returns the suggested
// organisation ids with each one's explanation texts.
func suggestedOrgs(a httpAPI, seeker, need string) (map[string][]string, int) {
	code, out := a.call(http.MethodPost, "/v1/matching/suggestions", obj{
		"seeker": obj{"organizationId": seeker}, "need": obj{"text": need}, "limit": 20})
	got := map[string][]string{}
	list, _ := out["suggestions"].([]any)
	for _, s := range list {
		so, _ := s.(obj)
		id := str(field(so, "candidate", "ref", "organizationId"))
		for _, e := range so["explanations"].([]any) {
			got[id] = append(got[id], str(e.(obj)["text"]))
		}
	}
	return got, code
}

// TestEndToEnd walks the product's journeys through the HTTP API of the
// system running as five separate processes against real NATS and Redis.
func TestEndToEnd(t *testing.T) {
	sys := startSystem(t)
	researcher := login(t, sys, "researcher")
	company := login(t, sys, "company")
	organizer := login(t, sys, "organizer")
	if researcher.org == "" || company.org == "" || researcher.org == company.org {
		t.Fatalf("demo users need organisations of their own: researcher %q, company %q", researcher.org, company.org)
	}

	// 1. The researcher publishes competencies and an offer. The
	// competencies service learns of the organisation from its event, so
	// the first publish may find it unknown (409) for a moment.
	holder := obj{"organizationId": researcher.org}
	for _, term := range []string{"EDAM:topic_3170", "MESH:D008103"} { // RNA-Seq; Liver Cirrhosis
		comp := obj{"competency": obj{"holder": holder, "termId": term, "level": "COMPETENCY_LEVEL_EXPERT",
			"evidence": []obj{{"kind": "EVIDENCE_KIND_PUBLICATION", "reference": "doi:10.1000/liver-rnaseq", "year": 2024}}}}
		eventually(t, "the competency to be accepted", func() bool {
			code, out := researcher.call(http.MethodPost, "/v1/competencies", comp)
			if code != http.StatusOK && code != http.StatusConflict {
				t.Fatalf("publish %s = %d: %v", term, code, out)
			}
			return code == http.StatusOK
		})
	}
	offer := researcher.must(http.StatusOK, http.MethodPost, "/v1/cooperation-profiles", obj{"cooperationProfile": obj{
		"holder": holder, "kind": "COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER", "title": "Transcriptomics of liver fibrosis",
		"summary": "RNA-seq of liver biopsies and fibrosis staging for diagnostic partners.", "termIds": []string{"EDAM:topic_3170"},
		"collaborationTypes": []string{"COLLABORATION_TYPE_CONTRACT_RESEARCH"}, "trl": 4,
		"status": "COOPERATION_PROFILE_STATUS_PUBLISHED"}})
	if str(field(offer, "cooperationProfile", "id")) == "" {
		t.Fatalf("offer not created: %v", offer)
	}

	// 2. The company asks for partners for a need and gets the
	// researcher's organisation, explained.
	var seen map[string][]string
	defer func() {
		if t.Failed() {
			t.Logf("researcher %s, company %s; last suggestions: %v", researcher.org, company.org, seen)
		}
	}()
	eventually(t, "the researcher's organisation in the company's suggestions", func() bool {
		got, code := suggestedOrgs(company, company.org, "RNA-seq of liver fibrosis biopsies")
		seen = got
		if code != http.StatusOK && code != http.StatusNotFound { // 404 until matching has the company
			t.Fatalf("suggestions = %d", code)
		}
		why := strings.Join(got[researcher.org], " | ")
		return strings.Contains(why, "RNA-Seq")
	})

	// 3. A brokerage event: create, open, register, request, accept,
	// schedule, publish; a participant downloads an iCalendar agenda.
	ev := organizer.must(http.StatusOK, http.MethodPost, "/v1/events", obj{"clientRequestId": "e2e-event", "event": obj{
		"name": "Smart Health Brokerage Day", "timeZone": "Europe/Rome", "meetingDuration": "1500s", "breakDuration": "300s",
		"days": []obj{{"date": obj{"year": 2027, "month": 3, "day": 10}, "sessions": []obj{{"name": "Morning",
			"startTime": obj{"hours": 9}, "endTime": obj{"hours": 11}}}}},
		"tables": []obj{{"id": "t1", "name": "Table 1"}, {"id": "t2", "name": "Table 2"}}}})
	eventID := str(field(ev, "event", "id"))
	setStatus := func(status string) {
		cur := organizer.must(http.StatusOK, http.MethodGet, "/v1/events/"+eventID, nil)
		organizer.must(http.StatusOK, http.MethodPatch, "/v1/events/"+eventID, obj{
			"event": obj{"status": status}, "expectedVersion": field(cur, "event", "version"), "updateMask": "status"})
	}
	setStatus("EVENT_STATUS_REGISTRATION_OPEN")
	// An organisation registers once the meetings service has it from the
	// profiles events: until then it is refused with 404.
	register := func(a httpAPI) string {
		var id string
		eventually(t, "the meetings service to know "+a.org, func() bool {
			code, out := a.call(http.MethodPost, "/v1/events/"+eventID+"/participants", obj{
				"profile": obj{"organizationId": a.org}, "clientRequestId": "e2e-" + a.org})
			if code != http.StatusOK && code != http.StatusNotFound {
				t.Fatalf("register %s = %d: %v", a.org, code, out)
			}
			id = str(field(out, "participant", "id"))
			return code == http.StatusOK
		})
		return id
	}
	companyP, researcherP := register(company), register(researcher)
	req := company.must(http.StatusOK, http.MethodPost, "/v1/events/"+eventID+"/meeting-requests", obj{
		"fromParticipantId": companyP, "toParticipantId": researcherP, "priority": "MEETING_PRIORITY_MUST",
		"message": "Your liver RNA-seq offer fits our test development.", "clientRequestId": "e2e-request"})
	reqID := str(field(req, "meetingRequest", "id"))
	researcher.must(http.StatusOK, http.MethodPost, "/v1/meeting-requests/"+reqID+":respond", obj{"action": "MEETING_REQUEST_ACTION_ACCEPT"})
	setStatus("EVENT_STATUS_SCHEDULING")
	sched := organizer.must(http.StatusOK, http.MethodPost, "/v1/events/"+eventID+"/schedules", obj{"mode": "SCHEDULE_MODE_FULL"})
	if placed := field(sched, "schedule", "stats", "meetingsPlaced"); placed != float64(1) {
		t.Fatalf("the schedule placed %v meetings, want 1: %v", placed, sched)
	}
	organizer.must(http.StatusOK, http.MethodPost, "/v1/events/"+eventID+"/schedules/"+str(field(sched, "schedule", "id"))+":publish", obj{})
	ics := company.must(http.StatusOK, http.MethodGet, "/v1/events/"+eventID+"/participants/"+companyP+"/agenda.ics", nil)
	cal, err := ical.NewDecoder(strings.NewReader(str(ics["raw"]))).Decode()
	if err != nil {
		t.Fatalf("the agenda is not iCalendar: %v\n%s", err, ics["raw"])
	}
	if events := cal.Events(); len(events) != 1 {
		t.Fatalf("the agenda holds %d meetings, want 1", len(events))
	}

	// 4. The company erases its profile: it disappears from suggestions
	// and from the event's participants.
	cur := company.must(http.StatusOK, http.MethodGet, "/v1/organizations/"+company.org, nil)
	company.must(http.StatusOK, http.MethodDelete, fmt.Sprintf("/v1/organizations/%s?expectedVersion=%v&reason=e2e", company.org, field(cur, "organization", "version")), nil)
	eventually(t, "the company to leave the researcher's suggestions", func() bool {
		got, code := suggestedOrgs(researcher, researcher.org, "liver diagnostics")
		if code != http.StatusOK {
			t.Fatalf("suggestions for the researcher = %d", code)
		}
		_, present := got[company.org]
		return !present
	})
	eventually(t, "the company to leave the event's participants", func() bool {
		out := organizer.must(http.StatusOK, http.MethodGet, "/v1/events/"+eventID+"/participants", nil)
		list, _ := out["participants"].([]any)
		ids := []string{}
		for _, p := range list {
			ids = append(ids, str(p.(obj)["id"]))
		}
		return !slices.Contains(ids, companyP) && slices.Contains(ids, researcherP)
	})
}
