package webui

import (
	"context"
	"net/url"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// eventFeed makes, replaces or revokes the signed-in participant's private
// calendar feed. Replacing and revoking stop the address a calendar app
// follows, so they ask first. The new address is shown on the page this
// post answers, once: the service keeps only a digest of its token, and a
// redirect would carry the token in a URL.
func (u *UI) eventFeed(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	id := c.r.PathValue("id")
	pid := c.r.PostForm.Get("participant")
	revoke := c.r.PostForm.Get("action") == "revoke"
	back := "/events/" + id + "#calendar-feed"
	if c.r.PostForm.Get("replace") == "yes" && !c.confirmed() {
		ev, err := u.loadEvent(ctx, id)
		if err != nil {
			return err
		}
		v := confirmView{Question: "confirm.feed_new", Consequence: "confirm.feed_new_then", Yes: "action.feed_new"}
		if revoke {
			v = confirmView{Question: "confirm.feed_revoke", Consequence: "confirm.feed_revoke_then", Yes: "action.feed_revoke"}
		}
		return c.askFirst(eventTitle(c.L, ev, "confirm.title"), back, v)
	}
	res, err := u.opts.Meetings.SetCalendarFeed(ctx, &meetingsv1.SetCalendarFeedRequest{EventId: id, ParticipantId: pid, Revoke: revoke})
	if err != nil {
		return err
	}
	if revoke {
		return c.redirect(back, "feed_revoked")
	}
	if res.GetToken() == "" {
		return status.Error(codes.Internal, "no calendar feed token")
	}
	c.feedURL = c.absolute("/calendar-feeds/" + url.PathEscape(res.GetToken()) + "/agenda.ics")
	return u.showEvent(c, nil)
}

// absolute is path on Tandem's public address (Options.PublicURL), or,
// when none is configured, on the address the user reached Tandem at.
func (c *call) absolute(path string) string {
	if pub := c.ui.opts.PublicURL; pub != "" {
		return pub + path
	}
	scheme := "http"
	if c.r.TLS != nil || c.r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host + path
}

// feedFile serves a private calendar feed to whoever holds its address,
// without a session: calendar apps fetch it on their own. Like every page,
// it counts against the per-address budget.
func (u *UI) feedFile(c *call) error {
	ctx, cancel := context.WithTimeout(c.r.Context(), u.opts.CallTimeout)
	defer cancel()
	res, err := u.opts.Meetings.GetCalendarFeed(ctx, &meetingsv1.GetCalendarFeedRequest{Token: c.r.PathValue("token")})
	if err != nil {
		return err
	}
	return c.writeCalendar(res.GetCalendar())
}
