package domain_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

func registered(id, event string, who domain.Ref, version int64) domain.Change {
	return domain.Change{Key: domain.ParticipantKey(id), Version: version, Participant: &domain.Participant{ID: id, EventID: event, Profile: who, Version: version}}
}

func withdrawn(id string, version int64) domain.Change {
	return domain.Change{Key: domain.ParticipantKey(id), Version: version, Removed: true}
}

func brokerage(id string, organizers ...string) domain.Change {
	return domain.Change{Key: domain.EventKey(id), Version: 1, Event: &domain.BrokerageEvent{ID: id, Organizers: organizers, Version: 1}}
}

func person(id, orgID string) domain.Change {
	return domain.Change{Key: domain.PersonKey(id), Version: 1, Person: &domain.Person{ID: id, OrgID: orgID, Name: id, Version: 1}}
}

// inEvent is the world with a brokerage event attended by ACME, ICGEB and
// BIOCO (which sends a person); UNITS stays away.
func inEvent(t *testing.T) *domain.Index {
	t.Helper()
	x := world(t)
	x.Apply(
		brokerage("EV1", "anna"),
		person("BOB", "BIOCO"),
		registered("P1", "EV1", domain.OrgRef("ACME"), 1),
		registered("P2", "EV1", domain.OrgRef("ICGEB"), 1),
		registered("P3", "EV1", domain.PersonRef("BOB"), 1),
		registered("P9", "EV2", domain.OrgRef("UNITS"), 1),
	)
	return x
}

func TestEventFilterKeepsParticipantsOnly(t *testing.T) {
	x := inEvent(t)
	all := ids(suggest(t, x, seek("ACME")))
	if !slices.Contains(all, "UNITS") || !slices.Contains(all, "ICGEB") {
		t.Fatalf("without the event filter, suggestions %v lack UNITS or ICGEB", all)
	}
	q := seek("ACME")
	q.Filter.EventID = "EV1"
	got := ids(suggest(t, x, q))
	if !slices.Contains(got, "ICGEB") || !slices.Contains(got, "BIOCO") {
		t.Errorf("in-event suggestions %v lack ICGEB or BIOCO (present through its person)", got)
	}
	for _, id := range got {
		if id != "ICGEB" && id != "BIOCO" && id != "BOB" {
			t.Errorf("in-event suggestions %v include %s, who is not at the event", got, id)
		}
	}
	// The same pair scores the same with and without the filter.
	if a, b := find(suggest(t, x, seek("ACME")), "ICGEB"), find(suggest(t, x, q), "ICGEB"); a.GetScore() != b.GetScore() {
		t.Errorf("ICGEB scores %.4f in the event and %.4f outside", b.GetScore(), a.GetScore())
	}

	// Withdrawing, and a late replay of the registration, leave ICGEB out.
	x.Apply(withdrawn("P2", 2), registered("P2", "EV1", domain.OrgRef("ICGEB"), 1))
	if got := ids(suggest(t, x, q)); slices.Contains(got, "ICGEB") {
		t.Errorf("withdrawn ICGEB still suggested: %v", got)
	}
	x.Apply(registered("P2", "EV1", domain.OrgRef("ICGEB"), 3))
	if got := ids(suggest(t, x, q)); !slices.Contains(got, "ICGEB") {
		t.Errorf("re-registered ICGEB not suggested: %v", got)
	}
}

func TestEventAccess(t *testing.T) {
	x := inEvent(t)
	x.Apply(person("EVA", "UNITS"), coop("REQB", domain.PersonRef("BOB"), techRequest, "RNA-Seq help", rnaSeq))
	org := func(id string) domain.Seeker { return domain.Seeker{Kind: domain.SeekOrg, ID: id} }
	for _, tc := range []struct {
		name    string
		event   string
		seeker  domain.Seeker
		subject string
		admin   bool
		want    error
	}{
		{"registered organization", "EV1", org("ACME"), "u", false, nil},
		{"organization through its person", "EV1", org("BIOCO"), "u", false, nil},
		{"registered person", "EV1", domain.Seeker{Kind: domain.SeekPerson, ID: "BOB"}, "u", false, nil},
		{"request of a registered person", "EV1", domain.Seeker{Kind: domain.SeekCoop, ID: "REQB"}, "u", false, nil},
		{"request of a registered organization", "EV1", domain.Seeker{Kind: domain.SeekCoop, ID: "REQ1"}, "u", false, nil},
		{"absent organization", "EV1", org("UNITS"), "u", false, grpcerr.ErrPrecondition},
		{"person of an absent organization", "EV1", domain.Seeker{Kind: domain.SeekPerson, ID: "EVA"}, "u", false, grpcerr.ErrPrecondition},
		{"organizer for an absent organization", "EV1", org("UNITS"), "anna", false, nil},
		{"admin for an absent organization", "EV1", org("UNITS"), "root", true, nil},
		{"event known only from participants", "EV2", org("UNITS"), "u", false, nil},
		{"unknown event", "EV3", org("ACME"), "u", false, grpcerr.ErrNotFound},
		{"unknown event, even for an admin", "EV3", org("ACME"), "root", true, grpcerr.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := x.EventAccess(tc.event, tc.seeker, tc.subject, tc.admin)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("EventAccess = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestScoreHonoursEventFilter: saved searches score pairs one by one.
func TestScoreHonoursEventFilter(t *testing.T) {
	x := inEvent(t)
	q := seek("ACME")
	q.Filter.EventID = "EV1"
	if _, ok, err := x.Score(q, domain.OrgRef("UNITS")); err != nil || ok {
		t.Errorf("UNITS, not at the event, scored for it: ok=%v err=%v", ok, err)
	}
	if _, ok, err := x.Score(q, domain.OrgRef("ICGEB")); err != nil || !ok {
		t.Errorf("ICGEB, at the event, not scored for it: ok=%v err=%v", ok, err)
	}
	if !x.Organizes("EV1", "anna") || x.Organizes("EV1", "u") || x.Organizes("EV2", "anna") {
		t.Error("organizers of EV1 misread")
	}
	if got := x.Attendees("EV1"); len(got) != 3 {
		t.Errorf("attendees of EV1 = %v, want ACME, ICGEB and BOB", got)
	}
}

func TestParseEventFilter(t *testing.T) {
	seeker := &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "ACME"}}
	for _, tc := range []struct {
		event string
		ok    bool
	}{{"", true}, {"01JD0000000000000000000000", true}, {"ev 1", false}, {"ev.1", false}, {strings.Repeat("e", 129), false}} {
		q, err := domain.ParseSuggest(&matchingv1.SuggestPartnersRequest{Seeker: seeker, Filter: &matchingv1.SuggestionFilter{EventId: tc.event}}, ontology())
		var ve *grpcerr.ValidationError
		switch {
		case tc.ok && (err != nil || q.Filter.EventID != tc.event):
			t.Errorf("event_id %q: %v, filter %+v", tc.event, err, q.Filter)
		case !tc.ok && (!errors.As(err, &ve) || ve.Violations[0].Field != "filter.event_id"):
			t.Errorf("event_id %q: %v, want a filter.event_id violation", tc.event, err)
		}
	}
}
