package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/meetings/client"
)

// meetingsCall runs fn with a meetings client and the call's deadline.
func meetingsCall(cmd *cobra.Command, env *cliEnv, fn func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error) error {
	return withClient(cmd, env, "meetings", meetingsv1.NewMeetingsServiceClient, fn)
}

var eventColumns = []column[*meetingsv1.Event]{
	{"ID", func(e *meetingsv1.Event) string { return e.GetId() }},
	{"NAME", func(e *meetingsv1.Event) string { return e.GetName() }},
	{"STATUS", func(e *meetingsv1.Event) string {
		return enumShort(e.GetStatus().Descriptor().Values().ByNumber(e.GetStatus().Number()), "EVENT_STATUS_")
	}},
	{"DAYS", func(e *meetingsv1.Event) string { return strconv.Itoa(len(e.GetDays())) }},
	{"SLOTS", func(e *meetingsv1.Event) string { return strconv.Itoa(len(e.GetSlots())) }},
	{"TABLES", func(e *meetingsv1.Event) string { return strconv.Itoa(len(e.GetTables())) }},
	{"VERSION", func(e *meetingsv1.Event) string { return strconv.FormatInt(e.GetVersion(), 10) }},
}

var participantColumns = []column[*meetingsv1.Participant]{
	{"ID", func(p *meetingsv1.Participant) string { return p.GetId() }},
	{"NAME", func(p *meetingsv1.Participant) string { return p.GetDisplayName() }},
	{"PROFILE", func(p *meetingsv1.Participant) string {
		return p.GetProfile().GetOrganizationId() + p.GetProfile().GetPersonId()
	}},
	{"AVAILABLE SLOTS", func(p *meetingsv1.Participant) string {
		if len(p.GetAvailableSlotIds()) == 0 {
			return "all"
		}
		return strconv.Itoa(len(p.GetAvailableSlotIds()))
	}},
	{"MAX", func(p *meetingsv1.Participant) string { return strconv.Itoa(int(p.GetMaxMeetings())) }},
}

var requestColumns = []column[*meetingsv1.MeetingRequest]{
	{"ID", func(r *meetingsv1.MeetingRequest) string { return r.GetId() }},
	{"FROM", func(r *meetingsv1.MeetingRequest) string { return r.GetFromParticipantId() }},
	{"TO", func(r *meetingsv1.MeetingRequest) string { return r.GetToParticipantId() }},
	{"PRIORITY", func(r *meetingsv1.MeetingRequest) string {
		return enumShort(r.GetPriority().Descriptor().Values().ByNumber(r.GetPriority().Number()), "MEETING_PRIORITY_")
	}},
	{"STATUS", func(r *meetingsv1.MeetingRequest) string {
		return enumShort(r.GetStatus().Descriptor().Values().ByNumber(r.GetStatus().Number()), "MEETING_REQUEST_STATUS_")
	}},
	{"MUTUAL", func(r *meetingsv1.MeetingRequest) string { return strconv.FormatBool(r.GetMutual()) }},
}

func newEventsCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{Use: "events", Short: "Run brokerage events: create, open, register, availability, requests, respond, schedule, publish"}
	cmd.AddCommand(newEventsCreateCmd(env), newEventsGetCmd(env), newEventsListCmd(env), newEventsOpenCmd(env), newEventsStatusCmd(env),
		newEventsRegisterCmd(env), newEventsParticipantsCmd(env), newEventsAvailabilityCmd(env),
		newEventsRequestCmd(env), newEventsRequestsCmd(env), newEventsRespondCmd(env),
		newEventsScheduleCmd(env), newEventsPublishCmd(env), newEventsImportRequestsCmd(env))
	return cmd
}

