package domain

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/scheduler"
)

func timestamp(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// ProfileKey names a profile reference in keys and maps: "org:<id>" or
// "person:<id>"; "" when it names neither.
func ProfileKey(ref *profilesv1.ProfileRef) string {
	switch {
	case ref.GetOrganizationId() != "":
		return "org:" + ref.GetOrganizationId()
	case ref.GetPersonId() != "":
		return "person:" + ref.GetPersonId()
	}
	return ""
}

// ValidateRegistration checks a RegisterParticipant request's input.
func ValidateRegistration(r *meetingsv1.RegisterParticipantRequest) error {
	var v violations
	if !ValidID(r.GetEventId()) {
		v.add("event_id", "required")
	}
	switch id := r.GetProfile().GetOrganizationId() + r.GetProfile().GetPersonId(); {
	case r.GetProfile() == nil || id == "":
		v.add("profile", "an organization_id or a person_id is required")
	case !ValidID(id):
		v.add("profile", "not an id")
	}
	checkItems(&v, r.GetCooperationProfileIds())
	checkSlotIDs(&v, r.GetAvailableSlotIds())
	if r.GetMaxMeetings() < 0 {
		v.add("max_meetings", "must not be negative")
	}
	checkText(&v, "client_request_id", r.GetClientRequestId(), MaxNameLen, false)
	return v.err()
}

// ValidateAvailability checks a SetAvailability request's input.
func ValidateAvailability(r *meetingsv1.SetAvailabilityRequest) error {
	var v violations
	if !ValidID(r.GetEventId()) {
		v.add("event_id", "required")
	}
	if !ValidID(r.GetParticipantId()) {
		v.add("participant_id", "required")
	}
	checkSlotIDs(&v, r.GetAvailableSlotIds())
	if r.GetMaxMeetings() < 0 {
		v.add("max_meetings", "must not be negative")
	}
	return v.err()
}

func checkItems(v *violations, ids []string) {
	if len(ids) > MaxItems {
		v.add("cooperation_profile_ids", "at most %d items", MaxItems)
	}
	for i, id := range ids {
		if !ValidID(id) {
			v.add(fmt.Sprintf("cooperation_profile_ids[%d]", i), "not an id")
		}
	}
}

func checkSlotIDs(v *violations, ids []string) {
	if len(ids) > MaxSlots {
		v.add("available_slot_ids", "at most %d slots", MaxSlots)
		return
	}
	for i, id := range ids {
		if !ValidID(id) {
			v.add(fmt.Sprintf("available_slot_ids[%d]", i), "not a slot id")
		}
	}
}

// ValidateRequestMeeting checks a RequestMeeting request's input.
func ValidateRequestMeeting(r *meetingsv1.RequestMeetingRequest) error {
	var v violations
	if !ValidID(r.GetEventId()) {
		v.add("event_id", "required")
	}
	if !ValidID(r.GetFromParticipantId()) {
		v.add("from_participant_id", "required")
	}
	if !ValidID(r.GetToParticipantId()) {
		v.add("to_participant_id", "required")
	} else if r.GetToParticipantId() == r.GetFromParticipantId() {
		v.add("to_participant_id", "a participant cannot meet itself")
	}
	checkRequestFields(&v, r.GetPriority(), r.GetMessage(), r.GetCooperationProfileId(), r.GetExpectedVersion())
	checkText(&v, "client_request_id", r.GetClientRequestId(), MaxNameLen, false)
	return v.err()
}

// ValidateUpdateMeetingRequest checks an UpdateMeetingRequest request's input.
func ValidateUpdateMeetingRequest(r *meetingsv1.UpdateMeetingRequestRequest) error {
	var v violations
	if !ValidID(r.GetRequestId()) {
		v.add("request_id", "required")
	}
	checkRequestFields(&v, r.GetPriority(), r.GetMessage(), r.GetCooperationProfileId(), r.GetExpectedVersion())
	return v.err()
}

// checkRequestFields checks what a sender writes in a request.
func checkRequestFields(v *violations, priority meetingsv1.MeetingPriority, message, item string, expectedVersion int64) {
	switch priority {
	case meetingsv1.MeetingPriority_MEETING_PRIORITY_UNSPECIFIED, meetingsv1.MeetingPriority_MEETING_PRIORITY_MUST, meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT:
	default:
		v.add("priority", "unknown priority")
	}
	checkProse(v, "message", message, MaxMessageLen, false)
	if item != "" && !ValidID(item) {
		v.add("cooperation_profile_id", "not an id")
	}
	if expectedVersion < 0 {
		v.add("expected_version", "must not be negative")
	}
}

// ValidateRespond checks a RespondToMeetingRequest request's input.
func ValidateRespond(r *meetingsv1.RespondToMeetingRequestRequest) error {
	var v violations
	if !ValidID(r.GetRequestId()) {
		v.add("request_id", "required")
	}
	switch r.GetAction() {
	case meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT, meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_DECLINE,
		meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_NO_THANKS, meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_CANCEL:
	default:
		v.add("action", "one of accept, decline, no thanks or cancel")
	}
	switch r.GetResponsePriority() {
	case meetingsv1.MeetingPriority_MEETING_PRIORITY_UNSPECIFIED, meetingsv1.MeetingPriority_MEETING_PRIORITY_MUST, meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT:
	default:
		v.add("response_priority", "unknown priority")
	}
	checkProse(&v, "message", r.GetMessage(), MaxMessageLen, false)
	if r.GetExpectedVersion() < 0 {
		v.add("expected_version", "must not be negative")
	}
	if r.GetAcceptAsMutual() && r.GetAction() != meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT {
		v.add("accept_as_mutual", "only with action accept")
	}
	return v.err()
}

// MaxBatch caps the items of a batch call.
const MaxBatch = 1000

// CheckBatch refuses an empty or oversized batch.
func CheckBatch(n int) error {
	if n == 0 || n > MaxBatch {
		return grpcerr.Invalid(grpcerr.Violation{Field: "items", Description: fmt.Sprintf("from 1 to %d items", MaxBatch)})
	}
	return nil
}

// ValidateBooking checks a BookMeeting request's input.
func ValidateBooking(r *meetingsv1.BookMeetingRequest) error {
	var v violations
	if !ValidID(r.GetEventId()) {
		v.add("event_id", "required")
	}
	if !ValidID(r.GetParticipantId()) {
		v.add("participant_id", "required")
	}
	if r.GetPartnerParticipantId() == "" && r.GetRequestId() == "" {
		v.add("partner_participant_id", "a partner or an accepted request is required")
	}
	if p := r.GetPartnerParticipantId(); p != "" && (!ValidID(p) || p == r.GetParticipantId()) {
		v.add("partner_participant_id", "another participant's id")
	}
	if id := r.GetRequestId(); id != "" && !ValidID(id) {
		v.add("request_id", "not an id")
	}
	if !ValidID(r.GetSlotId()) {
		v.add("slot_id", "required")
	}
	if t := r.GetTableId(); t != "" && !tableIDPattern.MatchString(t) {
		v.add("table_id", "not a table id")
	}
	checkText(&v, "client_request_id", r.GetClientRequestId(), MaxNameLen, false)
	return v.err()
}

// Respond applies an answer to a request and says whether the caller, on
// the given side, may give it.
func Respond(rq *meetingsv1.MeetingRequest, action meetingsv1.MeetingRequestAction, isRecipient, isSender, isOrganizer bool) (meetingsv1.MeetingRequestStatus, error) {
	st := rq.GetStatus()
	final := st == meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED ||
		st == meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_DECLINED ||
		st == meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_NO_THANKS
	if final {
		return st, fmt.Errorf("meeting request %s is already %s: %w", rq.GetId(), st, grpcerr.ErrPrecondition)
	}
	switch action {
	case meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_CANCEL:
		if !isRecipient && !isSender && !isOrganizer {
			return st, fmt.Errorf("only the two parties or an organizer may cancel meeting request %s: %w", rq.GetId(), grpcerr.ErrPermission)
		}
		return meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_CANCELLED, nil
	default:
		if !isRecipient && !isOrganizer {
			return st, fmt.Errorf("only the recipient may answer meeting request %s: %w", rq.GetId(), grpcerr.ErrPermission)
		}
		if st != meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING {
			return st, fmt.Errorf("meeting request %s is %s, not pending: %w", rq.GetId(), st, grpcerr.ErrPrecondition)
		}
		switch action {
		case meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT:
			return meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_ACCEPTED, nil
		case meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_DECLINE:
			return meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_DECLINED, nil
		default:
			return meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_NO_THANKS, nil
		}
	}
}

// Must reports whether either side marked the request as a must.
func Must(rq *meetingsv1.MeetingRequest) bool {
	return rq.GetPriority() == meetingsv1.MeetingPriority_MEETING_PRIORITY_MUST ||
		rq.GetResponsePriority() == meetingsv1.MeetingPriority_MEETING_PRIORITY_MUST
}

// MaxPolicyWeight caps a balanced-policy weight.
const MaxPolicyWeight = 1000

// ValidateGenerate checks a GenerateSchedule request's input and returns
// the scheduler's policy and weights.
func ValidateGenerate(r *meetingsv1.GenerateScheduleRequest) (scheduler.Policy, scheduler.Weights, error) {
	var v violations
	if !ValidID(r.GetEventId()) {
		v.add("event_id", "required")
	}
	checkText(&v, "client_request_id", r.GetClientRequestId(), MaxNameLen, false)
	var pol scheduler.Policy
	switch r.GetPolicy() {
	case meetingsv1.SchedulePolicy_SCHEDULE_POLICY_UNSPECIFIED, meetingsv1.SchedulePolicy_SCHEDULE_POLICY_PRIORITIES_FIRST:
		pol = scheduler.PrioritiesFirst
	case meetingsv1.SchedulePolicy_SCHEDULE_POLICY_MOST_MEETINGS:
		pol = scheduler.MostMeetings
	case meetingsv1.SchedulePolicy_SCHEDULE_POLICY_BALANCED:
		pol = scheduler.Balanced
	default:
		v.add("policy", "unknown policy")
	}
	w := scheduler.DefaultWeights
	if bw := r.GetBalancedWeights(); bw != nil {
		if pol != scheduler.Balanced {
			v.add("balanced_weights", "only with policy SCHEDULE_POLICY_BALANCED")
		}
		if bw.GetMust() != 0 || bw.GetMutual() != 0 || bw.GetWant() != 0 {
			for _, f := range []struct {
				name string
				val  int32
			}{{"balanced_weights.must", bw.GetMust()}, {"balanced_weights.mutual", bw.GetMutual()}, {"balanced_weights.want", bw.GetWant()}} {
				if f.val < 1 || f.val > MaxPolicyWeight {
					v.add(f.name, "from 1 to %d", MaxPolicyWeight)
				}
			}
			w = scheduler.Weights{Must: int64(bw.GetMust()), Mutual: int64(bw.GetMutual()), Want: int64(bw.GetWant())}
		}
	}
	return pol, w, v.err()
}

// PolicyProto is the API's name of a scheduler policy.
func PolicyProto(p scheduler.Policy) meetingsv1.SchedulePolicy {
	switch p {
	case scheduler.MostMeetings:
		return meetingsv1.SchedulePolicy_SCHEDULE_POLICY_MOST_MEETINGS
	case scheduler.Balanced:
		return meetingsv1.SchedulePolicy_SCHEDULE_POLICY_BALANCED
	default:
		return meetingsv1.SchedulePolicy_SCHEDULE_POLICY_PRIORITIES_FIRST
	}
}

// ValidateMove checks a MoveMeeting request's ids.
func ValidateMove(r *meetingsv1.MoveMeetingRequest) error {
	var v violations
	checkEditIDs(&v, r.GetEventId(), r.GetMeetingId(), r.GetExpectedScheduleVersion())
	if !ValidID(r.GetSlotId()) {
		v.add("slot_id", "required")
	}
	if !tableIDPattern.MatchString(r.GetTableId()) {
		v.add("table_id", "required: a table id")
	}
	return v.err()
}

// ValidatePlace checks a PlaceRequest request's ids.
func ValidatePlace(r *meetingsv1.PlaceRequestRequest) error {
	var v violations
	if !ValidID(r.GetEventId()) {
		v.add("event_id", "required")
	}
	if !ValidID(r.GetRequestId()) {
		v.add("request_id", "required")
	}
	if !ValidID(r.GetSlotId()) {
		v.add("slot_id", "required")
	}
	if !tableIDPattern.MatchString(r.GetTableId()) {
		v.add("table_id", "required: a table id")
	}
	if r.GetExpectedScheduleVersion() < 0 {
		v.add("expected_schedule_version", "must not be negative")
	}
	return v.err()
}

// ValidateSwap checks a SwapMeetings request's ids.
func ValidateSwap(r *meetingsv1.SwapMeetingsRequest) error {
	var v violations
	checkEditIDs(&v, r.GetEventId(), r.GetMeetingId(), r.GetExpectedScheduleVersion())
	switch {
	case !ValidID(r.GetOtherMeetingId()):
		v.add("other_meeting_id", "required")
	case r.GetOtherMeetingId() == r.GetMeetingId():
		v.add("other_meeting_id", "another meeting than meeting_id")
	}
	return v.err()
}

// ValidateLock checks a SetMeetingLock request's ids.
func ValidateLock(r *meetingsv1.SetMeetingLockRequest) error {
	var v violations
	checkEditIDs(&v, r.GetEventId(), r.GetMeetingId(), r.GetExpectedScheduleVersion())
	return v.err()
}

func checkEditIDs(v *violations, eventID, meetingID string, version int64) {
	if !ValidID(eventID) {
		v.add("event_id", "required")
	}
	if !ValidID(meetingID) {
		v.add("meeting_id", "required")
	}
	if version < 0 {
		v.add("expected_schedule_version", "must not be negative")
	}
}
