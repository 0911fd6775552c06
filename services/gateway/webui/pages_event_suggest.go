package webui

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// eventSuggestLimit keeps the in-event list short: it is a starting point
// for meeting requests, not a directory of the event.
const eventSuggestLimit = 5

// eventSuggestions is the "who should I meet here?" section of the event
// page. Either Items (possibly empty) or a Message key explains the state.
type eventSuggestions struct {
	Shown   bool
	Items   []eventSuggestion
	Message string
	Problem *problem
}

// eventSuggestion is a suggestion together with the participant a meeting
// request goes to.
type eventSuggestion struct {
	*matchingv1.Suggestion
	ParticipantID string
}

// suggestState reads the matching service's answer for the event page.
// NotFound means matching has not seen the event yet; FailedPrecondition
// that it has not seen the seeker's registration, which for a registered
// participant is the same short wait.
func suggestState(registered bool, err error) (message string, isProblem bool) {
	switch status.Code(err) {
	case codes.OK:
		return "", false
	case codes.NotFound:
		return "event.suggest_wait", false
	case codes.FailedPrecondition:
		if registered {
			return "event.suggest_wait", false
		}
		return "event.suggest_register", false
	}
	return "", true
}

// participantFor finds the participant a suggested candidate is registered
// as; the matching service also suggests an organisation when only one of
// its people is registered, and such a candidate has no participant of its
// own to send a request to.
func participantFor(ref *profilesv1.ProfileRef, ps []*meetingsv1.Participant) string {
	for _, p := range ps {
		if sameProfile(p.GetProfile(), ref) {
			return p.GetId()
		}
	}
	return ""
}

// matchSuggestions keeps the suggestions a request can go to, best first,
// and never the participant themself.
func matchSuggestions(me *meetingsv1.Participant, ps []*meetingsv1.Participant, sgs []*matchingv1.Suggestion) []eventSuggestion {
	out := []eventSuggestion{}
	for _, s := range sgs {
		id := participantFor(s.GetCandidate().GetRef(), ps)
		if id == "" || id == me.GetId() {
			continue
		}
		out = append(out, eventSuggestion{Suggestion: s, ParticipantID: id})
	}
	return out
}

// seekerOf is the participant's profile as the matching service's seeker.
func seekerOf(ref *profilesv1.ProfileRef) *matchingv1.Seeker {
	if id := ref.GetOrganizationId(); id != "" {
		return &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: id}}
	}
	if id := ref.GetPersonId(); id != "" {
		return &matchingv1.Seeker{Seeker: &matchingv1.Seeker_PersonId{PersonId: id}}
	}
	return nil
}

// eventSuggest fills the section while requests can be made. It asks the
// matching service once, and only for a registered participant: for anyone
// else the answer is known to be FailedPrecondition.
func (u *UI) eventSuggest(c *call, v *eventView) error {
	if v.Event.GetStatus() != meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN {
		return nil
	}
	if v.Me == nil {
		if v.CanRegister {
			msg, _ := suggestState(false, status.Error(codes.FailedPrecondition, "not registered"))
			v.Suggest = eventSuggestions{Shown: true, Message: msg}
		}
		return nil
	}
	seeker := seekerOf(v.Me.GetProfile())
	if seeker == nil {
		return nil
	}
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := u.opts.Matching.SuggestPartners(ctx, &matchingv1.SuggestPartnersRequest{
		Seeker: seeker, Filter: &matchingv1.SuggestionFilter{EventId: v.Event.GetId()},
		Limit: eventSuggestLimit, LanguageCode: c.L.Code,
	})
	v.Suggest.Shown = true
	if status.Code(err) == codes.Unauthenticated {
		return err
	}
	if msg, bad := suggestState(true, err); bad {
		v.Suggest.Problem = problemFrom(c.L, err)
		return nil
	} else if msg != "" {
		v.Suggest.Message = msg
		return nil
	}
	v.Suggest.Items = matchSuggestions(v.Me, v.Participants, res.GetSuggestions())
	return nil
}