func newEventsCreateCmd(env *cliEnv) *cobra.Command {
	var name, tz, venue, description, reqID string
	var days []string
	var meeting, brk time.Duration
	var tables int
	var maxMeetings int32
	var selfBooking bool
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Create a brokerage event (a draft)",
		Example: `  tandem events create --name "Smart Health Brokerage Day" --tz Europe/Rome --day 2027-03-10=09:00-12:30,14:00-17:00 --meeting 25m --break 5m --tables 20`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ev := &meetingsv1.Event{Name: name, Description: description, Venue: venue, TimeZone: tz,
				MeetingDuration: durationpb.New(meeting), BreakDuration: durationpb.New(brk),
				Tables: client.NumberedTables(tables, venue), DefaultMaxMeetings: maxMeetings,
				BookingMode: meetingsv1.BookingMode_BOOKING_MODE_ORGANIZER_SCHEDULES}
			if selfBooking {
				ev.BookingMode = meetingsv1.BookingMode_BOOKING_MODE_SELF_BOOKING
			}
			for _, d := range days {
				day, err := client.ParseDay(d)
				if err != nil {
					return usageError{err}
				}
				ev.Days = append(ev.Days, day)
			}
			if reqID == "" {
				reqID = requestID("event", ev)
			}
			return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
				res, err := c.CreateEvent(cmd.Context(), &meetingsv1.CreateEventRequest{Event: ev, ClientRequestId: reqID})
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*meetingsv1.Event{res.GetEvent()}, eventColumns)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "event name")
	f.StringVar(&description, "description", "", "what the event is about")
	f.StringVar(&venue, "venue", "", "where it takes place")
	f.StringVar(&tz, "tz", "Europe/Rome", "IANA time zone of the venue")
	f.StringArrayVar(&days, "day", nil, "a day and its sessions, DATE=HH:MM-HH:MM[,HH:MM-HH:MM] (repeatable)")
	f.DurationVar(&meeting, "meeting", 25*time.Minute, "length of one meeting")
	f.DurationVar(&brk, "break", 5*time.Minute, "break between meetings")
	f.IntVar(&tables, "tables", 10, "number of meeting tables")
	f.Int32Var(&maxMeetings, "max-meetings", 0, "default maximum meetings per participant (0: no limit)")
	f.BoolVar(&selfBooking, "self-booking", false, "participants book free slots themselves")
	f.StringVar(&reqID, "request-id", "", "client request id (default: derived from the input)")
	return cmd
}

func newEventsGetCmd(env *cliEnv) *cobra.Command {
	var event string
	cmd := &cobra.Command{
		Use: "get EVENT", Short: "Show one event", Args: eventArgs(&event, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
				res, err := c.GetEvent(cmd.Context(), &meetingsv1.GetEventRequest{Id: event})
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*meetingsv1.Event{res.GetEvent()}, eventColumns)
			})
		},
	}
	eventFlag(cmd, &event)
	return cmd
}

func newEventsListCmd(env *cliEnv) *cobra.Command {
	req := &meetingsv1.ListEventsRequest{}
	cmd := &cobra.Command{
		Use: "list", Short: "List events", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
				res, err := c.ListEvents(cmd.Context(), req)
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, res.GetEvents(), eventColumns)
			})
		},
	}
	cmd.Flags().Int32Var(&req.PageSize, "page-size", 50, "events per page")
	cmd.Flags().StringVar(&req.PageToken, "page-token", "", "continue a previous listing")
	return cmd
}

// setEventStatus moves an event to st, at its current version.
func setEventStatus(cmd *cobra.Command, env *cliEnv, id string, st meetingsv1.EventStatus) error {
	return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
		cur, err := c.GetEvent(cmd.Context(), &meetingsv1.GetEventRequest{Id: id})
		if err != nil {
			return fromStatus(err)
		}
		res, err := c.UpdateEvent(cmd.Context(), &meetingsv1.UpdateEventRequest{
			Event:           &meetingsv1.Event{Id: id, Status: st},
			ExpectedVersion: cur.GetEvent().GetVersion(), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}})
		if err != nil {
			return fromStatus(err)
		}
		return printList(env, cmd.OutOrStdout(), res, []*meetingsv1.Event{res.GetEvent()}, eventColumns)
	})
}

func newEventsOpenCmd(env *cliEnv) *cobra.Command {
	var event string
	cmd := &cobra.Command{
		Use: "open EVENT", Short: "Open registration", Args: eventArgs(&event, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return setEventStatus(cmd, env, event, meetingsv1.EventStatus_EVENT_STATUS_REGISTRATION_OPEN)
		},
	}
	eventFlag(cmd, &event)
	return cmd
}

