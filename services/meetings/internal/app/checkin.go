package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"slices"
	"time"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

const registered = meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED

// newCheckInCode is the code printed on a participant's agenda: 128
// random bits, so holding the agenda (or being an organizer) is the only
// way to check a participant in.
func newCheckInCode() string { return rand.Text() }

// CheckInParticipant records a participant's arrival. Organizers check
// anyone in; a participant checks itself in with the code of its agenda.
func (s *Service) CheckInParticipant(ctx context.Context, req *meetingsv1.CheckInParticipantRequest) (*meetingsv1.CheckInParticipantResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ev, pa, err := s.eventParticipant(ctx, p, req.GetEventId(), req.GetParticipantId())
	if err != nil {
		return nil, err
	}
	if !domain.IsOrganizer(p, ev) {
		if !domain.ActsFor(p, pa) {
			return nil, fmt.Errorf("%s may only check itself in at event %s: %w", p.Subject, ev.GetId(), grpcerr.ErrPermission)
		}
		code := pa.GetCheckInCode()
		if code == "" || subtle.ConstantTimeCompare([]byte(code), []byte(req.GetCheckInCode())) != 1 {
			return nil, grpcerr.Refused(grpcerr.ErrPermission, fmt.Sprintf("participant %s gave a wrong check-in code", pa.GetId()),
				grpcerr.Violation{Field: "check_in_code", Description: "is not the code printed on your agenda"})
		}
	}
	if pa.GetStatus() != registered {
		return nil, grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("participant %s withdrew from event %s", pa.GetId(), ev.GetId()),
			grpcerr.Violation{Field: "participant_id", Description: "withdrew from the event, so cannot check in"})
	}
	if first, ok := firstDayStart(ev); !ok || s.now().Before(first) {
		desc := "the event has no days yet"
		if ok {
			desc = "check-in opens on the event's first day, " + first.Format("2 January 2006")
		}
		return nil, grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("event %s has not begun", ev.GetId()),
			grpcerr.Violation{Field: "event_id", Description: desc})
	}
	now := false
	err = retryConflict(func() error {
		cur, rev, err := s.loadParticipant(ctx, pa.GetId())
		if err != nil {
			return err
		}
		if cur.GetCheckedInAt() != nil {
			return nil
		}
		if cur.GetStatus() != registered {
			return grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("participant %s withdrew from event %s", pa.GetId(), ev.GetId()),
				grpcerr.Violation{Field: "participant_id", Description: "withdrew from the event, so cannot check in"})
		}
		next := domain.Clone(cur)
		next.CheckedInAt = s.ts()
		next.Version++
		next.UpdatedAt = next.CheckedInAt
		h := s.header(p)
		_, err = s.write(ctx, cur.GetId(), &eventsv1.ParticipantCheckedIn{
			EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: cur.GetId(), AggregateVersion: next.Version, ActorSubject: h.Actor,
			BrokerageEventId: ev.GetId(), Participant: next,
		}, rev)
		now = err == nil
		return err
	})
	if err != nil {
		return nil, err
	}
	out, err := s.readParticipant(ctx, pa.GetId())
	if err != nil {
		return nil, err
	}
	return &meetingsv1.CheckInParticipantResponse{Participant: s.view(p, out), CheckedInNow: now}, nil
}

