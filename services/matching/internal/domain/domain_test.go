package domain_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/vocab"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/matching/internal/adapters"
	"github.com/tandem-cluster/tandem/services/matching/internal/domain"
)

var ontology = sync.OnceValue(func() *adapters.Ontology {
	v, err := vocab.Load()
	if err != nil {
		panic(err)
	}
	return adapters.NewOntology(v)
})

const (
	rnaSeq          = "EDAM:topic_3170"
	proteomics      = "EDAM:topic_0121"
	cluster         = "CL-FVG"
	otherCluster    = "CL-OTHER"
	pub             = profilesv1.Visibility_VISIBILITY_PUBLIC
	company         = profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY
	university      = profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY
	institute       = profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE
	techRequest     = competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_REQUEST
	techOffer       = competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER
	published       = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED
	contractResarch = competenciesv1.CollaborationType_COLLABORATION_TYPE_CONTRACT_RESEARCH
)

func org(id, name string, kind profilesv1.OrganizationKind, vis profilesv1.Visibility, nuts string, clusters ...string) domain.Change {
	return domain.Change{Key: domain.OrgKey(id), Version: 1, Org: &domain.Org{ID: id, Name: name, Kind: kind, Visibility: vis, NUTS: nuts, Country: nuts[:2], Clusters: clusters, Version: 1}}
}

func comp(id string, holder domain.Ref, term string, pubs int32) domain.Change {
	c := &domain.Competency{ID: id, Holder: holder, TermID: term, Label: ontology().Label(term), Level: competenciesv1.CompetencyLevel_COMPETENCY_LEVEL_ADVANCED, Version: 1}
	c.Evidence[competenciesv1.EvidenceKind_EVIDENCE_KIND_PUBLICATION] = pubs
	return domain.Change{Key: domain.CompKey(id), Version: 1, Comp: c}
}

func coop(id string, holder domain.Ref, kind competenciesv1.CooperationProfileKind, title string, terms ...string) domain.Change {
	return domain.Change{Key: domain.CoopKey(id), Version: 1, Coop: &domain.Coop{ID: id, Holder: holder, Kind: kind, Title: title, Summary: title,
		TermIDs: terms, Status: published, CollaborationTypes: []competenciesv1.CollaborationType{contractResarch}, TRL: 6, Version: 1}}
}

// world is a small cluster: a company that needs RNA-Seq and research
// organizations around it.
func world(t *testing.T) *domain.Index {
	t.Helper()
	parent := ontology().Expand(rnaSeq)
	var broader string
	for _, r := range parent {
		if r.Relation == matchingv1.TermRelation_TERM_RELATION_BROADER && !r.Linked {
			broader = r.TermID
			break
		}
	}
	if broader == "" {
		t.Fatal("RNA-Seq has no broader term in the vocabulary")
	}
	x := domain.NewIndex(ontology())
	x.Apply(
		org(cluster, "Smart Health cluster", profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER, pub, "ITH4"),
		org("ACME", "Acme Diagnostics", company, pub, "ITH44", cluster),
		coop("REQ1", domain.OrgRef("ACME"), techRequest, "RNA-Seq service", rnaSeq),
		comp("C-ACME", domain.OrgRef("ACME"), proteomics, 0),
		org("UNITS", "University of Trieste", university, pub, "ITH44", cluster),
		comp("C1", domain.OrgRef("UNITS"), broader, 3),
		org("ICGEB", "ICGEB", institute, pub, "ITH44", cluster),
		comp("C2", domain.OrgRef("ICGEB"), rnaSeq, 0),
		org("BIOCO", "Bio Company", company, pub, "ITC4"),
		comp("C3", domain.OrgRef("BIOCO"), rnaSeq, 0),
		org("HID", "Hidden Lab", institute, profilesv1.Visibility_VISIBILITY_HIDDEN, "ITH4", cluster),
		comp("C4", domain.OrgRef("HID"), rnaSeq, 9),
		org("ANON", "Secret Institute", institute, profilesv1.Visibility_VISIBILITY_ANONYMOUS, "ITH42"),
		comp("C5", domain.OrgRef("ANON"), rnaSeq, 0),
		org("CLO", "Cluster Only Lab", institute, profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS, "DE11", otherCluster),
		comp("C6", domain.OrgRef("CLO"), rnaSeq, 0),
	)
	return x
}

