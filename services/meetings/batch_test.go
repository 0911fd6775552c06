package meetings_test

import (
	"fmt"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestBatches: an organiser sets up an event with batch calls, each sent
// twice at once and then retried. Every item is done once: one participant
// per profile, one request per pair, every answer given once, and the
// schedule meets each pair once. A bad item fails alone.
func TestBatches(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	org := e.as(organizer)
	ev := e.openEvent(t, brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES))

	const n = 12
	reg := &meetingsv1.BatchRegisterParticipantsRequest{EventId: ev.GetId()}
	orgs := make([]string, n)
	for i := range n {
		orgs[i] = fmt.Sprintf("ORGBATCH%02d", i)
	}
	e.known(t, orgs...)
	for i := range n {
		reg.Items = append(reg.Items, &meetingsv1.RegisterParticipantRequest{
			Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: orgs[i]}},
		})
	}
	regs := twiceAtOnce(t, func() (*meetingsv1.BatchRegisterParticipantsResponse, error) {
		return org.BatchRegisterParticipants(c, reg)
	})
	ids := make([]string, n)
	for i, r := range regs[0].GetResults() {
		if r.GetError() != nil || r.GetParticipant().GetId() == "" || r.GetParticipant().GetId() != regs[1].GetResults()[i].GetParticipant().GetId() {
			t.Fatalf("registration %d: %v and %v", i, r, regs[1].GetResults()[i])
		}
		ids[i] = r.GetParticipant().GetId()
	}
	parts := must[*meetingsv1.ListParticipantsResponse](t)(org.ListParticipants(c, &meetingsv1.ListParticipantsRequest{EventId: ev.GetId(), PageSize: 100}))
	if len(parts.GetParticipants()) != n {
		t.Fatalf("%d participants for %d profiles", len(parts.GetParticipants()), n)
	}

	// Every pair (i, j) with i < j asks once; one item names nobody.
	rq := &meetingsv1.BatchRequestMeetingsRequest{EventId: ev.GetId(), ClientRequestId: "setup-1"}
	for i := range n {
		for j := i + 1; j < n; j++ {
			rq.Items = append(rq.Items, &meetingsv1.RequestMeetingRequest{FromParticipantId: ids[i], ToParticipantId: ids[j]})
		}
	}
	pairs := len(rq.Items)
	rq.Items = append(rq.Items, &meetingsv1.RequestMeetingRequest{FromParticipantId: ids[0], ToParticipantId: "01ZZZZZZZZZZZZZZZZZZZZZZZZ"})
	reqs := twiceAtOnce(t, func() (*meetingsv1.BatchRequestMeetingsResponse, error) { return org.BatchRequestMeetings(c, rq) })
	retry := must[*meetingsv1.BatchRequestMeetingsResponse](t)(org.BatchRequestMeetings(c, rq))
	for _, res := range append(reqs, retry) {
		bad := res.GetResults()[pairs].GetError()
		if bad.GetCode() != "INVALID_ARGUMENT" || len(bad.GetFieldViolations()) != 1 || bad.GetFieldViolations()[0].GetField() != "to_participant_id" {
			t.Fatalf("the bad item's error = %v", bad)
		}
		for i, r := range res.GetResults()[:pairs] {
			if r.GetError() != nil || r.GetMeetingRequest().GetId() != reqs[0].GetResults()[i].GetMeetingRequest().GetId() {
				t.Fatalf("request %d: %v, first answer %v", i, r, reqs[0].GetResults()[i])
			}
		}
	}
	list := must[*meetingsv1.ListMeetingRequestsResponse](t)(org.ListMeetingRequests(c, &meetingsv1.ListMeetingRequestsRequest{EventId: ev.GetId(), PageSize: 1000}))
	if len(list.GetMeetingRequests()) != pairs {
		t.Fatalf("%d requests stored for %d pairs", len(list.GetMeetingRequests()), pairs)
	}

	// Accept them all, every other one as mutual; twice at once, then again.
	ans := &meetingsv1.BatchRespondToMeetingRequestsRequest{}
	for i, r := range reqs[0].GetResults()[:pairs] {
		ans.Items = append(ans.Items, &meetingsv1.RespondToMeetingRequestRequest{
			RequestId: r.GetMeetingRequest().GetId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT, AcceptAsMutual: i%2 == 0,
		})
	}
	answers := twiceAtOnce(t, func() (*meetingsv1.BatchRespondToMeetingRequestsResponse, error) {
		return org.BatchRespondToMeetingRequests(c, ans)
	})
	answers = append(answers, must[*meetingsv1.BatchRespondToMeetingRequestsResponse](t)(org.BatchRespondToMeetingRequests(c, ans)))
	for _, res := range answers {
		for i, r := range res.GetResults() {
			mr := r.GetMeetingRequest()
			if r.GetError() != nil || mr.GetStatus() != meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED || mr.GetMutual() != (i%2 == 0) || mr.GetVersion() != 2 {
				t.Fatalf("answer %d: %v", i, r)
			}
		}
	}
	// A second answer of another kind is still refused, item by item.
	decline := &meetingsv1.BatchRespondToMeetingRequestsRequest{Items: []*meetingsv1.RespondToMeetingRequestRequest{{
		RequestId: ans.GetItems()[0].GetRequestId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_DECLINE,
	}}}
	if r := must[*meetingsv1.BatchRespondToMeetingRequestsResponse](t)(org.BatchRespondToMeetingRequests(c, decline)); r.GetResults()[0].GetError().GetCode() != "FAILED_PRECONDITION" {
		t.Fatalf("declining an accepted request: %v", r)
	}

	ev = e.setStatus(t, ev, meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING)
	sc := must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId(), Policy: meetingsv1.SchedulePolicy_SCHEDULE_POLICY_MOST_MEETINGS}))
	got := must[*meetingsv1.GetScheduleResponse](t)(org.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: ev.GetId(), ScheduleId: sc.GetSchedule().GetId(), PageSize: 1000}))
	checkSchedule(t, ev, got.GetMeetings(), nil)
	meetOnce(t, got.GetMeetings())
	// 12 people, 4 slots, 2 tables: 8 meetings at most, and the bound says so.
	if st := sc.GetSchedule().GetStats(); st.GetMeetingsPlaced() != 8 || st.GetRequestsConsidered() != int32(pairs) {
		t.Fatalf("schedule stats = %v", st)
	}

	_, err := org.BatchRequestMeetings(c, &meetingsv1.BatchRequestMeetingsRequest{EventId: ev.GetId()})
	wantCode(t, err, codes.InvalidArgument)
	big := &meetingsv1.BatchRespondToMeetingRequestsRequest{Items: make([]*meetingsv1.RespondToMeetingRequestRequest, 1001)}
	_, err = org.BatchRespondToMeetingRequests(c, big)
	wantCode(t, err, codes.InvalidArgument)
}

