package webui

import (
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
)

// eventWithdraw is the organiser withdrawing a participant from the
// participants list. The first post shows what the withdrawal cancels
// (its open requests and confirmed meetings, by count); the confirmed post
// withdraws, and the service cancels each with its usual notification.
func (u *UI) eventWithdraw(c *call) error {
	id, pid := c.r.PathValue("id"), c.r.PathValue("pid")
	ctx, cancel := c.ctx()
	defer cancel()
	back := "/events/" + id + "/participants"
	if !c.confirmed() {
		ev, parts, err := u.organizedParticipants(ctx, c)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(parts, func(p *meetingsv1.Participant) bool {
			return p.GetId() == pid && p.GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_WITHDRAWN
		})
		if i < 0 {
			return status.Error(codes.NotFound, c.L.T("event.no_such_participant"))
		}
		reqs, err := u.allRequests(ctx, id)
		if err != nil {
			return err
		}
		_, meetings, err := u.latestSchedule(ctx, id)
		if err != nil {
			return err
		}
		var open, confirmed int
		for _, r := range reqs {
			st := r.GetStatus()
			if (r.GetFromParticipantId() == pid || r.GetToParticipantId() == pid) &&
				(st == meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING || st == meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED) {
				open++
			}
		}
		for _, m := range meetings {
			if m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CONFIRMED && slices.Contains(m.GetParticipantIds(), pid) {
				confirmed++
			}
		}
		return c.askFirst(eventTitle(c.L, ev, "confirm.title"), back, confirmView{
			Question: "confirm.withdraw", Consequence: "confirm.withdraw_then", Yes: "action.withdraw",
			Detail: c.L.T("confirm.withdraw_counts", parts[i].GetDisplayName(), open, confirmed),
		})
	}
	_, err := u.opts.Meetings.WithdrawParticipant(ctx, &meetingsv1.WithdrawParticipantRequest{EventId: id, ParticipantId: pid})
	if err != nil {
		return err
	}
	return c.redirect(back, "withdrawn")
}