// IssueCheckInCode gives a participant registered before agendas carried
// a check-in code its code. Only the participant and the event's
// organizers ask; one that has a code keeps it, so asking again (or two
// replicas asking at once) issues one code only.
func (s *Service) IssueCheckInCode(ctx context.Context, req *meetingsv1.IssueCheckInCodeRequest) (*meetingsv1.IssueCheckInCodeResponse, error) {
	p, ev, pa, err := s.selfOrOrganizer(ctx, req.GetEventId(), req.GetParticipantId(), "ask a check-in code for")
	if err != nil {
		return nil, err
	}
	var out *meetingsv1.Participant
	now := false
	err = retryConflict(func() error {
		cur, rev, err := s.loadParticipant(ctx, pa.GetId())
		if err != nil {
			return err
		}
		now, out = false, cur
		if cur.GetCheckInCode() != "" {
			return nil
		}
		next := domain.Clone(cur)
		next.CheckInCode = newCheckInCode()
		next.Version++
		next.UpdatedAt = s.ts()
		h := s.header(p)
		if _, err := s.write(ctx, cur.GetId(), &eventsv1.ParticipantUpdated{
			EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: cur.GetId(), AggregateVersion: next.Version, ActorSubject: h.Actor,
			BrokerageEventId: ev.GetId(), Participant: next,
		}, rev); err != nil {
			return err
		}
		now, out = true, next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &meetingsv1.IssueCheckInCodeResponse{Participant: s.view(p, out), IssuedNow: now}, nil
}

// eventParticipant reads an event the caller may see and one of its
// participants, naming the missing fields and a participant of another
// event as not found.
func (s *Service) eventParticipant(ctx context.Context, p domain.Principal, eventID, participantID string) (*meetingsv1.Event, *meetingsv1.Participant, error) {
	var vs []grpcerr.Violation
	if eventID == "" {
		vs = append(vs, grpcerr.Violation{Field: "event_id", Description: "required"})
	}
	if participantID == "" {
		vs = append(vs, grpcerr.Violation{Field: "participant_id", Description: "required"})
	}
	if len(vs) > 0 {
		return nil, nil, grpcerr.Invalid(vs...)
	}
	ev, err := s.visibleEvent(ctx, p, eventID)
	if err != nil {
		return nil, nil, err
	}
	pa, err := s.readParticipant(ctx, participantID)
	if isNotFound(err) || (err == nil && pa.GetEventId() != ev.GetId()) {
		return nil, nil, grpcerr.Refused(grpcerr.ErrNotFound, fmt.Sprintf("event %s has no participant %s", ev.GetId(), participantID),
			grpcerr.Violation{Field: "participant_id", Description: "not a participant of this event"})
	}
	if err != nil {
		return nil, nil, err
	}
	return ev, pa, nil
}

// selfOrOrganizer reads the caller, an event it may see and one of its
// participants, refusing anyone but the participant (or its organization)
// and the event's organizers: what names the act, e.g. "withdraw".
func (s *Service) selfOrOrganizer(ctx context.Context, eventID, participantID, what string) (domain.Principal, *meetingsv1.Event, *meetingsv1.Participant, error) {
	p, err := caller(ctx)
	if err != nil {
		return p, nil, nil, err
	}
	ev, pa, err := s.eventParticipant(ctx, p, eventID, participantID)
	if err != nil {
		return p, nil, nil, err
	}
	if !domain.IsOrganizer(p, ev) && !domain.ActsFor(p, pa) {
		return p, nil, nil, fmt.Errorf("%s may only %s itself or its own organization at event %s: %w", p.Subject, what, ev.GetId(), grpcerr.ErrPermission)
	}
	return p, ev, pa, nil
}

// firstDayStart is midnight of the event's earliest day in its time zone.
func firstDayStart(ev *meetingsv1.Event) (time.Time, bool) {
	loc, err := time.LoadLocation(ev.GetTimeZone())
	if err != nil || len(ev.GetDays()) == 0 {
		return time.Time{}, false
	}
	var first time.Time
	for i, d := range ev.GetDays() {
		t := time.Date(int(d.GetDate().GetYear()), time.Month(d.GetDate().GetMonth()), int(d.GetDate().GetDay()), 0, 0, 0, 0, loc)
		if i == 0 || t.Before(first) {
			first = t
		}
	}
	return first, true
}

// MarkNoShow records that a party of a confirmed meeting did not come, or
// takes that back.
func (s *Service) MarkNoShow(ctx context.Context, req *meetingsv1.MarkNoShowRequest) (*meetingsv1.MarkNoShowResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	var vs []grpcerr.Violation
	for _, f := range []struct{ name, v string }{{"event_id", req.GetEventId()}, {"meeting_id", req.GetMeetingId()}, {"participant_id", req.GetParticipantId()}} {
		if f.v == "" {
			vs = append(vs, grpcerr.Violation{Field: f.name, Description: "required"})
		}
	}
	if len(vs) > 0 {
		return nil, grpcerr.Invalid(vs...)
	}
	ev, err := s.visibleEvent(ctx, p, req.GetEventId())
	if err != nil {
		return nil, err
	}
	if err := requireOrganizer(p, ev); err != nil {
		return nil, err
	}
	var out *meetingsv1.Meeting
	err = retryConflict(func() error {
		m, rev, err := s.loadMeeting(ctx, req.GetMeetingId())
		if isNotFound(err) || (err == nil && m.GetEventId() != ev.GetId()) {
			return grpcerr.Refused(grpcerr.ErrNotFound, fmt.Sprintf("event %s has no meeting %s", ev.GetId(), req.GetMeetingId()),
				grpcerr.Violation{Field: "meeting_id", Description: "not a meeting of this event"})
		}
		if err != nil {
			return err
		}
		parties := m.GetParticipantIds()
		if !slices.Contains(parties, req.GetParticipantId()) {
			return grpcerr.Invalid(grpcerr.Violation{Field: "participant_id", Description: "is not a party of this meeting"})
		}
		if !active(m) {
			return grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("meeting %s is %s", m.GetId(), m.GetStatus()),
				grpcerr.Violation{Field: "meeting_id", Description: "only a confirmed meeting can be missed"})
		}
		if s.now().Before(m.GetStartTime().AsTime()) {
			return grpcerr.Refused(grpcerr.ErrPrecondition, fmt.Sprintf("meeting %s has not started", m.GetId()),
				grpcerr.Violation{Field: "meeting_id", Description: "has not started yet, so nobody has missed it"})
		}
		if slices.Contains(m.GetNoShowParticipantIds(), req.GetParticipantId()) == req.GetNoShow() {
			out = m
			return nil
		}
		next := domain.Clone(m)
		next.NoShowParticipantIds = slices.DeleteFunc(next.NoShowParticipantIds, func(id string) bool { return id == req.GetParticipantId() })
		if req.GetNoShow() {
			next.NoShowParticipantIds = append(next.NoShowParticipantIds, req.GetParticipantId())
			slices.Sort(next.NoShowParticipantIds)
		}
		next.Version++
		next.UpdatedAt = s.ts()
		other := parties[0]
		if other == req.GetParticipantId() && len(parties) > 1 {
			other = parties[1]
		}
		h := s.header(p)
		if _, err := s.write(ctx, m.GetId(), &eventsv1.MeetingNoShowMarked{
			EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: m.GetId(), AggregateVersion: next.Version, ActorSubject: h.Actor,
			BrokerageEventId: ev.GetId(), Meeting: next, ParticipantId: req.GetParticipantId(), NoShow: req.GetNoShow(),
			AbsentProfile: s.profileOf(ctx, req.GetParticipantId()), PresentProfile: s.profileOf(ctx, other),
		}, rev); err != nil {
			return err
		}
		out = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &meetingsv1.MarkNoShowResponse{Meeting: out}, nil
}

// profileOf is the profile a participant registered, nil if unknown.
func (s *Service) profileOf(ctx context.Context, participantID string) *profilesv1.ProfileRef {
	pa, err := s.readParticipant(ctx, participantID)
	if err != nil {
		return nil
	}
	return pa.GetProfile()
}