func newEventsStatusCmd(env *cliEnv) *cobra.Command {
	var event string
	cmd := &cobra.Command{
		Use:   "status EVENT draft|registration-open|scheduling|closed",
		Short: "Move the event through its lifecycle (scheduling closes registration)",
		Args:  eventArgs(&event, 1, "a status"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := client.ParseStatus(args[len(args)-1])
			if err != nil {
				return usageError{err}
			}
			return setEventStatus(cmd, env, event, st)
		},
	}
	eventFlag(cmd, &event)
	return cmd
}

// eventArgs lets every events subcommand take its event the same two ways:
// as the first argument or as --event (not both, unless they agree),
// followed by n other arguments (what).
func eventArgs(event *string, n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		byFlag := cmd.Flags().Changed("event")
		switch {
		case len(args) == n+1 && byFlag && args[0] != *event:
			return usageError{fmt.Errorf("two events given: %s and --event %s", args[0], *event)}
		case len(args) == n+1:
			*event = args[0]
		case len(args) == n && byFlag:
		case len(args) == n:
			return usageError{fmt.Errorf("give the event id, as the first argument or with --event")}
		case n > 0:
			return usageError{fmt.Errorf("expected the event id (or --event) and %s", what)}
		default:
			return usageError{fmt.Errorf("expected only the event id (or --event)")}
		}
		if *event == "" {
			return usageError{fmt.Errorf("the event id is empty")}
		}
		return nil
	}
}

func eventFlag(cmd *cobra.Command, event *string) {
	cmd.Flags().StringVar(event, "event", "", "event id (or give it as the first argument)")
}

func newEventsRegisterCmd(env *cliEnv) *cobra.Command {
	var event, org, person string
	var maxMeetings int32
	var offers []string
	cmd := &cobra.Command{
		Use: "register [EVENT]", Short: "Register an organisation or a person for an event", Args: eventArgs(&event, 0, ""),
		Example: `  tandem events register --event 01J... --organization 01J...`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ref := &profilesv1.ProfileRef{}
			switch {
			case org != "" && person == "":
				ref.Ref = &profilesv1.ProfileRef_OrganizationId{OrganizationId: org}
			case person != "" && org == "":
				ref.Ref = &profilesv1.ProfileRef_PersonId{PersonId: person}
			default:
				return usageError{fmt.Errorf("give exactly one of --organization and --person")}
			}
			req := &meetingsv1.RegisterParticipantRequest{EventId: event, Profile: ref, MaxMeetings: maxMeetings, CooperationProfileIds: offers}
			req.ClientRequestId = requestID("participant", req)
			return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
				res, err := c.RegisterParticipant(cmd.Context(), req)
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*meetingsv1.Participant{res.GetParticipant()}, participantColumns)
			})
		},
	}
	f := cmd.Flags()
	eventFlag(cmd, &event)
	f.StringVar(&org, "organization", "", "organisation id")
	f.StringVar(&person, "person", "", "person id")
	f.Int32Var(&maxMeetings, "max-meetings", 0, "most meetings wanted (0: the event's default)")
	f.StringSliceVar(&offers, "offer", nil, "cooperation profile id to show as a marketplace item (repeatable)")
	return cmd
}

func newEventsParticipantsCmd(env *cliEnv) *cobra.Command {
	req := &meetingsv1.ListParticipantsRequest{}
	cmd := &cobra.Command{
		Use: "participants [EVENT]", Short: "List an event's participants", Args: eventArgs(&req.EventId, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
				res, err := c.ListParticipants(cmd.Context(), req)
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, res.GetParticipants(), participantColumns)
			})
		},
	}
	eventFlag(cmd, &req.EventId)
	cmd.Flags().StringVar(&req.Query, "query", "", "text in the name")
	cmd.Flags().Int32Var(&req.PageSize, "page-size", 100, "participants per page")
	cmd.Flags().StringVar(&req.PageToken, "page-token", "", "continue a previous listing")
	return cmd
}

func newEventsAvailabilityCmd(env *cliEnv) *cobra.Command {
	req := &meetingsv1.SetAvailabilityRequest{}
	cmd := &cobra.Command{
		Use: "availability [EVENT]", Short: "Set a participant's available slots and meeting limit", Args: eventArgs(&req.EventId, 0, ""),
		Example: `  tandem events availability --event 01J... --participant 01J... --slot 20270310T0900 --slot 20270310T0930 --max-meetings 8`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
				res, err := c.SetAvailability(cmd.Context(), req)
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*meetingsv1.Participant{res.GetParticipant()}, participantColumns)
			})
		},
	}
	f := cmd.Flags()
	eventFlag(cmd, &req.EventId)
	f.StringVar(&req.ParticipantId, "participant", "", "participant id")
	f.StringSliceVar(&req.AvailableSlotIds, "slot", nil, "an available slot id (repeatable; none: every slot)")
	f.Int32Var(&req.MaxMeetings, "max-meetings", 0, "most meetings (0: the event's default)")
	return cmd
}