func seek(orgID string) domain.Query {
	return domain.Query{Seeker: domain.Seeker{Kind: domain.SeekOrg, ID: orgID}, Viewer: domain.Viewer{Org: orgID}, Limit: 20}
}

func ids(res *matchingv1.SuggestPartnersResponse) []string {
	var out []string
	for _, s := range res.GetSuggestions() {
		out = append(out, s.GetCandidate().GetRef().GetOrganizationId()+s.GetCandidate().GetRef().GetPersonId())
	}
	return out
}

func find(res *matchingv1.SuggestPartnersResponse, id string) *matchingv1.Suggestion {
	for _, s := range res.GetSuggestions() {
		if s.GetCandidate().GetRef().GetOrganizationId()+s.GetCandidate().GetRef().GetPersonId() == id {
			return s
		}
	}
	return nil
}

func suggest(t *testing.T, x *domain.Index, q domain.Query) *matchingv1.SuggestPartnersResponse {
	t.Helper()
	res, err := x.Suggest(q)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestHierarchy(t *testing.T) {
	x := world(t)
	res := suggest(t, x, seek("ACME"))
	icgeb, units := find(res, "ICGEB"), find(res, "UNITS")
	if icgeb == nil || units == nil {
		t.Fatalf("suggestions %v lack ICGEB or UNITS", ids(res))
	}
	if icgeb.GetComponents().GetOntology() <= units.GetComponents().GetOntology() {
		t.Errorf("exact term ontology %.3f <= broader term %.3f", icgeb.GetComponents().GetOntology(), units.GetComponents().GetOntology())
	}
	var rel []matchingv1.TermRelation
	var text string
	for _, e := range units.GetExplanations() {
		if e.GetKind() == matchingv1.ExplanationKind_EXPLANATION_KIND_TERM_MATCH {
			rel = append(rel, e.GetRelation())
			text = e.GetText()
		}
	}
	if !slices.Contains(rel, matchingv1.TermRelation_TERM_RELATION_BROADER) || !strings.Contains(text, "your request 'RNA-Seq'") || !strings.Contains(text, "(broader term)") {
		t.Errorf("UNITS explained as %v %q, want a broader-term match of your request 'RNA-Seq'", rel, text)
	}
	if !hasKind(units, matchingv1.ExplanationKind_EXPLANATION_KIND_EVIDENCE, "3 publications as evidence") {
		t.Errorf("UNITS explanations %v lack the publications", units.GetExplanations())
	}
	if !hasKind(icgeb, matchingv1.ExplanationKind_EXPLANATION_KIND_SAME_CLUSTER, "same cluster") {
		t.Errorf("ICGEB explanations %v lack the shared cluster", icgeb.GetExplanations())
	}
	// Industry <-> research is preferred: the research institute beats the company with the same term.
	if bio := find(res, "BIOCO"); bio == nil || bio.GetComponents().GetComplementarity() >= icgeb.GetComponents().GetComplementarity() || bio.GetScore() >= icgeb.GetScore() {
		t.Errorf("company candidate %v not below research candidate %v", bio, icgeb)
	}
}

func hasKind(s *matchingv1.Suggestion, k matchingv1.ExplanationKind, text string) bool {
	return slices.ContainsFunc(s.GetExplanations(), func(e *matchingv1.ExplanationItem) bool {
		return e.GetKind() == k && strings.Contains(e.GetText(), text)
	})
}

func TestCrossVocabularyLink(t *testing.T) {
	x := world(t)
	linked := ontology().Expand(rnaSeq)[1]
	if linked.Relation != matchingv1.TermRelation_TERM_RELATION_LINKED {
		t.Fatalf("RNA-Seq's best neighbour is %v, want a linked MeSH term", linked)
	}
	x.Apply(org("MESHLAB", "MeSH Lab", institute, pub, "ITH41", cluster), comp("C9", domain.OrgRef("MESHLAB"), linked.TermID, 0))
	s := find(suggest(t, x, seek("ACME")), "MESHLAB")
	if s == nil || !slices.ContainsFunc(s.GetExplanations(), func(e *matchingv1.ExplanationItem) bool {
		return e.GetRelation() == matchingv1.TermRelation_TERM_RELATION_LINKED
	}) {
		t.Fatalf("a MeSH competency linked to the EDAM need was not matched as linked: %v", s)
	}
}

func TestRareTermsWeighMore(t *testing.T) {
	x := domain.NewIndex(ontology())
	x.Apply(org("S", "Seeker", company, pub, "ITH44"))
	// Many labs do proteomics, one does RNA-Seq.
	x.Apply(org("RARE", "Rare Lab", institute, pub, "ITH44"), comp("r1", domain.OrgRef("RARE"), rnaSeq, 0))
	x.Apply(org("COMMON", "Common Lab", institute, pub, "ITH44"), comp("c1", domain.OrgRef("COMMON"), proteomics, 0))
	for _, id := range []string{"P1", "P2", "P3", "P4", "P5", "P6"} {
		x.Apply(org(id, id, company, pub, "FR10"), comp("c"+id, domain.OrgRef(id), proteomics, 0))
	}
	q := seek("S")
	q.Need.Terms = []string{rnaSeq, proteomics}
	res := suggest(t, x, q)
	if r, c := find(res, "RARE"), find(res, "COMMON"); r == nil || c == nil || r.GetScore() <= c.GetScore() {
		t.Fatalf("rare-term match %v not above common-term match %v", r, c)
	}
}

func TestReciprocity(t *testing.T) {
	x := world(t)
	// Two equal labs; one asks for what ACME offers (proteomics).
	x.Apply(org("L1", "Lab One", institute, pub, "FR10"), comp("l1", domain.OrgRef("L1"), rnaSeq, 0),
		org("L2", "Lab Two", institute, pub, "FR10"), comp("l2", domain.OrgRef("L2"), rnaSeq, 0),
		coop("REQ2", domain.OrgRef("L2"), techRequest, "Proteomics partner", proteomics))
	res := suggest(t, x, seek("ACME"))
	l1, l2 := find(res, "L1"), find(res, "L2")
	if l1 == nil || l2 == nil {
		t.Fatalf("suggestions %v", ids(res))
	}
	if l2.GetComponents().GetReciprocity() == 0 || l2.GetScore() <= l1.GetScore() {
		t.Errorf("reciprocal lab %v not above %v", l2.GetComponents(), l1.GetComponents())
	}
	if !hasKind(l2, matchingv1.ExplanationKind_EXPLANATION_KIND_REQUEST_ANSWERED_BY_SEEKER, "answers their technology request 'Proteomics partner'") {
		t.Errorf("explanations %v", l2.GetExplanations())
	}
}

func TestOfferAnswersRequest(t *testing.T) {
	x := world(t)
	x.Apply(org("OFF", "Offering Lab", institute, pub, "ITH44"), coop("OF1", domain.OrgRef("OFF"), techOffer, "RNA-Seq facility", rnaSeq))
	s := find(suggest(t, x, seek("ACME")), "OFF")
	if s == nil || !hasKind(s, matchingv1.ExplanationKind_EXPLANATION_KIND_OFFER_ANSWERS_REQUEST, "their technology offer 'RNA-Seq facility' answers your request 'RNA-Seq service'") {
		t.Fatalf("offer not explained as answering the request: %v", s)
	}
	ex, err := x.Explain(seek("ACME"), domain.OrgRef("OFF"))
	if err != nil || !hasKind(ex.GetSuggestion(), matchingv1.ExplanationKind_EXPLANATION_KIND_COLLABORATION_TYPE, "contract research") {
		t.Errorf("collaboration type not explained in full: %v %v", ex, err)
	}
}

func TestFilters(t *testing.T) {
	x := world(t)
	tests := []struct {
		name    string
		filter  domain.Filter
		want    []string
		notWant []string
	}{
		{"research side only", domain.Filter{Kinds: []profilesv1.OrganizationKind{university, institute}}, []string{"ICGEB", "UNITS"}, []string{"BIOCO"}},
		{"companies only", domain.Filter{Kinds: []profilesv1.OrganizationKind{company}}, []string{"BIOCO"}, []string{"ICGEB"}},
		{"region", domain.Filter{NUTSPrefixes: []string{"ITH4"}}, []string{"ICGEB", "ANON"}, []string{"BIOCO"}},
		{"country", domain.Filter{Countries: []string{"IT"}}, []string{"BIOCO"}, []string{"CLO"}},
		{"cluster", domain.Filter{Clusters: []string{cluster}}, []string{"ICGEB"}, []string{"BIOCO", "ANON"}},
		{"exclude", domain.Filter{ExcludeIDs: []string{"ICGEB"}}, []string{"UNITS"}, []string{"ICGEB"}},
		{"only these", domain.Filter{CandidateIDs: []string{"BIOCO"}}, []string{"BIOCO"}, []string{"ICGEB"}},
		{"min TRL needs an offer", domain.Filter{MinTRL: 3}, nil, []string{"ICGEB", "BIOCO"}},
		{"people only", domain.Filter{CandidateType: matchingv1.CandidateType_CANDIDATE_TYPE_PERSON}, nil, []string{"ICGEB"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := seek("ACME")
			q.Filter = tc.filter
			got := ids(suggest(t, x, q))
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s missing from %v", w, got)
				}
			}
			for _, n := range tc.notWant {
				if slices.Contains(got, n) {
					t.Errorf("%s present in %v", n, got)
				}
			}
		})
	}
}

