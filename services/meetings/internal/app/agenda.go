package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/ical"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// agendaOwner returns the participant whose agenda the caller reads: their
// own, or any for organizers.
func (s *Service) agendaOwner(ctx context.Context, eventID, participantID string) (domain.Principal, *meetingsv1.Event, *meetingsv1.Participant, error) {
	p, err := caller(ctx)
	if err != nil {
		return p, nil, nil, err
	}
	ev, err := s.visibleEvent(ctx, p, eventID)
	if err != nil {
		return p, nil, nil, err
	}
	pa, err := s.readParticipant(ctx, participantID)
	if err != nil || pa.GetEventId() != ev.GetId() {
		return p, nil, nil, fmt.Errorf("participant %s of event %s: %w", participantID, ev.GetId(), grpcerr.ErrNotFound)
	}
	if !domain.IsOrganizer(p, ev) && !domain.ActsFor(p, pa) {
		return p, nil, nil, fmt.Errorf("%s may not read participant %s's agenda: %w", p.Subject, pa.GetId(), grpcerr.ErrPermission)
	}
	return p, ev, pa, nil
}

func (s *Service) participantMeetings(eventID, participantID string, keep func(*meetingsv1.Meeting) bool) []*meetingsv1.Meeting {
	var out []*meetingsv1.Meeting
	for _, m := range s.index.Meetings(eventID) {
		if slices.Contains(m.GetParticipantIds(), participantID) && keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// GetAgenda returns a participant's meetings in time order.
func (s *Service) GetAgenda(ctx context.Context, req *meetingsv1.GetAgendaRequest) (*meetingsv1.GetAgendaResponse, error) {
	p, ev, pa, err := s.agendaOwner(ctx, req.GetEventId(), req.GetParticipantId())
	if err != nil {
		return nil, err
	}
	ms := s.participantMeetings(ev.GetId(), pa.GetId(), active)
	if req.GetIncludeProvisional() {
		if !domain.IsOrganizer(p, ev) {
			return nil, fmt.Errorf("only organizers see provisional meetings: %w", grpcerr.ErrPermission)
		}
		if sc := s.latestSchedule(ev.GetId()); sc != nil && sc.GetStatus() == provisionalSchedule {
			prov, err := s.provisional(ctx, sc)
			if err != nil {
				return nil, err
			}
			for _, m := range s.withoutWithdrawn(prov) {
				if m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_PROVISIONAL && slices.Contains(m.GetParticipantIds(), pa.GetId()) {
					ms = append(ms, m)
				}
			}
		}
	}
	sortMeetings(ev, ms)
	tables := map[string]*meetingsv1.Table{}
	for _, t := range ev.GetTables() {
		tables[t.GetId()] = t
	}
	resp := &meetingsv1.GetAgendaResponse{Participant: s.view(p, pa), TimeZone: ev.GetTimeZone()}
	for _, m := range ms {
		item := &meetingsv1.AgendaItem{Meeting: m, TableName: tableName(tables[m.GetTableId()], m.GetTableId()), TableLocation: tables[m.GetTableId()].GetLocation()}
		for _, id := range m.GetParticipantIds() {
			if id == pa.GetId() {
				continue
			}
			item.PartnerParticipantId = id
			if partner, err := s.readParticipant(ctx, id); err == nil {
				// An anonymous or hidden partner's profile id would lead to more of it.
				var identified bool
				item.PartnerDisplayName, identified = domain.Disclose(p, partner.GetProfile(), s.lookup)
				if identified || domain.IsOrganizer(p, ev) {
					item.PartnerProfile = partner.GetProfile()
				}
			}
		}
		resp.Items = append(resp.Items, item)
	}
	return resp, nil
}

func tableName(t *meetingsv1.Table, id string) string {
	if t.GetName() != "" {
		return t.GetName()
	}
	return id
}

// ExportCalendar renders a participant's confirmed and cancelled meetings
// as iCalendar; cancelled ones carry STATUS:CANCELLED so calendars drop them.
func (s *Service) ExportCalendar(ctx context.Context, req *meetingsv1.ExportCalendarRequest) (*meetingsv1.ExportCalendarResponse, error) {
	p, ev, pa, err := s.agendaOwner(ctx, req.GetEventId(), req.GetParticipantId())
	if err != nil {
		return nil, err
	}
	return s.calendar(ctx, p, ev, pa), nil
}

// calendar renders pa's agenda with the names p may see: a partner p may
// not identify (hidden, anonymous, erased) has neither name nor ATTENDEE.
func (s *Service) calendar(ctx context.Context, p domain.Principal, ev *meetingsv1.Event, pa *meetingsv1.Participant) *meetingsv1.ExportCalendarResponse {
	ms := s.participantMeetings(ev.GetId(), pa.GetId(), func(m *meetingsv1.Meeting) bool {
		return m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED || m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED
	})
	sortMeetings(ev, ms)
	tables := map[string]*meetingsv1.Table{}
	for _, t := range ev.GetTables() {
		tables[t.GetId()] = t
	}
	now := s.now()
	cal := ical.Calendar{Name: ev.GetName(), TimeZone: ev.GetTimeZone()}
	organizer := ical.Party{Name: s.organizerName(p, ev), URI: "urn:tandem:event:" + ev.GetId()}
	var self []ical.Party
	if name, ok := domain.Disclose(p, pa.GetProfile(), s.lookup); ok && name != "" {
		self = []ical.Party{{Name: name, URI: "urn:tandem:participant:" + pa.GetId()}}
	}
	for _, m := range ms {
		partner := ""
		attendees := self
		for _, id := range m.GetParticipantIds() {
			if id != pa.GetId() {
				if other, err := s.readParticipant(ctx, id); err == nil {
					partner = s.nameFor(p, other)
					if name, ok := domain.Disclose(p, other.GetProfile(), s.lookup); ok && name != "" {
						attendees = append(slices.Clip(attendees), ical.Party{Name: name, URI: "urn:tandem:participant:" + id})
					}
				}
			}
		}
		summary := "One-to-one meeting" // the partner's name is hidden from this participant
		if partner != "" {
			summary = "Meeting with " + partner
		}
		t := tables[m.GetTableId()]
		where := []string{tableName(t, m.GetTableId())}
		if t.GetLocation() != "" {
			where = append(where, t.GetLocation())
		}
		if ev.GetVenue() != "" {
			where = append(where, ev.GetVenue())
		}
		desc := "One-to-one meeting at " + ev.GetName() + "."
		if m.GetCancelReason() != "" {
			desc += "\nCancelled: " + m.GetCancelReason()
		}
		cal.Events = append(cal.Events, ical.Event{
			UID: m.GetIcalUid(), Sequence: int(m.GetIcalSequence()),
			Start: m.GetStartTime().AsTime(), End: m.GetEndTime().AsTime(), Stamp: now, LastModified: m.GetUpdatedAt().AsTime(),
			Summary: summary, Location: strings.Join(where, ", "), Description: desc,
			Cancelled: m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED,
			Organizer: organizer, Attendees: attendees,
		})
	}
	return &meetingsv1.ExportCalendarResponse{
		Content: ical.Render(cal), ContentType: ical.ContentType,
		Filename: slug(ev.GetName()) + "-agenda.ics", GeneratedAt: s.ts(),
	}
}

// slug makes a file name part from an event name.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimSuffix(b.String(), "-")
	if out == "" {
		return "event"
	}
	return out
}