func newEventsRequestCmd(env *cliEnv) *cobra.Command {
	req := &meetingsv1.RequestMeetingRequest{}
	var must bool
	cmd := &cobra.Command{
		Use: "request [EVENT]", Short: "Ask another participant for a meeting", Args: eventArgs(&req.EventId, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			req.Priority = meetingsv1.MeetingPriority_MEETING_PRIORITY_WANT
			if must {
				req.Priority = meetingsv1.MeetingPriority_MEETING_PRIORITY_MUST
			}
			req.ClientRequestId = requestID("meeting-request", req)
			return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
				res, err := c.RequestMeeting(cmd.Context(), req)
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*meetingsv1.MeetingRequest{res.GetMeetingRequest()}, requestColumns)
			})
		},
	}
	f := cmd.Flags()
	eventFlag(cmd, &req.EventId)
	f.StringVar(&req.FromParticipantId, "from", "", "your participant id")
	f.StringVar(&req.ToParticipantId, "to", "", "the participant you want to meet")
	f.BoolVar(&must, "must", false, "a must-meet request (default: would like to meet)")
	f.StringVar(&req.Message, "message", "", "why you want to meet")
	f.StringVar(&req.CooperationProfileId, "about", "", "the cooperation profile the meeting is about")
	return cmd
}

func newEventsRequestsCmd(env *cliEnv) *cobra.Command {
	req := &meetingsv1.ListMeetingRequestsRequest{}
	cmd := &cobra.Command{
		Use: "requests [EVENT]", Short: "List meeting requests of an event or a participant", Args: eventArgs(&req.EventId, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if req.ParticipantId != "" {
				req.Direction = meetingsv1.RequestDirection_REQUEST_DIRECTION_BOTH
			}
			return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
				res, err := c.ListMeetingRequests(cmd.Context(), req)
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, res.GetMeetingRequests(), requestColumns)
			})
		},
	}
	f := cmd.Flags()
	eventFlag(cmd, &req.EventId)
	f.StringVar(&req.ParticipantId, "participant", "", "only requests from or to this participant")
	f.Int32Var(&req.PageSize, "page-size", 100, "requests per page")
	f.StringVar(&req.PageToken, "page-token", "", "continue a previous listing")
	return cmd
}

func newEventsRespondCmd(env *cliEnv) *cobra.Command {
	var message string
	cmd := &cobra.Command{
		Use: "respond REQUEST_ID accept|decline|no-thanks|cancel", Short: "Answer (or cancel) a meeting request",
		Args: exactArgs(2, "the request id and an answer"),
		RunE: func(cmd *cobra.Command, args []string) error {
			action, err := parseEnum(meetingsv1.MeetingRequestAction(0).Descriptor(), "MEETING_REQUEST_ACTION_", args[1])
			if err != nil {
				return err
			}
			return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
				res, err := c.RespondToMeetingRequest(cmd.Context(), &meetingsv1.RespondToMeetingRequestRequest{
					RequestId: args[0], Action: meetingsv1.MeetingRequestAction(action), Message: message})
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*meetingsv1.MeetingRequest{res.GetMeetingRequest()}, requestColumns)
			})
		},
	}
	cmd.Flags().StringVar(&message, "message", "", "a note to the requester")
	return cmd
}

