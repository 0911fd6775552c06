// Package demo loads the demo brokerage event of `tandem dev`: a published
// one-day event with the demo organisations as participants, their meeting
// requests and answers, and a published schedule, so every screen and
// command has something real to show.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/pkg/auth"
	"github.com/tandem-cluster/tandem/services/meetings/client"
)

// MaxParticipants is how many organisations the demo event registers.
const MaxParticipants = 60

// EventName names the demo event.
const EventName = "Smart Health Brokerage Day 2027"

// Result tells what the demo event holds.
type Result struct {
	EventID      string
	Participants int
	Requests     int
	Meetings     int
}

// Event is the demo event's settings: one day in Trieste, morning and
// afternoon sessions of 25-minute meetings with 5-minute breaks, 30 tables.
func Event() *meetingsv1.Event {
	day, _ := client.ParseDay("2027-03-10=09:00-12:30,14:00-17:00")
	return &meetingsv1.Event{
		Name: EventName, Description: "One-to-one meetings between companies, universities and research hospitals of the Smart Health cluster.",
		Venue: "Area Science Park, Padriciano 99, Trieste", TimeZone: "Europe/Rome", Days: []*meetingsv1.EventDay{day},
		MeetingDuration: durationpb.New(25 * time.Minute), BreakDuration: durationpb.New(5 * time.Minute),
		Tables: client.NumberedTables(30, "Conference centre"), BookingMode: meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES,
		DefaultMaxMeetings: 8,
		// The organiser of `tandem dev`'s demo users runs the demo event.
		OrganizerSubjects: []string{DemoOrganizer},
	}
}

// DemoOrganizer is the token subject of the demo organiser of `tandem dev`.
const DemoOrganizer = "demo-organizer"

// Seed loads the demo event through c, which must call as an organizer or
// admin, with the given organisations (at most MaxParticipants are used). It
// is idempotent: a published demo event is left as it is.
func Seed(ctx context.Context, c meetingsv1.MeetingsServiceClient, organizationIDs []string) (Result, error) {
	var res Result
	created, err := c.CreateEvent(ctx, &meetingsv1.CreateEventRequest{Event: Event(), ClientRequestId: "demo:meetings:event"})
	if err != nil {
		return res, fmt.Errorf("demo event: %w", err)
	}
	ev := created.GetEvent()
	res.EventID = ev.GetId()
	if ev.GetStatus() != meetingsv1.EventStatus_EVENT_STATUS_DRAFT {
		return summary(ctx, c, res)
	}
	if ev, err = setStatus(ctx, c, ev, meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN); err != nil {
		return res, err
	}
	orgs := organizationIDs[:min(len(organizationIDs), MaxParticipants)]
	var parts []*meetingsv1.Participant
	afternoon := []string{}
	for _, s := range ev.GetSlots() {
		if s.GetSessionName() == "Afternoon" {
			afternoon = append(afternoon, s.GetId())
		}
	}
	for i, org := range orgs {
		req := &meetingsv1.RegisterParticipantRequest{
			EventId: ev.GetId(), Profile: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: org}},
		}
		if i%6 == 5 {
			req.AvailableSlotIds = afternoon // some come for the afternoon only
		}
		r, err := register(ctx, c, req)
		if err != nil {
			return res, fmt.Errorf("demo participant %s: %w", org, err)
		}
		parts = append(parts, r.GetParticipant())
	}
	n := len(parts)
	for i, from := range parts {
		for k, step := range []int{1, 7, 13, 22} {
			if n < 2 {
				break
			}
			to := parts[(i+step)%n]
			if to.GetId() == from.GetId() {
				continue
			}
			prio := meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT
			if (i+k)%5 == 0 {
				prio = meetingsv1.MeetingPriority_MEETING_PRIORITY_MUST
			}
			r, err := c.RequestMeeting(ctx, &meetingsv1.RequestMeetingRequest{
				EventId: ev.GetId(), FromParticipantId: from.GetId(), ToParticipantId: to.GetId(), Priority: prio,
				Message: "We would like to discuss a collaboration on diagnostics and data analysis.",
			})
			switch status.Code(err) {
			case codes.FailedPrecondition, codes.AlreadyExists:
				continue // already agreed the other way round, or asked at an earlier step
			}
			if err != nil {
				return res, fmt.Errorf("demo request: %w", err)
			}
			rq := r.GetMeetingRequest()
			if rq.GetStatus() != meetingsv1.MeetingRequestStatus_MEETING_REQUEST_STATUS_PENDING {
				continue
			}
			action := meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_ACCEPT
			switch (i*7 + k) % 11 {
			case 0:
				action = meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_DECLINE
			case 1:
				action = meetingsv1.MeetingRequestAction_MEETING_REQUEST_ACTION_NO_THANKS
			}
			if _, err := c.RespondToMeetingRequest(ctx, &meetingsv1.RespondToMeetingRequestRequest{
				RequestId: rq.GetId(), Action: action, ExpectedVersion: rq.GetVersion(), Message: "Happy to meet.",
			}); err != nil {
				return res, fmt.Errorf("demo answer: %w", err)
			}
		}
	}
	if ev, err = setStatus(ctx, c, ev, meetingsv1.EventStatus_EVENT_STATUS_SCHEDULING); err != nil {
		return res, err
	}
	sc, err := c.GenerateSchedule(ctx, &meetingsv1.GenerateScheduleRequest{EventId: ev.GetId(), ExpectedEventVersion: ev.GetVersion(), ClientRequestId: "demo:meetings:schedule"})
	if err != nil {
		return res, fmt.Errorf("demo schedule: %w", err)
	}
	if _, err := c.PublishSchedule(ctx, &meetingsv1.PublishScheduleRequest{EventId: ev.GetId(), ScheduleId: sc.GetSchedule().GetId()}); err != nil {
		return res, fmt.Errorf("demo publish: %w", err)
	}
	return summary(ctx, c, res)
}

