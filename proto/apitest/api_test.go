// Package apitest guards the shape of the v1 API contract that five services
// implement: service and RPC names, streaming, and the domain event envelope.
package apitest

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	messagingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/messaging/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// The generated packages register their descriptors when imported; these
// references keep the imports meaningful.
var (
	_ = profilesv1.File_tandem_profiles_v1_profiles_service_proto
	_ = competenciesv1.File_tandem_competencies_v1_competencies_service_proto
	_ = matchingv1.File_tandem_matching_v1_matching_service_proto
	_ = meetingsv1.File_tandem_meetings_v1_meetings_service_proto
	_ = messagingv1.File_tandem_messaging_v1_messaging_service_proto
	_ = eventsv1.File_tandem_events_v1_profiles_events_proto
)

func TestServicesHaveExactlyTheContractRPCs(t *testing.T) {
	tests := []struct {
		service string
		rpcs    []string
	}{
		{"tandem.profiles.v1.ProfilesService", []string{
			"CreateOrganization", "GetOrganization", "UpdateOrganization", "ListOrganizations", "EraseOrganization",
			"BatchCreateOrganizations", "CreatePerson", "GetPerson", "UpdatePerson", "ListPeople", "ErasePerson",
		}},
		{"tandem.competencies.v1.CompetenciesService", []string{
			"SearchTerms", "GetTerm", "ResolveTerms", "PublishCompetency", "BatchPublishCompetencies", "RetractCompetency", "ListCompetencies",
			"CreateCooperationProfile", "UpdateCooperationProfile", "GetCooperationProfile", "ListCooperationProfiles",
			"PutCollaboration", "GetCollaboration", "ListCollaborations", "SummarizeHoldings",
		}},
		{"tandem.matching.v1.MatchingService", []string{
			"SuggestPartners", "ExplainMatch", "RecordFeedback", "WatchMatches", "ListSavedPartners",
		}},
		{"tandem.meetings.v1.MeetingsService", []string{
			"CreateEvent", "GetEvent", "UpdateEvent", "ListEvents", "RegisterParticipant", "SetAvailability",
			"ListParticipants", "RequestMeeting", "UpdateMeetingRequest", "RespondToMeetingRequest", "ListMeetingRequests", "BookMeeting",
			"GenerateSchedule", "PublishSchedule", "GetSchedule", "GetAgenda", "ExportCalendar",
			"BatchRegisterParticipants", "BatchRequestMeetings", "BatchRespondToMeetingRequests",
			"MoveMeeting", "SwapMeetings", "SetMeetingLock", "WithdrawParticipant", "PlaceRequest",
			"CheckInParticipant", "IssueCheckInCode", "MarkNoShow",
			"SetCalendarFeed", "GetCalendarFeed",
		}},
		{"tandem.messaging.v1.MessagingService", []string{
			"SendContactRequest", "RespondToContactRequest", "PostMessage", "GetConversation", "ListConversations",
			"GetNotificationSettings", "UpdateNotificationSettings", "MessageEventParticipants",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			sd := findService(t, tt.service)
			var got []string
			methods := sd.Methods()
			for i := range methods.Len() {
				m := methods.Get(i)
				got = append(got, string(m.Name()))
				if want := string(m.Name()) + "Request"; string(m.Input().Name()) != want {
					t.Errorf("%s input is %s, want %s", m.Name(), m.Input().Name(), want)
				}
				if want := string(m.Name()) + "Response"; string(m.Output().Name()) != want {
					t.Errorf("%s output is %s, want %s", m.Name(), m.Output().Name(), want)
				}
			}
			want := slices.Clone(tt.rpcs)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("RPCs of %s:\n got %v\nwant %v", tt.service, got, want)
			}
		})
	}
}

func TestStreamingShape(t *testing.T) {
	streaming := map[string]bool{"tandem.matching.v1.MatchingService.WatchMatches": true}
	for _, name := range []string{
		"tandem.profiles.v1.ProfilesService",
		"tandem.competencies.v1.CompetenciesService",
		"tandem.matching.v1.MatchingService",
		"tandem.meetings.v1.MeetingsService",
		"tandem.messaging.v1.MessagingService",
	} {
		methods := findService(t, name).Methods()
		for i := range methods.Len() {
			m := methods.Get(i)
			full := string(m.FullName())
			if m.IsStreamingClient() {
				t.Errorf("%s is client-streaming; no RPC is", full)
			}
			if m.IsStreamingServer() != streaming[full] {
				t.Errorf("%s server-streaming = %v, want %v", full, m.IsStreamingServer(), streaming[full])
			}
		}
	}
}

