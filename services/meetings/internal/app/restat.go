package app

import (
	"cmp"
	"slices"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"

	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
	"github.com/tandem-cluster/tandem/services/meetings/scheduler"
)

// restat recounts a schedule's figures for its meetings as they are after
// a hand edit, as the scheduler counts them: meetings placed (must and
// mutual ones among them), and over the participants involved (those of
// an accepted request or a meeting) the fewest and mean meetings, those
// without any, and the idle gaps between a participant's first and last
// meeting of a day. What the solver alone knows (requests considered, the
// upper bound, the objective, the time it took) is kept from old.
func (s *Service) restat(ev *meetingsv1.Event, old *meetingsv1.ScheduleStats, ms []*meetingsv1.Meeting) *meetingsv1.ScheduleStats {
	st := domain.Clone(old)
	if st == nil {
		st = &meetingsv1.ScheduleStats{}
	}
	slotIdx := domain.SlotIndex(ev.GetSlots())
	registered := map[string]bool{}
	for _, pa := range s.index.Participants(ev.GetId()) {
		registered[pa.GetId()] = pa.GetStatus() == meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED
	}
	involved := map[string]bool{}
	reqs := map[string]*meetingsv1.MeetingRequest{}
	for _, r := range s.index.Requests(ev.GetId()) {
		reqs[r.GetId()] = r
		if r.GetStatus() == accepted && registered[r.GetFromParticipantId()] && registered[r.GetToParticipantId()] {
			involved[r.GetFromParticipantId()], involved[r.GetToParticipantId()] = true, true
		}
	}
	slots := map[string][]int{} // participant -> slot indexes of its meetings
	st.MeetingsPlaced, st.MustPlaced, st.MutualPlaced = 0, 0, 0
	for _, m := range ms {
		if m.GetStatus() == meetingsv1.MeetingStatus_MEETING_STATUS_CANCELLED {
			continue
		}
		st.MeetingsPlaced++
		if r := reqs[m.GetRequestId()]; r != nil {
			if domain.Must(r) {
				st.MustPlaced++
			}
			if r.GetMutual() {
				st.MutualPlaced++
			}
		}
		for _, id := range m.GetParticipantIds() {
			if i, ok := slotIdx[m.GetSlotId()]; ok && registered[id] {
				involved[id] = true
				slots[id] = append(slots[id], i)
			}
		}
	}
	ids := make([]string, 0, len(involved))
	for id := range involved {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(len(slots[a]), len(slots[b])), cmp.Compare(a, b)) })
	st.MinMeetingsPerParticipant, st.MeanMeetingsPerParticipant, st.ParticipantsWithoutMeetings, st.IdleGaps = 0, 0, 0, 0
	st.FewestMeetingsParticipantIds = nil
	total := 0
	for _, id := range ids {
		n := len(slots[id])
		total += n
		if n == 0 {
			st.ParticipantsWithoutMeetings++
		}
		st.IdleGaps += int32(idleGaps(ev.GetSlots(), slots[id]))
	}
	if len(ids) > 0 {
		st.MeanMeetingsPerParticipant = float64(total) / float64(len(ids))
		st.MinMeetingsPerParticipant = int32(len(slots[ids[0]]))
		st.FewestMeetingsParticipantIds = ids[:min(len(ids), scheduler.FewestLimit)]
	}
	return st
}

// idleGaps counts the free slots between a participant's first and last
// meeting of each day; at is the slot indexes of its meetings.
func idleGaps(all []*meetingsv1.Slot, at []int) int {
	type span struct{ first, last, busy int }
	days := map[int32]*span{}
	for _, i := range at {
		d := all[i].GetDayIndex()
		sp := days[d]
		if sp == nil {
			sp = &span{first: i, last: i}
			days[d] = sp
		}
		sp.first, sp.last = min(sp.first, i), max(sp.last, i)
		sp.busy++
	}
	n := 0
	for _, sp := range days {
		n += sp.last - sp.first + 1 - sp.busy
	}
	return n
}
