package app

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// system is the actor of changes the service makes on its own, such as
// propagating an erase.
var system = domain.Principal{Subject: "system"}

const withdrawn = meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN

// ProfileChanged records a profile's new name and visibility.
func (s *Service) ProfileChanged(ctx context.Context, p domain.Profile) error {
	_, err := s.profiles.Put(ctx, p)
	return err
}

// ProfileErased forgets an erased profile and withdraws its participants
// from every event. The withdrawal runs on every delivery, also when the
// projection already knew of the erase: each step skips what is done, so a
// redelivery finishes what an interrupted run began and otherwise changes
// nothing. The projection is marked first, so registrations of the profile
// are refused from then on.
func (s *Service) ProfileErased(ctx context.Context, p domain.Profile) error {
	if _, err := s.profiles.Put(ctx, p); err != nil {
		return err
	}
	var errs []error
	for _, ev := range s.index.Events() {
		for _, pa := range s.index.Participants(ev.GetId()) {
			if domain.ProfileKey(pa.GetProfile()) != p.Key {
				continue
			}
			if err := s.withdrawErased(ctx, pa.GetId()); err != nil {
				errs = append(errs, fmt.Errorf("withdraw participant %s of event %s: %w", pa.GetId(), ev.GetId(), err))
			}
		}
	}
	return errors.Join(errs...)
}

// withdrawErased withdraws one participant whose profile was erased, then
// cancels its open requests and its confirmed meetings. The participant
// goes first so that no new request or booking can reach it meanwhile.
func (s *Service) withdrawErased(ctx context.Context, id string) error {
	if err := retryConflict(func() error { return s.withdrawParticipant(ctx, id) }); err != nil {
		return err
	}
	pa, ok := s.index.Participant(id)
	if !ok {
		return nil
	}
	_, _, err := s.cancelActivity(ctx, system, pa.Value.GetEventId(), id, func(rid string) error { return s.cancelRequest(ctx, system, rid, true) })
	return err
}

// cancelActivity cancels the open requests of a withdrawn participant with
// cancelRequest, then its confirmed meetings (the other parties are told
// by the events), and counts what it cancelled. Each step skips what is
// done, so running it again finishes an interrupted run.
func (s *Service) cancelActivity(ctx context.Context, actor domain.Principal, eventID, id string, cancelRequest func(id string) error) (requests, meetings int32, err error) {
	for _, r := range s.index.Requests(eventID) {
		if !open(r) || (r.GetFromParticipantId() != id && r.GetToParticipantId() != id) {
			continue
		}
		if err := retryConflict(func() error { return cancelRequest(r.GetId()) }); err != nil {
			return requests, meetings, err
		}
		requests++
	}
	for _, m := range s.participantMeetings(eventID, id, active) {
		if err := retryConflict(func() error {
			return s.cancelMeeting(ctx, actor, m.GetId(), "a participant withdrew from the event")
		}); err != nil {
			return requests, meetings, err
		}
		meetings++
	}
	return requests, meetings, nil
}

// withdrawParticipant replaces the participant's history by its withdrawal,
// which keeps only ids: the profile is gone, so is what it told the event.
func (s *Service) withdrawParticipant(ctx context.Context, id string) error {
	cur, rev, err := s.loadParticipant(ctx, id)
	if err != nil {
		return err
	}
	if cur.GetStatus() == withdrawn {
		return nil
	}
	next := &meetingsv1.Participant{
		Id: cur.GetId(), EventId: cur.GetEventId(), Profile: cur.GetProfile(), DisplayName: domain.Placeholder(cur.GetProfile()),
		Status: withdrawn, Version: cur.GetVersion() + 1, RegisteredAt: cur.GetRegisteredAt(), UpdatedAt: s.ts(),
	}
	h := s.header(system)
	return s.erase(ctx, id, &eventsv1.ParticipantWithdrawn{
		EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: id, AggregateVersion: next.Version, ActorSubject: h.Actor,
		BrokerageEventId: cur.GetEventId(), Participant: next, ProfileErased: true,
	}, rev)
}

// erase replaces key's history by ev and applies it to the index.
func (s *Service) erase(ctx context.Context, key string, ev proto.Message, rev uint64) error {
	nrev, err := s.events.Erase(ctx, key, ev, rev)
	if err != nil {
		return err
	}
	_ = s.index.Apply(key, ev, nrev)
	return nil
}

// retryConflict runs f again when a concurrent change beat it: f reloads
// and decides again each time.
func retryConflict(f func() error) error {
	var err error
	for range 5 {
		if err = f(); !errors.Is(err, grpcerr.ErrConflict) {
			return err
		}
	}
	return err
}

// lookup finds a profile in the projection's memory copy.
func (s *Service) lookup(key string) (domain.Profile, bool) {
	if s.profiles == nil {
		return domain.Profile{}, false
	}
	return s.profiles.Cached(key)
}

// nameFor is the name p may see for a participant.
func (s *Service) nameFor(p domain.Principal, pa *meetingsv1.Participant) string {
	return domain.NameFor(p, pa.GetProfile(), s.lookup)
}

// view returns a participant as p may see it: its name redacted for p,
// its check-in code only for itself and the event's organizers.
func (s *Service) view(p domain.Principal, pa *meetingsv1.Participant) *meetingsv1.Participant {
	out := domain.Clone(pa)
	out.DisplayName = s.nameFor(p, pa)
	if !domain.ActsFor(p, pa) {
		if ev, ok := s.index.Event(pa.GetEventId()); !ok || !domain.IsOrganizer(p, ev.Value) {
			out.CheckInCode = ""
		}
	}
	hideFeed(p, out)
	return out
}

// hideFeed keeps a participant's calendar feed from everyone but the
// participant, who learns only that it has one: nobody sees its digest.
func hideFeed(p domain.Principal, out *meetingsv1.Participant) {
	if f := out.GetCalendarFeed(); f != nil {
		out.CalendarFeed = nil
		if domain.ActsFor(p, out) {
			out.CalendarFeed = &meetingsv1.CalendarFeed{CreatedAt: f.GetCreatedAt()}
		}
	}
}

// knownProfile refuses registrations of a profile the profiles service
// does not have: one it never announced, or one it erased (whose
// participants stay withdrawn). The projection follows the profiles
// events, so a profile created a moment ago may not be known yet: the
// message says so, and a retry succeeds once it has arrived.
func (s *Service) knownProfile(ctx context.Context, ref *profilesv1.ProfileRef) error {
	if s.profiles == nil {
		return nil
	}
	key := domain.ProfileKey(ref)
	prof, ok, err := s.profiles.Get(ctx, key)
	if err != nil {
		return err
	}
	if ok && !prof.Erased {
		return nil
	}
	kind, field, id := "organization", "profile.organization_id", ref.GetOrganizationId()
	if ref.GetPersonId() != "" {
		kind, field, id = "person", "profile.person_id", ref.GetPersonId()
	}
	if ok {
		return grpcerr.Refused(grpcerr.ErrNotFound, fmt.Sprintf("%s %s was erased", kind, id),
			grpcerr.Violation{Field: field, Description: "erased from Tandem's profiles"})
	}
	return grpcerr.Refused(grpcerr.ErrNotFound, fmt.Sprintf("%s %s is not known to Tandem's profiles (one created just now may take a moment to arrive; retry then)", kind, id),
		grpcerr.Violation{Field: field, Description: "no such " + kind + " in Tandem's profiles"})
}
