package meetings_test

import (
	"bytes"
	"strings"
	"testing"

	goical "github.com/emersion/go-ical"
	"google.golang.org/grpc/codes"

	"github.com/tandem-cluster/tandem/pkg/auth"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// feedEvent is one VEVENT of a feed as a calendar client keeps it.
type feedEvent struct {
	seq       int
	status    string
	organizer string
	attendees []string
}

// readFeed fetches a calendar feed without a token, as a calendar app
// does, and parses it with a real iCalendar library.
func (e *env) readFeed(t *testing.T, token string) (map[string]feedEvent, string, error) {
	t.Helper()
	res, err := e.as(auth.Principal{}).GetCalendarFeed(ctx(t), &meetingsv1.GetCalendarFeedRequest{Token: token})
	if err != nil {
		return nil, "", err
	}
	content := res.GetCalendar().GetContent()
	cal, err := goical.NewDecoder(bytes.NewReader(content)).Decode()
	if err != nil {
		t.Fatalf("feed does not parse: %v\n%s", err, content)
	}
	out := map[string]feedEvent{}
	for _, ev := range cal.Events() {
		uid, _ := ev.Props.Text(goical.PropUID)
		seq, err := ev.Props.Get(goical.PropSequence).Int()
		if err != nil {
			t.Fatal(err)
		}
		fe := feedEvent{seq: seq}
		fe.status, _ = ev.Props.Text(goical.PropStatus)
		if o := ev.Props.Get(goical.PropOrganizer); o != nil {
			fe.organizer = o.Params.Get(goical.ParamCommonName)
		}
		for _, a := range ev.Props.Values(goical.PropAttendee) {
			fe.attendees = append(fe.attendees, a.Params.Get(goical.ParamCommonName))
		}
		out[uid] = fe
	}
	return out, strings.ReplaceAll(string(content), "\r\n ", ""), nil
}

// TestCalendarFeed: a participant's private feed serves its agenda to
// anyone holding the token, names the organiser and the two parties (not a
// hidden one), turns a cancellation into STATUS:CANCELLED at a higher
// SEQUENCE, and stops answering once rotated or revoked.
func TestCalendarFeed(t *testing.T) {
	t.Parallel()
	w := startWithProfiles(t)
	c := ctx(t)
	helix := w.organization(t, "Helix Biotech", profilesv1.Visibility_VISIBILITY_PUBLIC)
	quiet := w.organization(t, "Quiet Labs", profilesv1.Visibility_VISIBILITY_PUBLIC)
	secret := w.organization(t, "Secret Sequencing", profilesv1.Visibility_VISIBILITY_HIDDEN)
	ev := w.openEvent(t, brokerageDay(0))
	a, b, h := w.register(t, ev.GetId(), helix.GetId()), w.register(t, ev.GetId(), quiet.GetId()), w.register(t, ev.GetId(), secret.GetId())
	eventually(t, func() string {
		if got := names(t, w.as(admin), ev.GetId(), ""); got[helix.GetId()] != "Helix Biotech" || got[quiet.GetId()] != "Quiet Labs" || got[secret.GetId()] != "Secret Sequencing" {
			return "names not known yet: " + show(got)
		}
		return ""
	})
	org := w.as(organizer)
	withB := w.accepted(t, ev.GetId(), a, b, false)
	mb := must[*meetingsv1.BookMeetingResponse](t)(org.BookMeeting(c, &meetingsv1.BookMeetingRequest{
		EventId: ev.GetId(), ParticipantId: a.GetId(), RequestId: withB.GetId(), SlotId: "20250506T1000", TableId: "T2",
	})).GetMeeting()
	withH := w.accepted(t, ev.GetId(), a, h, false)
	mh := must[*meetingsv1.BookMeetingResponse](t)(org.BookMeeting(c, &meetingsv1.BookMeetingRequest{
		EventId: ev.GetId(), ParticipantId: a.GetId(), RequestId: withH.GetId(), SlotId: "20250506T0900", TableId: "T1",
	})).GetMeeting()

	// Only the participant sets its feed.
	for _, p := range []auth.Principal{organizer, member(quiet.GetId()), outsider} {
		_, err := w.as(p).SetCalendarFeed(c, &meetingsv1.SetCalendarFeedRequest{EventId: ev.GetId(), ParticipantId: a.GetId()})
		if code := codeOf(err); code != codes.PermissionDenied && code != codes.NotFound {
			t.Errorf("%s set A's feed: %v, want PermissionDenied", p.Subject, err)
		}
	}
	asA := w.as(member(helix.GetId()))
	set := must[*meetingsv1.SetCalendarFeedResponse](t)(asA.SetCalendarFeed(c, &meetingsv1.SetCalendarFeedRequest{EventId: ev.GetId(), ParticipantId: a.GetId()}))
	token := set.GetToken()
	if len(token) < 60 || set.GetFeed().GetCreatedAt() == nil || len(set.GetFeed().GetTokenSha256()) != 0 {
		t.Fatalf("SetCalendarFeed = %v", set)
	}

	feed, text, err := w.readFeed(t, token)
	if err != nil {
		t.Fatal(err)
	}
	if got := feed[mb.GetIcalUid()]; got.seq != int(mb.GetIcalSequence()) || got.status != "CONFIRMED" || got.organizer != ev.GetName() ||
		strings.Join(got.attendees, "|") != "Helix Biotech|Quiet Labs" {
		t.Errorf("meeting with B in the feed = %+v", got)
	}
	if got := feed[mh.GetIcalUid()]; got.status != "CONFIRMED" || strings.Join(got.attendees, "|") != "Helix Biotech" {
		t.Errorf("meeting with the hidden participant in the feed = %+v, want A alone as attendee", got)
	}
	if strings.Contains(text, "Secret") || strings.Contains(text, h.GetId()) {
		t.Errorf("the feed names the hidden participant:\n%s", text)
	}

	// Who may see A's registration learns nothing of the feed; A learns it exists.
	for _, p := range must[*meetingsv1.ListParticipantsResponse](t)(org.ListParticipants(c, &meetingsv1.ListParticipantsRequest{EventId: ev.GetId()})).GetParticipants() {
		if p.GetCalendarFeed() != nil {
			t.Errorf("the organiser sees the feed of %s: %v", p.GetId(), p.GetCalendarFeed())
		}
	}
	own := must[*meetingsv1.GetAgendaResponse](t)(asA.GetAgenda(c, &meetingsv1.GetAgendaRequest{EventId: ev.GetId(), ParticipantId: a.GetId()})).GetParticipant().GetCalendarFeed()
	if own.GetCreatedAt() == nil || len(own.GetTokenSha256()) != 0 {
		t.Errorf("A's own view of its feed = %v, want its creation time only", own)
	}

	// B cancels: the subscribed calendar replaces the entry by a cancelled one.
	must[*meetingsv1.RespondToMeetingRequestResponse](t)(w.as(member(quiet.GetId())).RespondToMeetingRequest(c, &meetingsv1.RespondToMeetingRequestRequest{
		RequestId: withB.GetId(), Action: meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_CANCEL,
	}))
	after, _, err := w.readFeed(t, token)
	if err != nil {
		t.Fatal(err)
	}
	if got, was := after[mb.GetIcalUid()], feed[mb.GetIcalUid()]; got.status != "CANCELLED" || got.seq <= was.seq {
		t.Errorf("after the cancellation the entry is %+v, was %+v: want CANCELLED at a higher SEQUENCE", got, was)
	}

	// A new token replaces the old one; a revoked feed is gone.
	again := must[*meetingsv1.SetCalendarFeedResponse](t)(asA.SetCalendarFeed(c, &meetingsv1.SetCalendarFeedRequest{EventId: ev.GetId(), ParticipantId: a.GetId()})).GetToken()
	if _, _, err := w.readFeed(t, token); codeOf(err) != codes.NotFound {
		t.Errorf("the replaced token answers %v, want NotFound", err)
	}
	if _, _, err := w.readFeed(t, again); err != nil {
		t.Errorf("the new token: %v", err)
	}
	forged := again[:len(again)-4] + "AAAA"
	for _, bad := range []string{"", "x", forged, a.GetId(), strings.Repeat("A", len(again))} {
		if _, _, err := w.readFeed(t, bad); codeOf(err) != codes.NotFound {
			t.Errorf("token %q answers %v, want NotFound", bad, err)
		}
	}
	must[*meetingsv1.SetCalendarFeedResponse](t)(asA.SetCalendarFeed(c, &meetingsv1.SetCalendarFeedRequest{EventId: ev.GetId(), ParticipantId: a.GetId(), Revoke: true}))
	if _, _, err := w.readFeed(t, again); codeOf(err) != codes.NotFound {
		t.Errorf("the revoked token answers %v, want NotFound", err)
	}
}