func TestVisibility(t *testing.T) {
	x := world(t)
	res := suggest(t, x, seek("ACME"))
	got := ids(res)
	if slices.Contains(got, "HID") {
		t.Error("hidden organization suggested")
	}
	if slices.Contains(got, "CLO") {
		t.Error("cluster-members-only organization of another cluster suggested")
	}
	anon := find(res, "ANON")
	if anon == nil {
		t.Fatalf("anonymous organization not suggested: %v", got)
	}
	if c := anon.GetCandidate(); !c.GetAnonymous() || strings.Contains(c.GetDisplayName(), "Secret") || c.GetCity() != "" || c.GetDisplayName() != "Research institute in ITH42" {
		t.Errorf("anonymous candidate shows %v", c)
	}
	q := seek("ACME")
	q.Viewer.Clusters = []string{otherCluster}
	if !slices.Contains(ids(suggest(t, x, q)), "CLO") {
		t.Error("cluster-members-only organization hidden from a member of its cluster")
	}
	// Explain does not reveal hidden candidates either.
	if _, err := x.Explain(seek("ACME"), domain.OrgRef("HID")); !domain.IsNotFound(err) {
		t.Errorf("explain hidden = %v, want not found", err)
	}
}

func TestDiversity(t *testing.T) {
	x := world(t)
	for _, p := range []string{"P1", "P2", "P3"} {
		x.Apply(domain.Change{Key: domain.PersonKey(p), Version: 1, Person: &domain.Person{ID: p, OrgID: "ICGEB", Name: "Researcher " + p, Version: 1}},
			comp("pc"+p, domain.PersonRef(p), rnaSeq, 2))
	}
	x.Apply(domain.Change{Key: domain.PersonKey("Q1"), Version: 1, Person: &domain.Person{ID: "Q1", OrgID: "UNITS", Name: "Researcher Q1", Version: 1}},
		comp("pcQ1", domain.PersonRef("Q1"), rnaSeq, 0))
	orgOf := map[string]string{"P1": "ICGEB", "P2": "ICGEB", "P3": "ICGEB", "Q1": "UNITS"}
	top := func(d matchingv1.Diversity, limit int) *matchingv1.SuggestPartnersResponse {
		q := seek("ACME")
		q.Filter.CandidateType = matchingv1.CandidateType_CANDIDATE_TYPE_PERSON
		q.Diversity, q.Limit = d, limit
		return suggest(t, x, q)
	}
	none := top(matchingv1.Diversity_DIVERSITY_NONE, 2)
	if got := ids(none); len(got) != 2 || orgOf[got[0]] != "ICGEB" || orgOf[got[1]] != "ICGEB" {
		t.Fatalf("pure score order %v, want two ICGEB researchers on top", got)
	}
	balanced := top(matchingv1.Diversity_DIVERSITY_BALANCED, 4)
	if got := ids(balanced); len(got) != 4 || orgOf[got[1]] != "UNITS" {
		t.Errorf("balanced top 4 = %v, want the other institution second", got)
	}
	for _, s := range balanced.GetSuggestions()[2:] {
		if s.GetComponents().GetDiversityPenalty() < 0.15 {
			t.Errorf("second researcher of one institution penalised only %v", s.GetComponents().GetDiversityPenalty())
		}
	}
	high := top(matchingv1.Diversity_DIVERSITY_HIGH, 10)
	seen := map[string]bool{}
	for _, id := range ids(high) {
		if seen[orgOf[id]] {
			t.Errorf("high diversity returned two people of %s: %v", orgOf[id], ids(high))
		}
		seen[orgOf[id]] = true
	}
}

