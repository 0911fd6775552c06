package meetings_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/oklog/ulid/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	"github.com/tandem-cluster/tandem/services/profiles"
)

// withProfiles is the meetings service and the real profiles service on
// one JetStream. The meetings service starts first, before the profiles
// stream exists, as it may in production.
type withProfiles struct {
	*env
	profiles profilesv1.ProfilesServiceClient // as an admin
	js       jetstream.JetStream
}

func startWithProfiles(t *testing.T) *withProfiles {
	t.Helper()
	e := start(t)
	pcfg := profiles.DefaultConfig()
	pcfg.Common = runtimetest.Common(t)
	pcfg.NATSURL = e.natsURL // runtimetest.Common starts a JetStream of its own: share the first
	conn := runtimetest.Start(t, profiles.Options(pcfg))
	tok, _, err := e.auth.Issue(admin)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := grpc.NewClient(conn.Target(), grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, js, err := natsx.Connect(c, e.natsURL, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	e.announce = false // the profiles service announces its organisations
	return &withProfiles{env: e, js: js, profiles: profilesv1.NewProfilesServiceClient(pc)}
}

// organization creates an organisation in the profiles service.
func (w *withProfiles) organization(t *testing.T, name string, vis profilesv1.Visibility, clusters ...string) *profilesv1.Organization {
	t.Helper()
	o := &profilesv1.Organization{
		Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, Name: name, CountryCode: "IT", City: "Trieste",
		Sectors: []profilesv1.Sector{profilesv1.Sector_SECTOR_BIOTECHNOLOGY}, Visibility: vis,
	}
	for _, c := range clusters {
		o.ClusterMemberships = append(o.ClusterMemberships, &profilesv1.ClusterMembership{ClusterId: c})
	}
	res, err := w.profiles.CreateOrganization(ctx(t), &profilesv1.CreateOrganizationRequest{Organization: o})
	if err != nil {
		t.Fatalf("create organization %s: %v", name, err)
	}
	return res.GetOrganization()
}

// cluster creates a cluster body and returns its id.
func (w *withProfiles) cluster(t *testing.T, name string) string {
	t.Helper()
	res, err := w.profiles.CreateOrganization(ctx(t), &profilesv1.CreateOrganizationRequest{Organization: &profilesv1.Organization{
		Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER, Name: name, CountryCode: "IT", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
	}})
	if err != nil {
		t.Fatalf("create cluster %s: %v", name, err)
	}
	return res.GetOrganization().GetId()
}

// eventually polls f until it returns "" or 20 s pass, then fails with
// f's last complaint.
func eventually(t *testing.T, f func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		msg := f()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func names(t *testing.T, c meetingsv1.MeetingsServiceClient, eventID, query string, statuses ...meetingsv1.ParticipantStatus) map[string]string {
	t.Helper()
	res, err := c.ListParticipants(ctx(t), &meetingsv1.ListParticipantsRequest{EventId: eventID, Query: query, Statuses: statuses})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range res.GetParticipants() {
		out[p.GetProfile().GetOrganizationId()] = p.GetDisplayName()
	}
	return out
}

// TestParticipantNames: names come from the profiles service and are
// redacted for each viewer as the profiles service would redact them.
func TestParticipantNames(t *testing.T) {
	t.Parallel()
	w := startWithProfiles(t)
	public := w.organization(t, "Helix Biotech", profilesv1.Visibility_VISIBILITY_PUBLIC)
	hidden := w.organization(t, "Stealth Pharma", profilesv1.Visibility_VISIBILITY_HIDDEN)
	anon := w.organization(t, "Quiet Labs", profilesv1.Visibility_VISIBILITY_ANONYMOUS)
	cluster := w.cluster(t, "Smart Health")
	members := w.organization(t, "Cluster Diagnostics", profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS, cluster)
	ev := w.openEvent(t, brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING))
	for _, o := range []*profilesv1.Organization{public, hidden, anon, members} {
		w.register(t, ev.GetId(), o.GetId())
	}
	full := map[string]string{public.GetId(): "Helix Biotech", hidden.GetId(): "Stealth Pharma", anon.GetId(): "Quiet Labs", members.GetId(): "Cluster Diagnostics"}
	eventually(t, func() string {
		if got := names(t, w.as(admin), ev.GetId(), ""); !equalMaps(got, full) {
			return "admin sees names " + show(got)
		}
		return ""
	})
	clusterMember := auth.Principal{Subject: "carla", Organization: "ORGCARLA", Clusters: []string{cluster}, Roles: []auth.Role{auth.RoleMember}}
	for _, tc := range []struct {
		name   string
		viewer auth.Principal
		want   map[string]string
	}{
		// Hidden, anonymous and other clusters' participants are not listed
		// to other participants at all: their entries carry profile ids.
		{"outsider", outsider, map[string]string{public.GetId(): "Helix Biotech"}},
		{"member of the same cluster", clusterMember, map[string]string{public.GetId(): "Helix Biotech", members.GetId(): "Cluster Diagnostics"}},
		// The organizers who broker meetings see every participant, with names redacted.
		{"organizer", organizer, map[string]string{public.GetId(): "Helix Biotech", hidden.GetId(): "", anon.GetId(): "Anonymous participant", members.GetId(): ""}},
		{"the hidden one itself", member(hidden.GetId()), map[string]string{public.GetId(): "Helix Biotech", hidden.GetId(): "Stealth Pharma"}},
		{"admin", admin, full},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(t, w.as(tc.viewer), ev.GetId(), ""); !equalMaps(got, tc.want) {
				t.Errorf("names = %s, want %s", show(got), show(tc.want))
			}
		})
	}
	// A hidden name cannot be found by searching for it either.
	if got := names(t, w.as(outsider), ev.GetId(), "stealth"); len(got) != 0 {
		t.Errorf("outsider's search for a hidden name found %s", show(got))
	}
	if got := names(t, w.as(outsider), ev.GetId(), "helix"); got[public.GetId()] != "Helix Biotech" || len(got) != 1 {
		t.Errorf("search for a public name found %s", show(got))
	}

	// A renamed profile shows its new name; a replayed older version changes nothing.
	upd, err := w.profiles.UpdateOrganization(ctx(t), &profilesv1.UpdateOrganizationRequest{
		Organization: &profilesv1.Organization{Id: public.GetId(), Name: "Helix Genomics"}, ExpectedVersion: public.GetVersion(), UpdateMask: mask("name"),
	})
	if err != nil {
		t.Fatal(err)
	}
	stale := &eventsv1.OrganizationUpserted{EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: public.GetId(), AggregateVersion: public.GetVersion(), Organization: public}
	w.publishProfiles(t, "tandem.profiles.v1.organization.upserted."+public.GetId(), stale)
	w.publishProfiles(t, "tandem.profiles.v1.organization.upserted."+public.GetId(), stale) // the same event twice
	sentinel := w.organization(t, "Sentinel Bio", profilesv1.Visibility_VISIBILITY_PUBLIC)
	w.register(t, ev.GetId(), sentinel.GetId())
	eventually(t, func() string {
		got := names(t, w.as(outsider), ev.GetId(), "")
		if got[sentinel.GetId()] != "Sentinel Bio" {
			return "the events after the replay were not applied: " + show(got)
		}
		if got[public.GetId()] != upd.GetOrganization().GetName() {
			return "after a replay of an older version the name is " + got[public.GetId()]
		}
		return ""
	})
}

