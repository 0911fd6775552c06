package ports

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

func FuzzDecodeLogin(f *testing.F) {
	for _, s := range []string{
		`{"username":"admin"}`, `{"username":""}`, `{}`, ``, `null`, `[]`, `{"username":"a"} x`,
		`{"username":"admin","password":"x"}`, `{"username":5}`, `{"username":"` + strings.Repeat("a", 65) + `"}`,
		`{"username":"\u0000"}`, `{"Username":"admin"}`, `{"username":"admin"}{"username":"b"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeLogin(data)
		if err != nil {
			var ve *grpcerr.ValidationError
			if !errors.Is(err, errBadBody) && !errors.As(err, &ve) {
				t.Fatalf("decodeLogin(%q) error %v is neither a bad body nor a validation error", data, err)
			}
			return
		}
		if strings.TrimSpace(req.Username) == "" || len(req.Username) > maxUsernameLen {
			t.Fatalf("decodeLogin(%q) accepted username %q", data, req.Username)
		}
	})
}

func FuzzDecodeJSONBody(f *testing.F) {
	for _, s := range []string{
		`{"organization":{"name":"Acme","kind":"ORGANIZATION_KIND_COMPANY"},"clientRequestId":"k"}`,
		`{"organization":{"name":5}}`, `{"organisation":{}}`, `{} {}`, ``, `   `, `null`, `[]`, `"x"`,
		`{"organization":{"sectors":["SECTOR_BIOTECH",1]}}`, `{"client_request_id":"a","clientRequestId":"b"}`,
		`{"organization":{"createdAt":"2025-01-01T00:00:00Z"}}`, `{"organization":{"createdAt":"yesterday"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req profilesv1.CreateOrganizationRequest
		err := decodeJSONBody(data, &req)
		if errors.Is(err, io.EOF) {
			if strings.TrimSpace(string(data)) != "" {
				t.Fatalf("non-empty body %q taken as empty", data)
			}
			return
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid JSON body: ") || strings.Contains(err.Error(), "proto:") {
				t.Fatalf("error %q does not read as a body error", err)
			}
			return
		}
		// What was accepted survives a round trip unchanged.
		out, err := protojson.Marshal(&req)
		if err != nil {
			t.Fatalf("re-marshal: %v", err)
		}
		var again profilesv1.CreateOrganizationRequest
		if err := decodeJSONBody(out, &again); err != nil && !errors.Is(err, io.EOF) {
			t.Fatalf("re-decode %s: %v", out, err)
		}
		if !proto.Equal(&req, &again) {
			t.Fatalf("round trip changed %v into %v", &req, &again)
		}
	})
}

func FuzzValidRequestID(f *testing.F) {
	for _, s := range []string{"01J8Z3", "3f2c9a1e-7b4d-4c8e-9f00-1234567890ab", "a b", "a\r\nb", "", "ü", strings.Repeat("x", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if !validRequestID(id) {
			return
		}
		// Accepted ids go into headers, logs and gRPC metadata unchanged.
		if len(id) > 128 || !utf8.ValidString(id) || strings.ContainsAny(id, " \t\r\n\"\\,;") {
			t.Fatalf("accepted request id %q", id)
		}
		for _, c := range []byte(id) {
			if c < 0x21 || c > 0x7e {
				t.Fatalf("accepted request id %q with byte %#x", id, c)
			}
		}
	})
}

func FuzzCheckQueryKey(f *testing.F) {
	for _, s := range []string{"pageSize", "page_size", "seeker.profile.id", "need.text", "need", "need.text.x", "filter.", ".", "", "labels[k]", "a[", "seeker..id"} {
		f.Add(s)
	}
	md := (&matchingv1.SuggestPartnersRequest{}).ProtoReflect().Descriptor()
	f.Fuzz(func(t *testing.T, key string) {
		if err := checkQueryKey(md, key); err != nil {
			if !strings.Contains(err.Error(), "unknown query parameter") {
				t.Fatalf("checkQueryKey(%q) = %v", key, err)
			}
			return
		}
		// Every accepted key starts with a real field.
		first := strings.Split(strings.SplitN(key, "[", 2)[0], ".")[0]
		if md.Fields().ByName(protoreflectName(first)) == nil && md.Fields().ByJSONName(first) == nil {
			t.Fatalf("checkQueryKey(%q) accepted an unknown field", key)
		}
	})
}

func TestCodeName(t *testing.T) {
	for c, want := range map[codes.Code]string{
		codes.InvalidArgument: "INVALID_ARGUMENT", codes.NotFound: "NOT_FOUND", codes.OK: "OK",
		codes.DeadlineExceeded: "DEADLINE_EXCEEDED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
		codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Unauthenticated: "UNAUTHENTICATED",
	} {
		if got := codeName(c); got != want {
			t.Errorf("codeName(%v) = %q, want %q", c, got, want)
		}
	}
}

func TestSafeFilename(t *testing.T) {
	for in, want := range map[string]string{
		"smart-health-2025-agenda.ics": "smart-health-2025-agenda.ics",
		"a\"b\r\nc.ics":                "a_b__c.ics",
		"":                             "agenda.ics",
		"..":                           "agenda.ics",
		"ünï.ics":                      "_n_.ics",
	} {
		if got := safeFilename(in); got != want {
			t.Errorf("safeFilename(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClientIP(t *testing.T) {
	for _, tt := range []struct {
		name  string
		trust bool
		xff   []string
		want  string
	}{
		{"remote address", false, nil, "192.0.2.1"},
		{"forwarded for ignored", false, []string{"198.51.100.7"}, "192.0.2.1"},
		{"last forwarded entry", true, []string{"203.0.113.9, 198.51.100.7"}, "198.51.100.7"},
		{"last header", true, []string{"203.0.113.9", "198.51.100.8"}, "198.51.100.8"},
		{"garbage falls back", true, []string{"not-an-ip"}, "192.0.2.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/", nil)
			r.RemoteAddr = "192.0.2.1:5555"
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientIPFunc(tt.trust)(r); got != tt.want {
				t.Errorf("client ip = %q, want %q", got, tt.want)
			}
		})
	}
}

func protoreflectName(s string) protoreflect.Name { return protoreflect.Name(s) }
