package matching_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tandem-cluster/tandem/pkg/auth"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestAnonymousCandidatesHaveOpaqueRefs: an anonymous candidate is shown
// under a reference that is not its id, stable for one seeking
// organisation and different for another; explanations and feedback
// resolve it only for the organisation it was shown to, and its plain id
// is refused to them as a missing candidate is.
func TestAnonymousCandidatesHaveOpaqueRefs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.start()
	e.seedCluster()
	const shy = "QUIETLAB01"
	e.org(shy, "Quiet Lab of Trieste", institute, profilesv1.Visibility_VISIBILITY_ANONYMOUS, 1)
	e.comp("COMP-QUIET-LAB-9", shy, rnaSeq, 1)
	e.request("REQ2", "UNITS", "RNA-Seq for a study", rnaSeq)

	// The anonymous one is found through its stand-in name.
	anonOf := func(res *matchingv1.SuggestPartnersResponse) *matchingv1.Suggestion {
		for _, s := range res.GetSuggestions() {
			if s.GetCandidate().GetAnonymous() {
				return s
			}
		}
		return nil
	}
	hasAnon := func(req *matchingv1.SuggestPartnersRequest, as grpc.CallOption) *matchingv1.Suggestion {
		var got *matchingv1.Suggestion
		e.eventually("an anonymous suggestion", func() (bool, string) {
			res, err := c.SuggestPartners(e.ctx, req, as)
			if err != nil {
				return false, err.Error()
			}
			got = anonOf(res)
			return got != nil, protojson.Format(res)
		})
		return got
	}
	acme, units := suggestReq("ACME"), suggestReq("UNITS")
	first := hasAnon(acme, e.as("ACME"))
	ref := first.GetCandidate().GetRef().GetOrganizationId()
	if ref == "" || ref == shy || !strings.HasPrefix(ref, "anon-") {
		t.Fatalf("anonymous candidate shown as %q, want an opaque reference", ref)
	}
	if b := protojson.Format(first); strings.Contains(b, shy) || strings.Contains(b, "Quiet Lab") || strings.Contains(b, "COMP-QUIET-LAB-9") {
		t.Errorf("the suggestion names the anonymous candidate, its name or its competency: %s", b)
	}
	if again := hasAnon(acme, e.as("ACME")); again.GetCandidate().GetRef().GetOrganizationId() != ref {
		t.Errorf("reference changed between two suggestions for one seeker: %q, %q", ref, again.GetCandidate().GetRef().GetOrganizationId())
	}
	other := hasAnon(units, e.as("UNITS")).GetCandidate().GetRef().GetOrganizationId()
	if other == ref || other == shy {
		t.Errorf("another organisation sees the reference %q (ACME's is %q): it must be its own", other, ref)
	}

	candidate := func(id string) *profilesv1.ProfileRef {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}
	}
	explain := func(seeker *matchingv1.SuggestPartnersRequest, id string, as grpc.CallOption) (*matchingv1.ExplainMatchResponse, error) {
		return c.ExplainMatch(e.ctx, &matchingv1.ExplainMatchRequest{Seeker: seeker.GetSeeker(), Candidate: candidate(id)}, as)
	}
	refusals := map[string]string{}
	tampered := ref[:len(ref)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(ref, "AA")]
	for _, tc := range []struct {
		name   string
		seeker *matchingv1.SuggestPartnersRequest
		id     string
		as     grpc.CallOption
		want   codes.Code
	}{
		{"its own reference", acme, ref, e.as("ACME"), codes.OK},
		{"another organisation's reference", units, ref, e.as("UNITS"), codes.NotFound},
		{"a tampered reference", acme, tampered, e.as("ACME"), codes.NotFound},
		{"the plain id", acme, shy, e.as("ACME"), codes.NotFound},
		{"the plain id, as admin", acme, shy, e.as("ACME", auth.RoleAdmin), codes.OK},
		{"a missing id", acme, "NOSUCHORG", e.as("ACME"), codes.NotFound},
	} {
		t.Run("explain/"+tc.name, func(t *testing.T) {
			res, err := explain(tc.seeker, tc.id, tc.as)
			if status.Code(err) != tc.want {
				t.Fatalf("ExplainMatch: %v, want %v", err, tc.want)
			}
			if err != nil {
				refusals[tc.name] = strings.ReplaceAll(status.Convert(err).Message(), tc.id, "ID")
				return
			}
			if got := res.GetSuggestion().GetCandidate().GetRef().GetOrganizationId(); got != ref {
				t.Errorf("explanation shows the candidate as %q, want %q", got, ref)
			}
		})
	}

	// Naming the candidate by its plain id in a filter does not tie it to
	// a reference.
	only := suggestReq("ACME")
	only.Filter = &matchingv1.SuggestionFilter{CandidateIds: []string{shy}}
	if res, err := c.SuggestPartners(e.ctx, only, e.as("ACME")); err != nil || len(res.GetSuggestions()) != 0 {
		t.Errorf("suggestions filtered to the plain id: %v, %v; want none", res, err)
	}
	only.Filter.CandidateIds = []string{ref}
	if res, err := c.SuggestPartners(e.ctx, only, e.as("ACME")); err != nil || len(res.GetSuggestions()) != 1 || res.GetSuggestions()[0].GetCandidate().GetRef().GetOrganizationId() != ref {
		t.Errorf("suggestions filtered to the reference: %v, %v; want it alone", res, err)
	}

	for name, msg := range refusals {
		if msg != refusals["a missing id"] {
			t.Errorf("refusal of %s reads %q, of a missing id %q: they can be told apart", name, msg, refusals["a missing id"])
		}
	}

	feedback := func(seeker *matchingv1.SuggestPartnersRequest, id string, as grpc.CallOption) (*matchingv1.RecordFeedbackResponse, error) {
		return c.RecordFeedback(e.ctx, &matchingv1.RecordFeedbackRequest{Feedback: &matchingv1.Feedback{Seeker: seeker.GetSeeker(), Candidate: candidate(id),
			Kind: matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED, DismissReason: matchingv1.DismissReason_DISMISS_REASON_COMPETITOR}}, as)
	}
	for _, id := range []string{shy, tampered} {
		if _, err := feedback(acme, id, e.as("ACME")); status.Code(err) != codes.NotFound {
			t.Errorf("feedback on %q: %v, want NotFound", id, err)
		}
	}
	if _, err := feedback(units, ref, e.as("UNITS")); status.Code(err) != codes.NotFound {
		t.Errorf("feedback with another organisation's reference: %v, want NotFound", err)
	}
	// Feedback with its own reference reaches the candidate: dismissed,
	// it is no longer suggested.
	res, err := feedback(acme, ref, e.as("ACME"))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.GetFeedback().GetCandidate().GetOrganizationId(); got != ref {
		t.Errorf("feedback answers with candidate %q, want the reference %q", got, ref)
	}
	after, err := c.SuggestPartners(e.ctx, acme, e.as("ACME"))
	if err != nil {
		t.Fatal(err)
	}
	if s := anonOf(after); s != nil {
		t.Errorf("dismissed anonymous candidate still suggested: %v", s)
	}
	if s := hasAnon(units, e.as("UNITS")); s.GetCandidate().GetRef().GetOrganizationId() != other {
		t.Errorf("ACME's dismissal changed UNITS's suggestions: %v", s)
	}

}
