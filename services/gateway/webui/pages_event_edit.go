package webui

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// editFields are the event settings the edit form changes; the others
// (status, organisers, clusters, registration times) keep their values.
var editFields = []string{"name", "description", "venue", "time_zone", "days", "meeting_duration", "break_duration", "tables", "default_max_meetings", "booking_mode", "capacity", "registration_closes_at", "registration_questions"}

type eventEditView struct {
	Event     *meetingsv1.Event
	Form      eventForm
	TimeZones []string
}

// addDay handles the form's "Add a day" button: one more row of day
// inputs, nothing saved. It reports whether the form asked for it.
func addDay(c *call, f *eventForm) bool {
	if c.r.PostForm.Get("add_day") == "" {
		return false
	}
	if len(f.Days) < maxEventDays {
		f.Days = append(f.Days, dayForm{})
	}
	return true
}

// editableEvent loads an event its organiser may edit: not closed.
func (u *UI) editableEvent(c *call) (*meetingsv1.Event, error) {
	ctx, cancel := c.ctx()
	defer cancel()
	ev, err := u.loadEvent(ctx, c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !c.organizes(ev) {
		return nil, status.Error(codes.PermissionDenied, "only the event's organisers edit it")
	}
	if ev.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_CLOSED {
		return nil, status.Error(codes.FailedPrecondition, "a closed event is not edited")
	}
	return ev, nil
}

func (u *UI) eventEditPage(c *call) error {
	ev, err := u.editableEvent(c)
	if err != nil {
		return err
	}
	return c.renderEventEdit(ev, eventFormOf(ev), nil)
}

func (c *call) renderEventEdit(ev *meetingsv1.Event, f eventForm, p *problem) error {
	v := c.newView("", eventEditView{Event: ev, Form: f, TimeZones: timeZones})
	v.Title, v.Problem = eventTitle(c.L, ev, "event.edit_title"), p
	code := http.StatusOK
	if p != nil {
		code = httpStatus(p.Code)
	}
	return c.write(code, "event_edit", v)
}

// eventEditSave changes an event. When the change would move or cancel
// confirmed meetings (a slot or table gone), the organiser is first shown
// which, and confirms; the meetings service then moves each to the
// nearest free place, or cancels it, and tells both participants.
func (u *UI) eventEditSave(c *call) error {
	ev, err := u.editableEvent(c)
	if err != nil {
		return err
	}
	f, next, errs := decodeEventForm(c.r.PostForm)
	if addDay(c, &f) {
		return c.renderEventEdit(ev, f, nil)
	}
	if p := errs.problem(c.L); p != nil {
		return c.renderEventEdit(ev, f, p)
	}
	// Tables keep their ids by position, so renaming one moves nothing.
	for i, t := range next.GetTables() {
		if i < len(ev.GetTables()) {
			t.Id = ev.GetTables()[i].GetId()
		}
	}
	next.Id = ev.GetId()
	req := &meetingsv1.UpdateEventRequest{
		Event: next, ExpectedVersion: ev.GetVersion(), UpdateMask: &fieldmaskpb.FieldMask{Paths: editFields},
		ConflictPolicy: meetingsv1.ConflictPolicy_CONFLICT_POLICY_MOVE_MEETINGS,
	}
	if v, err := strconv.ParseInt(c.r.PostForm.Get("version"), 10, 64); err == nil {
		req.ExpectedVersion = v
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if !c.confirmed() {
		req.ValidateOnly = true
		dry, err := u.opts.Meetings.UpdateEvent(ctx, req)
		if err != nil {
			return c.renderEventEdit(ev, f, problemFrom(c.L, err))
		}
		if n := len(dry.GetMovedMeetingIds()) + len(dry.GetCancelledMeetingIds()); n > 0 {
			items, err := u.affectedMeetings(c, ev, dry)
			if err != nil {
				return err
			}
			return c.askFirst(eventTitle(c.L, ev, "confirm.title"), "/events/"+ev.GetId()+"/edit", confirmView{
				Question: "confirm.edit_event", Consequence: "confirm.edit_event_then", Yes: "action.save_event",
				Detail: c.L.T("confirm.edit_event_counts", len(dry.GetMovedMeetingIds()), len(dry.GetCancelledMeetingIds())), Items: items,
			})
		}
		req.ValidateOnly = false
	}
	res, err := u.opts.Meetings.UpdateEvent(ctx, req)
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		return c.renderEventEdit(ev, f, problemFrom(c.L, err))
	}
	done := "event_saved"
	if len(res.GetMovedMeetingIds())+len(res.GetCancelledMeetingIds()) > 0 {
		done = "event_saved_moved"
	}
	return c.redirect("/events/"+ev.GetId(), done)
}

// affectedMeetings says, one line each, which meetings a change moves and
// which it cancels: when, where and who.
func (u *UI) affectedMeetings(c *call, ev *meetingsv1.Event, dry *meetingsv1.UpdateEventResponse) ([]string, error) {
	ctx, cancel := c.ctx()
	defer cancel()
	_, meetings, err := u.latestSchedule(ctx, ev.GetId())
	if err != nil {
		return nil, err
	}
	parts, err := u.allParticipants(ctx, ev.GetId())
	if err != nil {
		return nil, err
	}
	c.nameParticipants(parts)
	names := map[string]string{}
	for _, p := range parts {
		names[p.GetId()] = cmpOr(p.GetDisplayName(), c.L.T("event.unnamed"))
	}
	tables := map[string]string{}
	for _, t := range ev.GetTables() {
		tables[t.GetId()] = cmpOr(t.GetName(), t.GetId())
	}
	var items []string
	for _, m := range meetings {
		what := ""
		switch {
		case slices.Contains(dry.GetMovedMeetingIds(), m.GetId()):
			what = c.L.T("confirm.meeting_moves")
		case slices.Contains(dry.GetCancelledMeetingIds(), m.GetId()):
			what = c.L.T("confirm.meeting_cancelled")
		default:
			continue
		}
		who := ""
		for i, id := range m.GetParticipantIds() {
			if i > 0 {
				who += " – "
			}
			who += cmpOr(names[id], c.L.T("event.unnamed"))
		}
		items = append(items, fmt.Sprintf("%s, %s: %s — %s", c.L.When(m.GetStartTime(), ev.GetTimeZone()), tables[m.GetTableId()], who, what))
	}
	return items, nil
}