func TestDismissedFeedback(t *testing.T) {
	x := world(t)
	book := domain.NewFeedbackBook()
	fb := func(id string, kind matchingv1.FeedbackKind) *matchingv1.Feedback {
		f := &matchingv1.Feedback{Id: id, Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "ACME"}},
			Candidate: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "ICGEB"}}, Kind: kind}
		if kind == matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED {
			f.DismissReason = matchingv1.DismissReason_DISMISS_REASON_COMPETITOR
		}
		return f
	}
	book.Apply(fb("01A", matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED))
	q := seek("ACME")
	book.For(&q)
	if slices.Contains(ids(suggest(t, x, q)), "ICGEB") {
		t.Fatal("dismissed candidate suggested again")
	}
	ex, err := x.Explain(q, domain.OrgRef("ICGEB"))
	if err != nil || len(ex.GetExclusionReasons()) == 0 || !strings.HasPrefix(ex.GetExclusionReasons()[0], "dismissed on ") {
		t.Errorf("explain of a dismissed candidate = %v, %v", ex.GetExclusionReasons(), err)
	}
	// Another seeker still gets it.
	other := seek("BIOCO")
	book.For(&other)
	if !slices.Contains(ids(suggest(t, x, other)), "ICGEB") {
		t.Error("dismissal leaked to another seeker")
	}
	// Cleared withdraws it; an older dismissal replayed later does not bring it back.
	book.Apply(fb("01B", matchingv1.FeedbackKind_FEEDBACK_KIND_CLEARED))
	book.Apply(fb("01A", matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED))
	q = seek("ACME")
	book.For(&q)
	if !slices.Contains(ids(suggest(t, x, q)), "ICGEB") {
		t.Error("cleared candidate still excluded")
	}
	book.Apply(fb("01C", matchingv1.FeedbackKind_FEEDBACK_KIND_MET))
	q = seek("ACME")
	book.For(&q)
	q.Filter.ExcludeExistingPartners = true
	if slices.Contains(ids(suggest(t, x, q)), "ICGEB") {
		t.Error("existing partner not excluded")
	}
}

