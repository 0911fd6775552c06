package webui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tandem-cluster/tandem/pkg/auth"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestDashboardNetworkFilterAndFocus: in Chromium, a cluster manager
// narrows the network of who met, contacted or saved whom to a kind of
// organisation or a region, and focuses on one organisation to see its
// partners; the page says what it shows, and the table of pairs stays
// beside the drawing. In English at desktop width and in Italian on a
// phone, with no serious or critical axe-core violation.
func TestDashboardNetworkFilterAndFocus(t *testing.T) {
	root := browser(t)
	s, admin, org := dashboardStack(t)
	cluster := org("Net Cluster", "", profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER)
	alpha := org("Alpha Assays", cluster, profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY)
	beta := org("Beta University", cluster, profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY)
	gamma := createInCluster(t, s, admin, &profilesv1.Organization{Name: "Gamma Genomics", Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY,
		CountryCode: "IT", NutsCode: "ITC4", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC}, cluster)
	delta := org("Delta Institute", cluster, profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE)
	for _, f := range []struct {
		seeker, cand string
		kind         matchingv1.FeedbackKind
	}{
		{alpha, beta, matchingv1.FeedbackKind_FEEDBACK_KIND_MET},
		{alpha, gamma, matchingv1.FeedbackKind_FEEDBACK_KIND_CONTACTED},
		{beta, delta, matchingv1.FeedbackKind_FEEDBACK_KIND_SAVED},
	} {
		fb := &matchingv1.Feedback{Seeker: &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: f.seeker}}, Candidate: orgRef(f.cand), Kind: f.kind}
		eventually(t, "feedback recorded", func() (bool, string) {
			_, err := s.Matching.RecordFeedback(admin, &matchingv1.RecordFeedbackRequest{Feedback: fb, ClientRequestId: "net-" + f.seeker + f.cand})
			return err == nil, errString(err)
		})
	}

	m := newUser(t, root, s.URL, "cluster manager")
	m.signInWithToken(s, auth.Principal{Subject: "net-manager", Organization: cluster, Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{cluster}})
	rows := func() []string {
		return eval[[]string](m, `[...document.querySelectorAll("#pairs-table tbody tr")].map(r => [...r.cells].map(c => c.textContent.trim()).join(" | "))`)
	}
	// The web UI learns the pairs from the events: look again until all three are there.
	deadline := time.Now().Add(60 * time.Second)
	for {
		m.open("/dashboard")
		if len(rows()) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the network has %q, want 3 pairs", rows())
		}
		time.Sleep(200 * time.Millisecond) // polling interval
	}
	m.expect("#net-shows", "Showing all 3 pairs.")
	if got := rows(); got[0] != "Alpha Assays | Beta University | 1 | 0 | 0" {
		t.Errorf("the strongest pair is %q, want Alpha and Beta, who met", got[0])
	}
	m.accessible()

	// A kind: the pairs with a research institute.
	m.set("#f-net_kind", "ORGANIZATION_KIND_RESEARCH_INSTITUTE")
	m.submit("#net-show")
	if got := rows(); len(got) != 1 || !strings.HasPrefix(got[0], "Beta University | Delta Institute") && !strings.HasPrefix(got[0], "Delta Institute | Beta University") {
		t.Errorf("pairs with a research institute = %q", got)
	}
	m.expect("#net-shows", "Showing 1 of 3 pairs")
	// A region: the pairs with a member in ITC4.
	m.set("#f-net_kind", "")
	m.set("#f-net_region", "ITC4")
	m.submit("#net-show")
	if got := rows(); len(got) != 1 || !strings.Contains(got[0], "Gamma Genomics") || !strings.Contains(got[0], "Alpha Assays") {
		t.Errorf("pairs in ITC4 = %q", got)
	}
	// A focus: Alpha and its two partners, Alpha first on each row and in the centre of the drawing.
	m.set("#f-net_region", "")
	m.set("#f-focus", "org:"+alpha)
	m.submit("#net-show")
	m.expect("#net-shows", "Alpha Assays and its partners: 2 pairs.")
	got := rows()
	if len(got) != 2 || !strings.HasPrefix(got[0], "Alpha Assays | Beta University") || !strings.HasPrefix(got[1], "Alpha Assays | Gamma Genomics") {
		t.Errorf("Alpha's pairs = %q", got)
	}
	if strings.Contains(strings.Join(got, "\n"), "Delta") {
		t.Error("the focus on Alpha shows Delta, not its partner")
	}
	if !eval[bool](m, `(() => { const svg = document.querySelector("#network svg"); const vb = svg.viewBox.baseVal;
		return [...svg.querySelectorAll(".node")].some(g => g.textContent.includes("Alpha") && Math.abs(+g.querySelector("circle").getAttribute("cx") - vb.width/2) < 1) })()`) {
		t.Error("Alpha is not in the centre of the drawing")
	}
	m.accessible()
	m.shot("dashboard-network-focus")

	// In Italian on a phone: the same focus, said in Italian, the pairs as cards.
	m.do("phone screen", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	defer m.do("desktop screen", chromedp.ResetViewport())
	m.open("/lang/it?next=" + "%2Fdashboard%3Ffocus%3Dorg%3A" + alpha)
	m.expect("#net-shows", "Alpha Assays e i suoi partner: 2 coppie.")
	if n := len(rows()); n != 2 {
		t.Errorf("in Italian the focus shows %d pairs", n)
	}
	m.accessible()
	m.shot("phone-dashboard-network-it")
}