func setStatus(ctx context.Context, c meetingsv1.MeetingsServiceClient, ev *meetingsv1.Event, st meetingsv1.EventStatus) (*meetingsv1.Event, error) {
	r, err := c.UpdateEvent(ctx, &meetingsv1.UpdateEventRequest{
		Event: &meetingsv1.Event{Id: ev.GetId(), Status: st}, ExpectedVersion: ev.GetVersion(),
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})
	if err != nil {
		return nil, fmt.Errorf("demo event to %s: %w", st, err)
	}
	return r.GetEvent(), nil
}

func summary(ctx context.Context, c meetingsv1.MeetingsServiceClient, res Result) (Result, error) {
	ps, err := c.ListParticipants(ctx, &meetingsv1.ListParticipantsRequest{EventId: res.EventID, PageSize: 1000})
	if err != nil {
		return res, err
	}
	rs, err := c.ListMeetingRequests(ctx, &meetingsv1.ListMeetingRequestsRequest{EventId: res.EventID, PageSize: 1000})
	if err != nil {
		return res, err
	}
	sc, err := c.GetSchedule(ctx, &meetingsv1.GetScheduleRequest{EventId: res.EventID, PageSize: 5000})
	if err != nil && status.Code(err) != codes.NotFound {
		return res, err
	}
	res.Participants, res.Requests, res.Meetings = len(ps.GetParticipants()), len(rs.GetMeetingRequests()), len(sc.GetMeetings())
	return res, nil
}

// SeedAt is what `tandem dev` calls once its services serve: it signs an
// admin token with signer, lists organisations from the profiles service
// (the demo ones, by name order) and seeds the demo event.
func SeedAt(ctx context.Context, meetingsAddr, profilesAddr string, signer *auth.Signer) (Result, error) {
	tok, _, err := signer.Issue(auth.Principal{Subject: "system:demo", Roles: []auth.Role{auth.RoleAdmin}})
	if err != nil {
		return Result{}, err
	}
	dial := func(addr string) (*grpc.ClientConn, error) {
		return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(auth.BearerToken(tok)))
	}
	pc, err := dial(profilesAddr)
	if err != nil {
		return Result{}, err
	}
	defer pc.Close()
	mc, err := dial(meetingsAddr)
	if err != nil {
		return Result{}, err
	}
	defer mc.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var ids []string
	token := ""
	for len(ids) < MaxParticipants {
		r, err := profilesv1.NewProfilesServiceClient(pc).ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{PageSize: 100, PageToken: token})
		if err != nil {
			return Result{}, fmt.Errorf("demo event: list organizations: %w", err)
		}
		for _, o := range r.GetOrganizations() {
			if o.GetKind() != profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER {
				ids = append(ids, o.GetId())
			}
		}
		if token = r.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(ids) == 0 {
		return Result{}, errors.New("demo event: no organizations to register; seed the profiles first")
	}
	return Seed(ctx, meetingsv1.NewMeetingsServiceClient(mc), ids)
}

// register registers a demo organisation. The demo profiles were created a
// moment ago and reach the meetings service through the profiles events,
// so until ctx ends it retries while the organisation is not known yet.
func register(ctx context.Context, c meetingsv1.MeetingsServiceClient, req *meetingsv1.RegisterParticipantRequest) (*meetingsv1.RegisterParticipantResponse, error) {
	for {
		r, err := c.RegisterParticipant(ctx, req)
		if status.Code(err) != codes.NotFound {
			return r, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(50 * time.Millisecond):
		}
	}
}