// TestNoShowFeedback: a candidate who did not come to a meeting is no
// longer suggested to the seeker who came, saying why, until they meet
// (the mark taken back) or the seeker clears it; an older no-show replayed
// later does not bring it back, and other seekers are not concerned.
func TestNoShowFeedback(t *testing.T) {
	x := world(t)
	book := domain.NewFeedbackBook()
	fb := func(id string, kind matchingv1.FeedbackKind) *matchingv1.Feedback {
		return &matchingv1.Feedback{Id: id, Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: "ACME"}},
			Candidate: &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: "ICGEB"}}, Kind: kind}
	}
	excluded := func(who string) (bool, []string) {
		q := seek(who)
		book.For(&q)
		ex, err := x.Explain(q, domain.OrgRef("ICGEB"))
		if err != nil {
			t.Fatal(err)
		}
		return !slices.Contains(ids(suggest(t, x, q)), "ICGEB"), ex.GetExclusionReasons()
	}
	if out, _ := excluded("ACME"); out {
		t.Fatal("ICGEB not suggested to ACME before any feedback")
	}
	book.Apply(fb("01A", matchingv1.FeedbackKind_FEEDBACK_KIND_NO_SHOW))
	if out, why := excluded("ACME"); !out || len(why) == 0 || !strings.HasPrefix(why[0], "did not come to a meeting with you on ") {
		t.Fatalf("after the no-show: excluded %v, reasons %v", out, why)
	}
	if out, _ := excluded("BIOCO"); out {
		t.Error("the no-show concerned another seeker")
	}
	book.Apply(fb("01B", matchingv1.FeedbackKind_FEEDBACK_KIND_MET))
	book.Apply(fb("01A", matchingv1.FeedbackKind_FEEDBACK_KIND_NO_SHOW))
	if out, why := excluded("ACME"); out {
		t.Fatalf("after they met: still excluded (%v)", why)
	}
	book.Apply(fb("01C", matchingv1.FeedbackKind_FEEDBACK_KIND_NO_SHOW))
	book.Apply(fb("01D", matchingv1.FeedbackKind_FEEDBACK_KIND_CLEARED))
	if out, why := excluded("ACME"); out {
		t.Fatalf("after clearing: still excluded (%v)", why)
	}
}

