package webui

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// The participant directory of an event lists the people and organisations
// present, as each participant may see them, with their offers and the
// reasons the viewer and they should meet. The meetings service lists
// hidden and anonymous participants to the event's organisers only; the
// directory also leaves out anyone whose name the viewer may not see, so a
// row never stands for someone unnamed.

// directoryOffers is how many of a participant's offers a row shows.
const directoryOffers = 3

var directorySorts = []string{"name", "best_match"}

type directoryRow struct {
	P      *meetingsv1.Participant
	Href   string
	Offers []*competenciesv1.CooperationProfile
	Why    *matchingv1.Suggestion
	// Request opens the meeting request form to this participant; empty
	// when the viewer cannot ask (not registered, registration closed,
	// themself).
	Request string
}

type directoryView struct {
	Event *meetingsv1.Event
	Query listQuery
	Shows []string
	Sorts []string
	Pager pager
	Base  string
	Rows  []directoryRow
	Me    *meetingsv1.Participant
	// Problems from sections that failed; the list still shows.
	Problems []*problem
}

func (u *UI) eventDirectory(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	ev, err := u.loadEvent(ctx, c.r.PathValue("id"))
	if err != nil {
		return err
	}
	parts, err := u.allParticipants(ctx, ev.GetId())
	if err != nil {
		return err
	}
	c.nameParticipants(parts)
	names := map[string]string{}
	var refs []*profilesv1.ProfileRef
	for _, p := range parts {
		refs = append(refs, p.GetProfile())
	}
	for k, n := range c.names(refs) {
		names[k] = n
	}
	v := directoryView{Event: ev, Base: "/events/" + ev.GetId() + "/directory", Shows: []string{"all"}, Sorts: directorySorts}
	v.Query = readListQuery(c.r.URL.Query(), v.Shows, v.Sorts)
	mine := c.myProfiles()
	var listed []*meetingsv1.Participant
	for _, p := range parts {
		for _, ref := range mine {
			if sameProfile(p.GetProfile(), ref) {
				v.Me = p
			}
		}
		if names[profileKey(p.GetProfile())] == "" {
			continue // not visible by name to this viewer: not listed
		}
		if !v.Query.matches(p.GetDisplayName()) {
			continue
		}
		listed = append(listed, p)
	}
	// Reasons to meet come from the matching service for the viewer (as
	// registered, else as themself) and every participant listed; with
	// "best match" the list follows its order.
	reasons := u.directoryReasons(ctx, c, ev, v.Me, listed, &v)
	if v.Query.Sort == "best_match" {
		rank := func(p *meetingsv1.Participant) float64 {
			if s := reasons[profileKey(p.GetProfile())]; s != nil {
				return s.GetScore()
			}
			return -1
		}
		slices.SortStableFunc(listed, func(a, b *meetingsv1.Participant) int { return cmp.Compare(rank(b), rank(a)) })
	}
	page, pg := paginate(listed, v.Query, v.Base)
	pg.CSV = ""
	v.Pager = pg
	offers := u.directoryOffers(ctx, page)
	canAsk := v.Me != nil && ev.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN
	for i, p := range page {
		row := directoryRow{P: p, Href: profileHref(p.GetProfile()), Offers: offers[i], Why: reasons[profileKey(p.GetProfile())]}
		if canAsk && p.GetId() != v.Me.GetId() {
			row.Request = "/events/" + ev.GetId() + "?to=" + p.GetId() + "#request-form"
		}
		v.Rows = append(v.Rows, row)
	}
	return c.renderNamed("event_directory", eventTitle(c.L, ev, "event.directory"), v)
}

// directoryReasons asks the matching service once why the viewer should
// meet each listed participant, keyed by profile.
func (u *UI) directoryReasons(ctx context.Context, c *call, ev *meetingsv1.Event, me *meetingsv1.Participant, listed []*meetingsv1.Participant, v *directoryView) map[string]*matchingv1.Suggestion {
	out := map[string]*matchingv1.Suggestion{}
	seeker := c.seeker()
	if me != nil {
		seeker = seekerOf(me.GetProfile())
	}
	if seeker == nil || len(listed) == 0 {
		return out
	}
	var ids []string
	for _, p := range listed {
		if me != nil && p.GetId() == me.GetId() {
			continue
		}
		ids = append(ids, p.GetProfile().GetOrganizationId()+p.GetProfile().GetPersonId())
	}
	if len(ids) == 0 {
		return out
	}
	filter := &matchingv1.SuggestionFilter{CandidateIds: ids, CandidateType: matchingv1.CandidateType_CANDIDATE_TYPE_ANY}
	if me != nil {
		filter.EventId = ev.GetId() // as a participant of the event
	}
	res, err := u.opts.Matching.SuggestPartners(ctx, &matchingv1.SuggestPartnersRequest{
		Seeker: seeker, Filter: filter,
		Limit: int32(min(len(ids), 100)), LanguageCode: c.L.Code,
	})
	switch status.Code(err) {
	case codes.OK:
	case codes.NotFound, codes.FailedPrecondition:
		return out // matching has not read the event or the viewer yet
	default:
		v.Problems = append(v.Problems, problemFrom(c.L, err))
		return out
	}
	for _, s := range res.GetSuggestions() {
		out[profileKey(s.GetCandidate().GetRef())] = s
	}
	return out
}

// directoryOffers reads the published offers of the participants on one
// page: those they registered with, else their latest ones.
func (u *UI) directoryOffers(ctx context.Context, page []*meetingsv1.Participant) [][]*competenciesv1.CooperationProfile {
	out := make([][]*competenciesv1.CooperationProfile, len(page))
	var wg sync.WaitGroup
	sem := make(chan struct{}, nameLookups)
	for i, p := range page {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res, err := u.opts.Competencies.ListCooperationProfiles(ctx, &competenciesv1.ListCooperationProfilesRequest{Holder: p.GetProfile(), PageSize: 20})
			if err != nil {
				return // a row without offers; the directory still lists the participant
			}
			var chosen, rest []*competenciesv1.CooperationProfile
			for _, o := range res.GetCooperationProfiles() {
				if contains(p.GetCooperationProfileIds(), o.GetId()) {
					chosen = append(chosen, o)
				} else {
					rest = append(rest, o)
				}
			}
			all := append(chosen, rest...)
			out[i] = all[:min(len(all), directoryOffers)]
		})
	}
	wg.Wait()
	return out
}