// meetOnce fails when a pair meets more than once.
func meetOnce(t *testing.T, ms []*meetingsv1.Meeting) {
	t.Helper()
	met := map[[2]string]bool{}
	for _, m := range ms {
		p := m.GetParticipantIds()
		k := [2]string{min(p[0], p[1]), max(p[0], p[1])}
		if met[k] {
			t.Fatalf("pair %v meets twice", k)
		}
		met[k] = true
	}
}

// twiceAtOnce makes the same call twice concurrently and returns both
// answers; both must succeed.
func twiceAtOnce[R any](t *testing.T, call func() (R, error)) []R {
	t.Helper()
	out := make([]R, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { out[i], errs[i] = call() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestRegistrationNeedsAKnownProfile: an organisation or person the
// profiles service never announced cannot register, alone or in a batch,
// and the refusal names the field; a known one in the same batch registers.
func TestRegistrationNeedsAKnownProfile(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	org := e.as(organizer)
	ev := e.openEvent(t, brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES))
	e.known(t, "ORGKNOWN")
	const unknown = "01ZZZZZZZZZZZZZZZZZZZZZZZZ"
	orgRef := func(id string) *profilesv1.ProfileRef {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
	}
	personRef := &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: unknown}}

	for _, tc := range []struct {
		ref   *profilesv1.ProfileRef
		field string
	}{{orgRef(unknown), "profile.organization_id"}, {personRef, "profile.person_id"}} {
		_, err := org.RegisterParticipant(c, &meetingsv1.RegisterParticipantRequest{EventId: ev.GetId(), Profile: tc.ref})
		wantCode(t, err, codes.NotFound)
		fields := fieldsOf(err)
		if len(fields) != 1 || fields[0] != tc.field {
			t.Errorf("registering unknown %v: field violations %v, want [%s]", tc.ref, fields, tc.field)
		}
	}

	res := must[*meetingsv1.BatchRegisterParticipantsResponse](t)(org.BatchRegisterParticipants(c, &meetingsv1.BatchRegisterParticipantsRequest{
		EventId: ev.GetId(), Items: []*meetingsv1.RegisterParticipantRequest{{Profile: orgRef(unknown)}, {Profile: orgRef("ORGKNOWN")}},
	})).GetResults()
	if bad := res[0].GetError(); bad.GetCode() != "NOT_FOUND" || len(bad.GetFieldViolations()) != 1 || bad.GetFieldViolations()[0].GetField() != "profile.organization_id" || res[0].GetParticipant() != nil {
		t.Errorf("the unknown organisation's result = %v", res[0])
	}
	if res[1].GetError() != nil || res[1].GetParticipant().GetId() == "" {
		t.Errorf("the known organisation's result = %v", res[1])
	}
	parts := must[*meetingsv1.ListParticipantsResponse](t)(org.ListParticipants(c, &meetingsv1.ListParticipantsRequest{EventId: ev.GetId()})).GetParticipants()
	if len(parts) != 1 || parts[0].GetProfile().GetOrganizationId() != "ORGKNOWN" {
		t.Errorf("participants = %v, want the known organisation alone", parts)
	}
}

