package webui

import (
	"context"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// The home page greets the user by name and shows, for their roles, what
// needs their attention — contact requests awaiting an answer, unread
// messages, offers about to expire, the events they attend or organise —
// and their recent activity. It shows no internal identifier.

// expiringWithin is how close a deadline makes an offer "expiring".
const expiringWithin = 30 * 24 * time.Hour

// homeRecent is how many recent notifications the home page shows.
const homeRecent = 5

type homeView struct {
	PersonID string
	Name     string
	OrgName  string
	// Awaiting counts contact requests awaiting the user's answer.
	Awaiting int
	Unread   int
	Expiring []*competenciesv1.CooperationProfile
	Events   []*meetingsv1.Event
	Recent   []noteRow
}

// Attention reports whether anything waits for the user.
func (v homeView) Attention() bool {
	return v.Awaiting > 0 || v.Unread > 0 || len(v.Expiring) > 0 || len(v.Events) > 0
}

func (u *UI) home(c *call) error {
	v := homeView{PersonID: c.personID(), Unread: c.ui.unread(c.user)}
	ctx, cancel := c.ctx()
	defer cancel()
	var wg sync.WaitGroup
	if v.PersonID != "" {
		wg.Go(func() {
			if res, err := u.opts.Profiles.GetPerson(ctx, &profilesv1.GetPersonRequest{Id: v.PersonID}); err == nil {
				v.Name = res.GetPerson().GetName()
			}
		})
	}
	if c.user.Organization != "" {
		wg.Go(func() {
			if res, err := u.opts.Profiles.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: c.user.Organization}); err == nil {
				v.OrgName = res.GetOrganization().GetName()
			}
		})
	}
	if u.opts.Messaging != nil {
		wg.Go(func() {
			if res, err := u.opts.Messaging.ListConversations(ctx, &messagingv1.ListConversationsRequest{
				Status: messagingv1.ContactStatus_CONTACT_STATUS_PENDING, PageSize: 200,
			}); err == nil {
				v.Awaiting = int(res.GetAwaitingAnswer())
			}
		})
	}
	if c.user.Is("member") {
		wg.Go(func() { v.Expiring = u.expiringOffers(ctx, c) })
	}
	wg.Go(func() { v.Events = u.myEvents(ctx, c) })
	wg.Wait()
	if v.Name == "" && u.opts.DemoLogin != nil {
		for _, du := range u.opts.DemoLogin.Users() {
			if du.Subject == c.user.Subject {
				v.Name = du.Name
			}
		}
	}
	notes := u.hub.list(c.noteKeys())
	notes = notes[:min(len(notes), homeRecent)]
	c.nameNotes(notes)
	for _, n := range notes {
		v.Recent = append(v.Recent, noteRow{Text: noteText(c.L, n), Href: n.Href, When: c.L.When(timestamppb.New(n.At), "Europe/Rome")})
	}
	return c.render("home", "home.title", v, nil)
}

// expiringOffers are the user's published offers whose deadline falls in
// the coming month.
func (u *UI) expiringOffers(ctx context.Context, c *call) []*competenciesv1.CooperationProfile {
	var out []*competenciesv1.CooperationProfile
	now := time.Now()
	for _, h := range c.myProfiles() {
		res, err := u.opts.Competencies.ListCooperationProfiles(ctx, &competenciesv1.ListCooperationProfilesRequest{Holder: h, PageSize: 100})
		if err != nil {
			continue
		}
		for _, o := range res.GetCooperationProfiles() {
			if d := o.GetDeadline(); d != nil && d.AsTime().After(now) && d.AsTime().Sub(now) <= expiringWithin {
				out = append(out, o)
			}
		}
	}
	return out
}

// myEvents are the events still to come that the user attends (as their
// organisation or themself) or organises.
func (u *UI) myEvents(ctx context.Context, c *call) []*meetingsv1.Event {
	var out []*meetingsv1.Event
	seen := map[string]bool{}
	add := func(evs []*meetingsv1.Event, organised bool) {
		for _, ev := range evs {
			if seen[ev.GetId()] || ev.GetStatus() == meetingsv1.EventStatus_EVENT_STATUS_CLOSED {
				continue
			}
			if organised && !c.organizes(ev) {
				continue
			}
			seen[ev.GetId()] = true
			out = append(out, ev)
		}
	}
	for _, h := range c.myProfiles() {
		if res, err := u.opts.Meetings.ListEvents(ctx, &meetingsv1.ListEventsRequest{ParticipantProfile: h, PageSize: 20}); err == nil {
			add(res.GetEvents(), false)
		}
	}
	if c.user.Is("organizer") {
		if res, err := u.opts.Meetings.ListEvents(ctx, &meetingsv1.ListEventsRequest{PageSize: 50}); err == nil {
			add(res.GetEvents(), true)
		}
	}
	return out[:min(len(out), 10)]
}
