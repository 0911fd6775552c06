package webui

import (
	"cmp"
	"context"
	"slices"
	"time"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// maxDashboardEvents bounds the brokerage events the dashboard sums up,
// the latest first, so a cluster with years of events stays quick.
const maxDashboardEvents = 12

// eventKPI is one brokerage event of the managed clusters, with the
// figures its organisers see on its page.
type eventKPI struct {
	ID, Name string
	Status   meetingsv1.EventStatus
	Figures  figures
}

type eventKPIs struct {
	Events []eventKPI
	// Total is how many events the clusters host; Events holds the latest.
	Total int
}

// Sampled says that only the latest events are shown.
func (k eventKPIs) Sampled() bool { return k.Total > len(k.Events) }

// dashboardEvents sums up the brokerage events hosted by clusters (every
// event the caller may see when clusters is nil, for an administrator).
// A cluster manager reads their requests and schedules as the meetings
// service lets the hosting clusters' managers.
func (u *UI) dashboardEvents(ctx context.Context, clusters []string, all bool, since time.Time, note func(error)) eventKPIs {
	var evs []*meetingsv1.Event
	seen := map[string]bool{}
	list := func(cluster string) {
		got, err := allPages(func(token string) ([]*meetingsv1.Event, string, error) {
			res, err := u.opts.Meetings.ListEvents(ctx, &meetingsv1.ListEventsRequest{PageSize: 500, PageToken: token, ClusterId: cluster})
			return res.GetEvents(), res.GetNextPageToken(), err
		})
		note(err)
		for _, ev := range got {
			if !seen[ev.GetId()] && ev.GetStatus() != meetingsv1.EventStatus_EVENT_STATUS_DRAFT && !eventTime(ev).Before(since) {
				seen[ev.GetId()] = true
				evs = append(evs, ev)
			}
		}
	}
	if all {
		list("")
	}
	for _, c := range clusters {
		list(c)
	}
	slices.SortFunc(evs, func(a, b *meetingsv1.Event) int {
		return cmp.Or(b.GetCreatedAt().AsTime().Compare(a.GetCreatedAt().AsTime()), cmp.Compare(a.GetId(), b.GetId()))
	})
	out := eventKPIs{Total: len(evs)}
	for _, ev := range evs[:min(len(evs), maxDashboardEvents)] {
		parts, err := u.allParticipants(ctx, ev.GetId()) // as the event page counts them
		note(err)
		reqs, err := u.allRequests(ctx, ev.GetId())
		note(err)
		sched, meetings, err := u.latestSchedule(ctx, ev.GetId())
		note(err)
		out.Events = append(out.Events, eventKPI{ID: ev.GetId(), Name: ev.GetName(), Status: ev.GetStatus(), Figures: eventFigures(parts, reqs, sched, meetings)})
	}
	return out
}

// eventTime is when an event takes place (its first slot), else when it
// was created: the dashboard's period counts the events held in it, and
// the ones to come.
func eventTime(ev *meetingsv1.Event) time.Time {
	var first time.Time
	for _, s := range ev.GetSlots() {
		if t := s.GetStartTime().AsTime(); s.GetStartTime() != nil && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	if first.IsZero() && ev.GetCreatedAt() != nil {
		first = ev.GetCreatedAt().AsTime()
	}
	return first
}
