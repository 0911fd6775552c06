package webui

import (
	"context"
	"net/http"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
)

// The organiser writes to the participants of an event: to all of them or
// to those ticked. Each participant gets the message in its thread with
// the organiser's organisation for this event, with the usual notification
// and e-mail, and can answer there.

type eventMessageView struct {
	Event     *meetingsv1.Event
	People    []*meetingsv1.Participant
	All       bool
	Chosen    []string
	Text      string
	RequestID string
}

// eventMessagePage shows the form; ?to=<participant id> ticks one.
func (u *UI) eventMessagePage(c *call) error {
	return u.withEventMessage(c, func(ctx context.Context, ev *meetingsv1.Event, parts []*meetingsv1.Participant) error {
		return u.eventMessageForm(c, ev, parts)
	})
}

// withEventMessage loads the event and its participants for its
// organiser, then runs page.
func (u *UI) withEventMessage(c *call, page func(context.Context, *meetingsv1.Event, []*meetingsv1.Participant) error) error {
	if u.opts.Messaging == nil {
		return u.messagingOff(c)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	ev, parts, err := u.organizedParticipants(ctx, c)
	if err != nil {
		return err
	}
	return page(ctx, ev, parts)
}

func (u *UI) eventMessageForm(c *call, ev *meetingsv1.Event, parts []*meetingsv1.Participant) error {
	v := eventMessageView{Event: ev, People: registeredOnly(parts), All: true, RequestID: requestID()}
	if to := c.r.URL.Query()["to"]; len(to) > 0 {
		v.All, v.Chosen = false, to
	}
	return c.renderEventMessage(v, nil)
}

func registeredOnly(parts []*meetingsv1.Participant) []*meetingsv1.Participant {
	return slices.DeleteFunc(slices.Clone(parts), func(p *meetingsv1.Participant) bool {
		return p.GetStatus() == meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN
	})
}

func (c *call) renderEventMessage(v eventMessageView, prob *problem) error {
	view := c.newView("", v)
	view.Title, view.Problem = eventTitle(c.L, v.Event, "event.message_title"), prob
	code := http.StatusOK
	if prob != nil {
		code = httpStatus(prob.Code)
	}
	return c.write(code, "event_message", view)
}

// eventMessageSend sends the message.
func (u *UI) eventMessageSend(c *call) error {
	return u.withEventMessage(c, func(ctx context.Context, ev *meetingsv1.Event, parts []*meetingsv1.Participant) error {
		return u.sendEventMessage(ctx, c, ev, parts)
	})
}

func (u *UI) sendEventMessage(ctx context.Context, c *call, ev *meetingsv1.Event, parts []*meetingsv1.Participant) error {
	f := c.r.PostForm
	v := eventMessageView{Event: ev, People: registeredOnly(parts), All: f.Get("to") != "chosen", Chosen: f["participant"],
		Text: f.Get("text"), RequestID: f.Get("request_id")}
	req := &messagingv1.MessageEventParticipantsRequest{EventId: ev.GetId(), Text: v.Text, ClientRequestId: v.RequestID}
	if !v.All {
		if len(v.Chosen) == 0 {
			return c.renderEventMessage(v, &problem{Message: c.L.T("error.invalid"), Code: codes.InvalidArgument,
				Fields:    map[string]string{"participant": c.L.T("event.message_choose")},
				FieldList: []fieldProblem{{Field: "participant", Label: c.L.T("field.recipients"), Description: c.L.T("event.message_choose")}}})
		}
		req.ParticipantIds = v.Chosen
	}
	res, err := u.opts.Messaging.MessageEventParticipants(ctx, req)
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		return c.renderEventMessage(v, problemFrom(c.L, err))
	}
	done := "event_message_sent"
	if len(res.GetConversations()) == 0 {
		done = "event_message_nobody"
	}
	return c.redirect("/events/"+ev.GetId()+"/participants", done)
}

// IsChosen reports whether a participant is ticked.
func (v eventMessageView) IsChosen(id string) bool { return slices.Contains(v.Chosen, id) }