func (w *withProfiles) publishProfiles(t *testing.T, subject string, ev proto.Message) {
	t.Helper()
	id := ulid.Make().String()
	if _, err := natsx.Publish(ctx(t), w.js, subject, id, ev); err != nil {
		t.Fatal(err)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func show(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return "{" + strings.Join(parts, ", ") + "}"
}

// TestProfileErasure: erasing an organisation in the profiles service
// withdraws its participant from the event, cancels its requests and
// meetings (calendars see them cancelled) and drops its provisional
// meetings; a replayed erase changes nothing more.
func TestProfileErasure(t *testing.T) {
	t.Parallel()
	w := startWithProfiles(t)
	c := ctx(t)
	gone := w.organization(t, "Helix Biotech", profilesv1.Visibility_VISIBILITY_PUBLIC)
	b := w.organization(t, "Quiet Labs", profilesv1.Visibility_VISIBILITY_PUBLIC)
	d := w.organization(t, "Cluster Diagnostics", profilesv1.Visibility_VISIBILITY_PUBLIC)
	x := w.organization(t, "Bystander Bio", profilesv1.Visibility_VISIBILITY_PUBLIC)
	ev := w.openEvent(t, brokerageDay(meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES))
	pa, pb, pd, px := w.register(t, ev.GetId(), gone.GetId()), w.register(t, ev.GetId(), b.GetId()), w.register(t, ev.GetId(), d.GetId()), w.register(t, ev.GetId(), x.GetId())
	eventually(t, func() string {
		if got := names(t, w.as(admin), ev.GetId(), ""); got[gone.GetId()] != "Helix Biotech" || got[x.GetId()] != "Bystander Bio" {
			return "names not known yet: " + show(got)
		}
		return ""
	})

	// A meets B in the published schedule; A asks X (pending); then D and A
	// agree late and land in a provisional fill-in schedule.
	w.accepted(t, ev.GetId(), pa, pb, true)
	must[*meetingsv1.RequestMeetingResponse](t)(w.as(member(gone.GetId())).RequestMeeting(c, &meetingsv1.RequestMeetingRequest{
		EventId: ev.GetId(), FromParticipantId: pa.GetId(), ToParticipantId: px.GetId(), Message: "Coffee?",
	}))
	org := w.as(organizer)
	ev = w.setStatus(t, ev, meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING)
	sc := must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()})).GetSchedule()
	must[*meetingsv1.PublishScheduleResponse](t)(org.PublishSchedule(c, &meetingsv1.PublishScheduleRequest{EventId: ev.GetId(), ScheduleId: sc.GetId()}))
	w.accepted(t, ev.GetId(), pd, pa, false)
	fill := must[*meetingsv1.GenerateScheduleResponse](t)(org.GenerateSchedule(c, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId()})).GetSchedule()
	meetsA := func() bool {
		res := must[*meetingsv1.GetScheduleResponse](t)(org.GetSchedule(c, &meetingsv1.GetScheduleRequest{EventId: ev.GetId(), ScheduleId: fill.GetId()}))
		return slices.ContainsFunc(res.GetMeetings(), func(m *meetingsv1.Meeting) bool {
			return m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL && slices.Contains(m.GetParticipantIds(), pa.GetId())
		})
	}
	if !meetsA() {
		t.Fatal("the fill-in schedule has no provisional meeting of D and A")
	}
	agenda := must[*meetingsv1.GetAgendaResponse](t)(w.as(member(b.GetId())).GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: pb.GetId()}))
	if len(agenda.GetItems()) != 1 || agenda.GetItems()[0].GetPartnerDisplayName() != "Helix Biotech" {
		t.Fatalf("B's agenda before the erase = %v", agenda.GetItems())
	}
	meeting := agenda.GetItems()[0].GetMeeting()
	goneFeed := must[*meetingsv1.SetCalendarFeedResponse](t)(w.as(member(gone.GetId())).SetCalendarFeed(c, &meetingsv1.SetCalendarFeedRequest{EventId: ev.GetId(), ParticipantId: pa.GetId()})).GetToken()
	bFeed := must[*meetingsv1.SetCalendarFeedResponse](t)(w.as(member(b.GetId())).SetCalendarFeed(c, &meetingsv1.SetCalendarFeedRequest{EventId: ev.GetId(), ParticipantId: pb.GetId()})).GetToken()
	if _, text, err := w.readFeed(t, bFeed); err != nil || !strings.Contains(text, `ATTENDEE;CN="Helix Biotech"`) {
		t.Fatalf("B's feed before the erase (%v):\n%s", err, text)
	}

	if _, err := w.profiles.EraseOrganization(c, &profilesv1.EraseOrganizationRequest{Id: gone.GetId(), Reason: "asked to be forgotten"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() string {
		// The participant goes first, its requests and meetings right after.
		if got := names(t, org, ev.GetId(), ""); len(got) != 3 {
			return "participants after the erase: " + show(got)
		}
		open := must[*meetingsv1.ListMeetingRequestsResponse](t)(org.ListMeetingRequests(c, &meetingsv1.ListMeetingRequestsRequest{
			EventId: ev.GetId(), Statuses: []meetingsv1.MeetingRequestStatus{meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING, meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED},
		})).GetMeetingRequests()
		if len(open) > 0 {
			return fmt.Sprintf("requests still open after the erase: %v", open)
		}
		agenda := must[*meetingsv1.GetAgendaResponse](t)(w.as(member(b.GetId())).GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: pb.GetId()}))
		if len(agenda.GetItems()) != 0 {
			return fmt.Sprintf("B's agenda after the erase: %v", agenda.GetItems())
		}
		return ""
	})
	// It is withdrawn, with nothing but ids left.
	wd := must[*meetingsv1.ListParticipantsResponse](t)(org.ListParticipants(c, &meetingsv1.ListParticipantsRequest{
		EventId: ev.GetId(), Statuses: []meetingsv1.ParticipantStatus{meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN},
	})).GetParticipants()
	if len(wd) != 1 || wd[0].GetId() != pa.GetId() || wd[0].GetDisplayName() != "" || len(wd[0].GetAvailableSlotIds()) != 0 {
		t.Fatalf("withdrawn participants = %v", wd)
	}
	// Its requests are cancelled, their messages dropped.
	reqs := must[*meetingsv1.ListMeetingRequestsResponse](t)(org.ListMeetingRequests(c, &meetingsv1.ListMeetingRequestsRequest{EventId: ev.GetId()})).GetMeetingRequests()
	if len(reqs) != 3 {
		t.Fatalf("requests = %v", reqs)
	}
	for _, r := range reqs {
		if r.GetStatus() != meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED || r.GetMessage() != "" {
			t.Errorf("request %s (%s -> %s) is %s with message %q, want cancelled without message", r.GetId(), r.GetFromParticipantId(), r.GetToParticipantId(), r.GetStatus(), r.GetMessage())
		}
	}
	// B's calendar shows the meeting cancelled, replacing the entry.
	cal := must[*meetingsv1.ExportCalendarResponse](t)(w.as(member(b.GetId())).ExportCalendar(c, &meetingsv1.ExportCalendarRequest{EventId: ev.GetId(), ParticipantId: pb.GetId()})).GetContent()
	text := strings.ReplaceAll(string(cal), "\r\n ", "")
	for _, want := range []string{"UID:" + meeting.GetIcalUid(), "STATUS:CANCELLED", "SEQUENCE:" + itoa(meeting.GetIcalSequence()+1)} {
		if !strings.Contains(text, want) {
			t.Errorf("B's calendar lacks %q:\n%s", want, text)
		}
	}
	// The erased participant's feed is gone; B's keeps the cancelled meeting without its name.
	if _, _, err := w.readFeed(t, goneFeed); codeOf(err) != codes.NotFound {
		t.Errorf("the erased participant's feed answers %v, want NotFound", err)
	}
	if feed, text, err := w.readFeed(t, bFeed); err != nil || feed[meeting.GetIcalUid()].status != "CANCELLED" || strings.Contains(text, "Helix") || strings.Contains(text, pa.GetId()) {
		t.Errorf("B's feed after the erase (%v):\n%s", err, text)
	}
	// The provisional meeting of D and A is gone from the schedule under review.
	if meetsA() {
		t.Error("the provisional schedule still holds the erased participant's meeting")
	}
	// The event listing for the erased profile is empty, and it cannot register again.
	if evs := must[*meetingsv1.ListEventsResponse](t)(org.ListEvents(c, &meetingsv1.ListEventsRequest{
		ParticipantProfile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: gone.GetId()}},
	})).GetEvents(); len(evs) != 0 {
		t.Errorf("events listed for the erased profile: %v", evs)
	}
	_, err := org.RegisterParticipant(c, &meetingsv1.RegisterParticipantRequest{
		EventId: ev.GetId(), Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: gone.GetId()}},
	})
	wantCode(t, err, codes.NotFound)

	// The withdrawal went out, marked as caused by the erase, with the cancellation.
	w.subjects(t, "tandem.meetings.v1.participant.withdrawn", "tandem.meetings.v1.meeting.cancelled", "tandem.meetings.v1.meeting_request.cancelled")
	withdrawal := w.lastWithdrawal(t, pa.GetId())
	if !withdrawal.GetProfileErased() || withdrawal.GetParticipant().GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN {
		t.Errorf("withdrawal event = %v", withdrawal)
	}

	// A replayed erase changes nothing: same versions, same sequence.
	w.publishProfiles(t, "tandem.profiles.v1.organization.erased."+gone.GetId(), &eventsv1.OrganizationErased{
		EventId: ulid.Make().String(), OccurredAt: timestamppb.Now(), AggregateId: gone.GetId(), AggregateVersion: gone.GetVersion() + 1,
	})
	sentinel := w.organization(t, "Sentinel Bio", profilesv1.Visibility_VISIBILITY_PUBLIC)
	eventually(t, func() string { // the organiser registers it once it has reached the meetings service
		_, err := org.RegisterParticipant(c, &meetingsv1.RegisterParticipantRequest{
			EventId: ev.GetId(), Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: sentinel.GetId()}},
		})
		if codeOf(err) == codes.NotFound {
			return err.Error()
		}
		if err != nil {
			t.Fatal(err)
		}
		return ""
	})
	eventually(t, func() string {
		if got := names(t, org, ev.GetId(), "sentinel"); got[sentinel.GetId()] != "Sentinel Bio" {
			return "the events after the replayed erase were not applied: " + show(got)
		}
		return ""
	})
	again := must[*meetingsv1.ListParticipantsResponse](t)(org.ListParticipants(c, &meetingsv1.ListParticipantsRequest{
		EventId: ev.GetId(), Statuses: []meetingsv1.ParticipantStatus{meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN},
	})).GetParticipants()
	if len(again) != 1 || again[0].GetVersion() != wd[0].GetVersion() {
		t.Errorf("after a replayed erase the withdrawn participants are %v, were %v", again, wd)
	}
	cal2 := must[*meetingsv1.ExportCalendarResponse](t)(w.as(member(b.GetId())).ExportCalendar(c, &meetingsv1.ExportCalendarRequest{EventId: ev.GetId(), ParticipantId: pb.GetId()})).GetContent()
	if !strings.Contains(strings.ReplaceAll(string(cal2), "\r\n ", ""), "SEQUENCE:"+itoa(meeting.GetIcalSequence()+1)) {
		t.Errorf("after a replayed erase the calendar is\n%s", cal2)
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// lastWithdrawal reads the participant's last published event.
func (w *withProfiles) lastWithdrawal(t *testing.T, participantID string) *eventsv1.ParticipantWithdrawn {
	t.Helper()
	st, err := w.js.Stream(ctx(t), "TANDEM_MEETINGS")
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(ctx(t), "tandem.meetings.v1.participant.withdrawn."+participantID)
	if err != nil {
		t.Fatal(err)
	}
	var ev eventsv1.ParticipantWithdrawn
	if err := proto.Unmarshal(m.Data, &ev); err != nil {
		t.Fatal(err)
	}
	return &ev
}