// TestConcurrentOverlappingBatches: two different batches at once ask for
// the same pairs, one each way round, and two answer batches accept what
// came of them at once. However the requests interleave, the schedule
// meets every pair at most once and stays valid.
func TestConcurrentOverlappingBatches(t *testing.T) {
	t.Parallel()
	e := start(t)
	c := ctx(t)
	org := e.as(organizer)
	ev := e.openEvent(t, brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES))
	const n = 8
	ids := make([]string, n)
	for i := range n {
		ids[i] = e.register(t, ev.GetId(), fmt.Sprintf("ORGOVER%02d", i)).GetId()
	}
	forth := &meetingsv1.BatchRequestMeetingsRequest{EventId: ev.GetId(), ClientRequestId: "forth"}
	back := &meetingsv1.BatchRequestMeetingsRequest{EventId: ev.GetId(), ClientRequestId: "back"}
	for i := range n {
		for j := i + 1; j < n; j++ {
			forth.Items = append(forth.Items, &meetingsv1.RequestMeetingRequest{FromParticipantId: ids[i], ToParticipantId: ids[j]})
			back.Items = append([]*meetingsv1.RequestMeetingRequest{{FromParticipantId: ids[j], ToParticipantId: ids[i]}}, back.Items...)
		}
	}
	var wg sync.WaitGroup
	for _, b := range []*meetingsv1.BatchRequestMeetingsRequest{forth, back} {
		wg.Go(func() {
			// Items may fail (a pair just accepted by asking back); the call must not.
			if _, err := org.BatchRequestMeetings(c, b); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	list := must[*meetingsv1.ListMeetingRequestsResponse](t)(org.ListMeetingRequests(c, &meetingsv1.ListMeetingRequestsRequest{EventId: ev.GetId(), PageSize: 1000})).GetMeetingRequests()
	var accept []*meetingsv1.RespondToMeetingRequestRequest
	for _, r := range list {
		if r.GetStatus() == meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING {
			accept = append(accept, &meetingsv1.RespondToMeetingRequestRequest{RequestId: r.GetId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT})
		}
	}
	if len(accept) > 0 {
		half := len(accept) / 2
		for _, part := range [][]*meetingsv1.RespondToMeetingRequestRequest{accept[:half], accept[half:], accept} {
			wg.Go(func() {
				if len(part) == 0 {
					return
				}
				if _, err := org.BatchRespondToMeetingRequests(c, &meetingsv1.BatchRespondToMeetingRequestsRequest{Items: part}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	ev = e.setStatus(t, ev, meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING)
	sc := must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId(), Policy: meetingsv1.SchedulePolicy_SCHEDULE_POLICY_MOST_MEETINGS}))
	got := must[*meetingsv1.GetScheduleResponse](t)(org.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: ev.GetId(), ScheduleId: sc.GetSchedule().GetId(), PageSize: 1000}))
	checkSchedule(t, ev, got.GetMeetings(), nil)
	meetOnce(t, got.GetMeetings())
	// 8 people, 4 slots, 2 tables: 8 meetings fit, and there are 28 pairs to choose from.
	if len(got.GetMeetings()) != 8 {
		t.Fatalf("%d meetings placed, want 8", len(got.GetMeetings()))
	}
}