var scheduleColumns = []column[*meetingsv1.Schedule]{
	{"SCHEDULE", func(s *meetingsv1.Schedule) string { return s.GetId() }},
	{"STATUS", func(s *meetingsv1.Schedule) string {
		return enumShort(s.GetStatus().Descriptor().Values().ByNumber(s.GetStatus().Number()), "SCHEDULE_STATUS_")
	}},
	{"PLACED", func(s *meetingsv1.Schedule) string { return strconv.Itoa(int(s.GetStats().GetMeetingsPlaced())) }},
	{"UPPER BOUND", func(s *meetingsv1.Schedule) string { return strconv.Itoa(int(s.GetStats().GetUpperBound())) }},
	{"MUST PLACED", func(s *meetingsv1.Schedule) string {
		return fmt.Sprintf("%d/%d", s.GetStats().GetMustPlaced(), s.GetStats().GetMustConsidered())
	}},
	{"MIN PER PARTICIPANT", func(s *meetingsv1.Schedule) string {
		return strconv.Itoa(int(s.GetStats().GetMinMeetingsPerParticipant()))
	}},
	{"WITHOUT MEETINGS", func(s *meetingsv1.Schedule) string {
		return strconv.Itoa(int(s.GetStats().GetParticipantsWithoutMeetings()))
	}},
}

func newEventsScheduleCmd(env *cliEnv) *cobra.Command {
	var event, policy, weights string
	var fill bool
	cmd := &cobra.Command{
		Use: "schedule [EVENT]", Short: "Generate a provisional schedule (--fill: only fill free slots)", Args: eventArgs(&event, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &meetingsv1.GenerateScheduleRequest{EventId: event, Mode: meetingsv1.ScheduleMode_SCHEDULE_MODE_FULL}
			if fill {
				req.Mode = meetingsv1.ScheduleMode_SCHEDULE_MODE_FILL_FREE_SLOTS
			}
			pol, err := parseEnum(meetingsv1.SchedulePolicy(0).Descriptor(), "SCHEDULE_POLICY_", policy)
			if err != nil {
				return err
			}
			req.Policy = meetingsv1.SchedulePolicy(pol)
			if weights != "" {
				var w [3]int32
				if _, err := fmt.Sscanf(weights, "%d,%d,%d", &w[0], &w[1], &w[2]); err != nil {
					return usageError{fmt.Errorf("--weights: want three numbers like 4,2,1: %w", err)}
				}
				req.BalancedWeights = &meetingsv1.BalancedWeights{Must: w[0], Mutual: w[1], Want: w[2]}
			}
			return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
				res, err := c.GenerateSchedule(cmd.Context(), req)
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*meetingsv1.Schedule{res.GetSchedule()}, scheduleColumns)
			})
		},
	}
	eventFlag(cmd, &event)
	cmd.Flags().BoolVar(&fill, "fill", false, "keep published meetings and only fill free slots")
	cmd.Flags().StringVar(&policy, "policy", "priorities-first", "what to optimise: priorities-first, most-meetings or balanced")
	cmd.Flags().StringVar(&weights, "weights", "", "balanced policy's weights of must, mutual and want meetings, e.g. 4,2,1 (default)")
	return cmd
}

func newEventsPublishCmd(env *cliEnv) *cobra.Command {
	req := &meetingsv1.PublishScheduleRequest{}
	cmd := &cobra.Command{
		Use: "publish [EVENT]", Short: "Publish a provisional schedule: meetings become confirmed", Args: eventArgs(&req.EventId, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
				res, err := c.PublishSchedule(cmd.Context(), req)
				if err != nil {
					return fromStatus(err)
				}
				return printList(env, cmd.OutOrStdout(), res, []*meetingsv1.Schedule{res.GetSchedule()}, scheduleColumns)
			})
		},
	}
	eventFlag(cmd, &req.EventId)
	cmd.Flags().StringVar(&req.ScheduleId, "schedule", "", "the schedule to publish (from events schedule)")
	return cmd
}

func newAgendaCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{Use: "agenda", Short: "A participant's agenda"}
	var event, participant string
	export := &cobra.Command{
		Use: "export", Short: "Write a participant's agenda as iCalendar (RFC 5545) to stdout", Args: cobra.NoArgs,
		Example: `  tandem agenda export --event 01J... --participant 01J... > agenda.ics`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if event == "" || participant == "" {
				return usageError{fmt.Errorf("--event and --participant are required")}
			}
			return meetingsCall(cmd, env, func(c meetingsv1.MeetingsServiceClient, cmd *cobra.Command) error {
				if _, err := client.ExportAgenda(cmd.Context(), c, event, participant, cmd.OutOrStdout()); err != nil {
					return fromStatus(err)
				}
				return nil
			})
		},
	}
	export.Flags().StringVar(&event, "event", "", "event id")
	export.Flags().StringVar(&participant, "participant", "", "participant id")
	cmd.AddCommand(export)
	return cmd
}