func TestEventsCarryTheEnvelope(t *testing.T) {
	envelope := map[protoreflect.Name]protoreflect.Kind{
		"event_id":          protoreflect.StringKind,
		"occurred_at":       protoreflect.MessageKind,
		"aggregate_id":      protoreflect.StringKind,
		"aggregate_version": protoreflect.Int64Kind,
	}
	subjects := map[string]protoreflect.FullName{}
	count := 0
	protoregistry.GlobalFiles.RangeFilesByPackage("tandem.events.v1", func(fd protoreflect.FileDescriptor) bool {
		msgs := fd.Messages()
		for i := range msgs.Len() {
			md := msgs.Get(i)
			count++
			for name, kind := range envelope {
				f := md.Fields().ByName(name)
				switch {
				case f == nil:
					t.Errorf("%s has no field %s", md.FullName(), name)
				case f.Kind() != kind || f.Cardinality() == protoreflect.Repeated:
					t.Errorf("%s.%s is %v %v, want singular %v", md.FullName(), name, f.Cardinality(), f.Kind(), kind)
				case name == "occurred_at" && f.Message().FullName() != "google.protobuf.Timestamp":
					t.Errorf("%s.occurred_at is %s, want google.protobuf.Timestamp", md.FullName(), f.Message().FullName())
				}
			}
			subject, _ := proto.GetExtension(md.Options(), eventsv1.E_Subject).(string)
			// profiles_events.proto holds the events of tandem.profiles.v1, and so on.
			service := strings.TrimSuffix(strings.TrimPrefix(fd.Path(), "tandem/events/v1/"), "_events.proto")
			if !subjectPattern.MatchString(subject) || !strings.HasPrefix(subject, "tandem."+service+".v1.") {
				t.Errorf("%s has subject %q, want tandem.%s.v1.<entity>.<verb>", md.FullName(), subject, service)
			}
			if other, dup := subjects[subject]; dup {
				t.Errorf("%s and %s share subject %q", md.FullName(), other, subject)
			}
			subjects[subject] = md.FullName()
		}
		return true
	})
	if count < 20 {
		t.Errorf("found %d event messages in tandem.events.v1, want at least 20", count)
	}
}

var subjectPattern = regexp.MustCompile(`^tandem\.(profiles|competencies|matching|meetings|messaging)\.v1\.[a-z][a-z_]*\.[a-z][a-z_]*$`)

func findService(t *testing.T, name string) protoreflect.ServiceDescriptor {
	t.Helper()
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		t.Fatalf("service %s not registered: %v", name, err)
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		t.Fatalf("%s is a %T, not a service", name, d)
	}
	return sd
}

// TestListCollaborationsReadsManyOrganisations: the collaboration history of
// many organisations (a cluster's members) is one paged call, by a repeated
// organization_ids beside the single organization_id.
func TestListCollaborationsReadsManyOrganisations(t *testing.T) {
	md := (&competenciesv1.ListCollaborationsRequest{}).ProtoReflect().Descriptor()
	for name, repeated := range map[protoreflect.Name]bool{"organization_id": false, "organization_ids": true, "page_size": false, "page_token": false} {
		f := md.Fields().ByName(name)
		if f == nil || f.Kind() != protoreflect.StringKind && f.Kind() != protoreflect.Int32Kind || (f.Cardinality() == protoreflect.Repeated) != repeated {
			t.Errorf("ListCollaborationsRequest.%s: %v, want repeated=%v", name, f, repeated)
		}
	}
}

// TestListPeopleReadsChosenPeople: the people a page shows are one call by
// a repeated ids, not a read of every person.
func TestListPeopleReadsChosenPeople(t *testing.T) {
	f := (&profilesv1.ListPeopleRequest{}).ProtoReflect().Descriptor().Fields().ByName("ids")
	if f == nil || f.Kind() != protoreflect.StringKind || f.Cardinality() != protoreflect.Repeated {
		t.Errorf("ListPeopleRequest.ids: %v, want repeated string", f)
	}
}

// TestListOrganizationsReadsChosenOrganisations: which of the organisations
// a page shows belong to a cluster is one call by a repeated ids beside
// cluster_id, not a read of every member of the cluster.
func TestListOrganizationsReadsChosenOrganisations(t *testing.T) {
	md := (&profilesv1.ListOrganizationsRequest{}).ProtoReflect().Descriptor()
	for name, repeated := range map[protoreflect.Name]bool{"ids": true, "cluster_id": false} {
		f := md.Fields().ByName(name)
		if f == nil || f.Kind() != protoreflect.StringKind || (f.Cardinality() == protoreflect.Repeated) != repeated {
			t.Errorf("ListOrganizationsRequest.%s: %v, want string, repeated=%v", name, f, repeated)
		}
	}
}