func TestTextOnlyProfilesMatch(t *testing.T) {
	x := world(t)
	x.Apply(domain.Change{Key: domain.OrgKey("TXT"), Version: 1, Org: &domain.Org{ID: "TXT", Name: "Hepatology Lab", Kind: university, Visibility: pub,
		Description: "We study liver fibrosis and validate biomarkers of hepatic stellate cell activation.", Version: 1}})
	q := seek("ACME")
	q.Need.Text = "liver fibrosis biomarkers"
	res := suggest(t, x, q)
	s := find(res, "TXT")
	if s == nil || s.GetComponents().GetText() == 0 {
		t.Fatalf("a profile without terms did not match by text: %v", ids(res))
	}
	if len(res.GetResolvedNeedTermIds()) == 0 {
		t.Error("need text not resolved to terms")
	}
	if !hasKind(s, matchingv1.ExplanationKind_EXPLANATION_KIND_TEXT_MATCH, "'fibrosis'") {
		t.Errorf("explanations %v", s.GetExplanations())
	}
}

func TestIdempotentApply(t *testing.T) {
	x := world(t)
	before := ids(suggest(t, x, seek("ACME")))
	c := comp("C2", domain.OrgRef("ICGEB"), rnaSeq, 0)
	if n := x.Apply(c, c); n != 0 {
		t.Errorf("replayed change applied %d times", n)
	}
	newer := comp("C2", domain.OrgRef("ICGEB"), proteomics, 0)
	newer.Version = 2
	older := comp("C2", domain.OrgRef("ICGEB"), rnaSeq, 0)
	if n := x.Apply(newer, older); n != 1 {
		t.Errorf("applied %d, want only the newer change", n)
	}
	if x.Version(domain.CompKey("C2")) != 2 {
		t.Error("older event overwrote a newer one")
	}
	restore := comp("C2", domain.OrgRef("ICGEB"), rnaSeq, 0)
	restore.Version = 3
	x.Apply(restore)
	if got := ids(suggest(t, x, seek("ACME"))); !slices.Equal(got, before) {
		t.Errorf("after replays %v, want %v", got, before)
	}
}

func TestEraseRemovesCandidate(t *testing.T) {
	x := world(t)
	x.Apply(domain.Change{Key: domain.OrgKey("ICGEB"), Version: 2, Removed: true})
	for _, k := range x.HeldBy(domain.OrgRef("ICGEB")) {
		x.Apply(domain.Change{Key: k, Purge: true})
	}
	if slices.Contains(ids(suggest(t, x, seek("ACME"))), "ICGEB") {
		t.Fatal("erased organization suggested")
	}
	// A late replay of its upsert changes nothing.
	x.Apply(org("ICGEB", "ICGEB", institute, pub, "ITH44", cluster))
	if slices.Contains(ids(suggest(t, x, seek("ACME"))), "ICGEB") {
		t.Fatal("replayed upsert resurrected an erased organization")
	}
}

func TestSeekerKinds(t *testing.T) {
	x := world(t)
	q := seek("ACME")
	q.Seeker = domain.Seeker{Kind: domain.SeekCoop, ID: "REQ1"}
	if !slices.Contains(ids(suggest(t, x, q)), "ICGEB") {
		t.Error("cooperation-profile seeker got no match for its terms")
	}
	x.Apply(domain.Change{Key: domain.PersonKey("PA"), Version: 1, Person: &domain.Person{ID: "PA", OrgID: "ACME", Name: "Ann", Version: 1}},
		comp("pa", domain.PersonRef("PA"), rnaSeq, 0))
	q.Seeker = domain.Seeker{Kind: domain.SeekPerson, ID: "PA"}
	if !slices.Contains(ids(suggest(t, x, q)), "ICGEB") {
		t.Error("person seeker got no match for their competency")
	}
	q.Seeker = domain.Seeker{Kind: domain.SeekOrg, ID: "NOPE"}
	if _, err := x.Suggest(q); !domain.IsNotFound(err) {
		t.Errorf("unknown seeker: %v", err)
	}
}

func TestExplainAgreesWithSuggest(t *testing.T) {
	x := world(t)
	q := seek("ACME")
	q.Diversity = matchingv1.Diversity_DIVERSITY_NONE
	for _, s := range suggest(t, x, q).GetSuggestions() {
		ex, err := x.Explain(q, domain.OrgRef(s.GetCandidate().GetRef().GetOrganizationId()))
		if err != nil {
			t.Fatal(err)
		}
		if ex.GetSuggestion().GetScore() != s.GetScore() || len(ex.GetSuggestion().GetExplanations()) < len(s.GetExplanations()) {
			t.Errorf("explain %v disagrees with suggest %v", ex.GetSuggestion().GetScore(), s.GetScore())
		}
	}
}
