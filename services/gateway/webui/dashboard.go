package webui

import (
	"cmp"
	"context"
	"fmt"
	"html"
	"html/template"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// maxPages bounds how many pages a dashboard list reads, so a very large
// cluster makes the page slower, not endless.
const maxPages = 40

type count struct {
	Label string
	N     int
}

// regionRow is what the members of a region (NUTS-3 area, else country)
// hold: members, published offers (competencies and offers) and needs, and
// collaborations in the chosen period.
type regionRow struct {
	Label                                  string
	Members, Offers, Needs, Collaborations int
}

type coverage struct {
	ID, Label     string
	Offers, Needs int
}

// Unmet reports a need nobody offers.
func (c coverage) Unmet() bool { return c.Needs > 0 && c.Offers == 0 }

type dashboardView struct {
	Total       int
	ByKind      []count
	BySector    []count
	ByRegion    []regionRow
	MaxKind     int
	MaxSector   int
	MaxRegion   int
	Coverage    []coverage
	Chart       template.HTML
	Network     template.HTML
	Net         networkView
	Pairs       int
	Problems    []*problem
	ClusterName string
	// Trend holds the dated figures in the chosen period and by month.
	Trend      trend
	TrendChart template.HTML
	Periods    []choice
	Events     eventKPIs
	Links      collabNetwork
}

func (u *UI) dashboardPage(c *call) error {
	if !c.user.Is("cluster_manager") {
		return c.render("message", "dashboard.title", messageView{Title: "dashboard.title", Problem: &problem{Message: c.L.T("error.permission"), Code: codes.PermissionDenied}}, &problem{Message: c.L.T("error.permission"), Code: codes.PermissionDenied})
	}
	v := u.dashboardData(c)
	return c.render("dashboard", "dashboard.title", v, nil)
}

// dashboardCSV exports the dashboard's tables — members by kind, sector and
// region, and the coverage of terms by offers and needs — as one CSV file
// with a section column, for a spreadsheet.
func (u *UI) dashboardCSV(c *call) error {
	if !c.user.Is("cluster_manager") {
		return status.Error(codes.PermissionDenied, c.L.T("error.permission"))
	}
	v := u.dashboardData(c)
	var rows [][]string
	for _, sec := range []struct {
		key  string
		rows []count
	}{{"dashboard.by_kind", v.ByKind}, {"dashboard.by_sector", v.BySector}} {
		for _, r := range sec.rows {
			rows = append(rows, []string{c.L.T(sec.key), r.Label, strconv.Itoa(r.N), ""})
		}
	}
	for _, r := range v.ByRegion {
		for _, col := range []struct {
			key string
			n   int
		}{{"dashboard.by_region", r.Members}, {"dashboard.csv_region_offers", r.Offers}, {"dashboard.csv_region_needs", r.Needs}, {"dashboard.csv_region_collabs", r.Collaborations}} {
			rows = append(rows, []string{c.L.T(col.key), r.Label, strconv.Itoa(col.n), ""})
		}
	}
	for _, r := range v.Coverage {
		rows = append(rows, []string{c.L.T("dashboard.coverage"), r.Label, strconv.Itoa(r.Offers), strconv.Itoa(r.Needs)})
	}
	for _, sr := range v.Trend.Series {
		label := c.L.T(sr.Label)
		rows = append(rows, []string{c.L.T("dashboard.csv_period", c.L.T(periodLabel(v.Trend.Period))), label, strconv.Itoa(sr.InPeriod), ""})
		for i, m := range v.Trend.Months {
			rows = append(rows, []string{c.L.T("dashboard.csv_month", m), label, strconv.Itoa(sr.Months[i]), ""})
		}
	}
	// The brokerage events and the collaboration links of the period.
	for _, ev := range v.Events.Events {
		f := ev.Figures
		for _, fig := range []struct {
			key string
			n   int
			ok  bool
		}{{"event.participants", f.Participants, true}, {"dashboard.ev_requests", f.Requests, true}, {"dashboard.ev_placed", f.Placed, f.HasSchedule}, {"dashboard.ev_without", f.Without, f.HasSchedule}} {
			if fig.ok {
				rows = append(rows, []string{c.L.T("dashboard.csv_event", c.L.T(fig.key)), ev.Name, strconv.Itoa(fig.n), ""})
			}
		}
		if f.Responded > 0 {
			rows = append(rows, []string{c.L.T("dashboard.csv_event", c.L.T("event.acceptance")), ev.Name, c.L.Percent(f.AcceptanceRate), ""})
		}
	}
	unnamed := func(s string) string { return cmp.Or(s, c.L.T("dashboard.unnamed")) }
	for _, o := range v.Links.Orgs {
		rows = append(rows, []string{c.L.T("dashboard.csv_link_partners"), unnamed(o.Name), strconv.Itoa(o.Partners), ""})
	}
	for _, l := range v.Links.Links {
		rows = append(rows, []string{c.L.T("dashboard.csv_link"), unnamed(l.AName) + " – " + unnamed(l.BName), strconv.Itoa(l.N), ""})
	}
	header := []string{c.L.T("dashboard.csv_section"), c.L.T("dashboard.csv_item"), c.L.T("dashboard.csv_count"), c.L.T("dashboard.csv_needs")}
	return c.writeCSVFile("tandem-dashboard.csv", header, len(rows), func(i int) []string { return rows[i] })
}

// dashboardData gathers the dashboard as the user may see it; parts whose
// service failed are left empty with a problem.
func (u *UI) dashboardData(c *call) dashboardView {
	ctx, cancel := c.ctx()
	defer cancel()
	v := dashboardView{Periods: periods}
	now := time.Now().UTC()
	when := periodOf(c.r.URL.Query().Get("period"), now)
	dates := dated{}
	// A cluster manager sees the clusters they manage, as the profiles
	// service lists them (hidden organisations are not listed); an admin
	// sees everything.
	admin := c.user.Has("admin")
	var clusters []string
	if !admin {
		clusters = c.user.Clusters
	}
	var orgs []*profilesv1.Organization
	if admin {
		all, err := u.allOrganizations(ctx, "")
		if err != nil {
			v.Problems = append(v.Problems, problemFrom(c.L, err))
		}
		orgs = all
	}
	var clusterNames []string
	seenOrg := map[string]bool{}
	for _, cluster := range clusters {
		if res, err := u.opts.Profiles.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: cluster}); err == nil && res.GetOrganization().GetName() != "" {
			clusterNames = append(clusterNames, res.GetOrganization().GetName())
		}
		members, err := u.allOrganizations(ctx, cluster)
		if err != nil {
			v.Problems = append(v.Problems, problemFrom(c.L, err))
		}
		for _, o := range members {
			if !seenOrg[o.GetId()] {
				seenOrg[o.GetId()] = true
				orgs = append(orgs, o)
			}
		}
	}
	v.ClusterName = strings.Join(clusterNames, ", ")
	isCluster := map[string]bool{}
	for _, id := range clusters {
		isCluster[id] = true
	}
	names := map[string]string{}
	kinds, sectors := map[profilesv1.OrganizationKind]int{}, map[profilesv1.Sector]int{}
	regions := map[string]*regionRow{}
	regionOfMember := map[string]string{}
	inRegion := func(r string) *regionRow {
		if regions[r] == nil {
			regions[r] = &regionRow{Label: cmp.Or(r, c.L.T("dashboard.no_region"))}
		}
		return regions[r]
	}
	for _, o := range orgs {
		names["org:"+o.GetId()] = o.GetName()
		if isCluster[o.GetId()] {
			continue
		}
		v.Total++
		if t := o.GetCreatedAt(); t != nil {
			dates.add(actOrgs, t.AsTime())
		}
		kinds[o.GetKind()]++
		regionOfMember[o.GetId()] = regionOf(o)
		inRegion(regionOf(o)).Members++
		for _, s := range o.GetSectors() {
			sectors[s]++
		}
	}
	for k, n := range kinds {
		v.ByKind = append(v.ByKind, count{Label: c.L.E(k), N: n})
		v.MaxKind = max(v.MaxKind, n)
	}
	for s, n := range sectors {
		v.BySector = append(v.BySector, count{Label: c.L.E(s), N: n})
		v.MaxSector = max(v.MaxSector, n)
	}
	byCount := func(a, b count) int { return cmp.Or(b.N-a.N, strings.Compare(a.Label, b.Label)) }
	slices.SortFunc(v.ByKind, byCount)
	slices.SortFunc(v.BySector, byCount)

	// Meetings and contact requests of a cluster manager's dashboard count
	// when one side is a member of the managed clusters or a person of one:
	// the organisations of the people in them and in the network are looked
	// up, not those of every person.
	acts, pairs := u.hub.activities(), u.hub.network()
	var sides []*profilesv1.ProfileRef
	for _, a := range acts {
		sides = append(sides, refFromKey(a.A), refFromKey(a.B))
	}
	for _, p := range pairs {
		sides = append(sides, refFromKey(p.A), refFromKey(p.B))
	}
	orgOf, err := u.personOrganizations(ctx, sides)
	if err != nil {
		v.Problems = append(v.Problems, problemFrom(c.L, err))
	}
	var inScope func(*profilesv1.ProfileRef) bool
	if !admin {
		inScope = func(r *profilesv1.ProfileRef) bool {
			if id := r.GetPersonId(); id != "" {
				return seenOrg[orgOf[id]]
			}
			return seenOrg[r.GetOrganizationId()]
		}
	}
	for _, a := range acts {
		if inScope == nil || inScope(refFromKey(a.A)) || inScope(refFromKey(a.B)) {
			dates.add(a.Kind, a.At)
		}
	}
	// A cluster manager's coverage counts the holders of the managed
	// clusters only: their organisations, and people of those; the
	// competencies service counts them in one call. Offers and needs count
	// in the region of the member holding them.
	var members []string
	if !admin {
		members = slices.Sorted(maps.Keys(seenOrg))
	}
	sum, cov, err := u.coverage(ctx, admin, members, when.Since)
	if err != nil {
		v.Problems = append(v.Problems, problemFrom(c.L, err))
	}
	for _, o := range sum.GetOrganizations() {
		if region, ok := regionOfMember[o.GetOrganizationId()]; ok {
			inRegion(region).Offers += int(o.GetOffers())
			inRegion(region).Needs += int(o.GetNeeds())
		}
	}
	v.Coverage = topCoverage(cov, 12)
	for i, t := range v.Coverage {
		v.Coverage[i].Label = c.L.Label(t.ID, t.Label)
	}
	v.Chart = coverageSVG(c.L, v.Coverage)
	v.Trend = trendOf(dates, when, now)
	v.Trend.addCounted(actCompetencies, int(sum.GetCompetenciesSince()), monthsOf(sum.GetCompetenciesByMonth()))
	v.Trend.addCounted(actOffers, int(sum.GetCooperationProfilesSince()), monthsOf(sum.GetCooperationProfilesByMonth()))
	v.Events = u.dashboardEvents(ctx, clusters, admin, when.Since, func(err error) {
		if err != nil && status.Code(err) != codes.NotFound { // an event without a schedule yet
			v.Problems = append(v.Problems, problemFrom(c.L, err))
		}
	})
	v.TrendChart = trendSVG(c.L, v.Trend)

	if !admin {
		// Only edges between organisations of the managed clusters: no
		// other organisation, and no person, appears even as a node.
		pairs = slices.DeleteFunc(pairs, func(p pair) bool {
			_, a := names[p.A]
			_, b := names[p.B]
			return !a || !b
		})
	} else {
		var people []*profilesv1.ProfileRef
		for _, p := range pairs {
			for _, k := range []string{p.A, p.B} {
				if _, ok := names[k]; !ok {
					if r := refFromKey(k); r != nil {
						people = append(people, r)
					}
				}
			}
		}
		maps.Copy(names, c.names(people))
	}
	v.Links = u.collaborationNetwork(ctx, regionOfMember, when.Since, c.orgNames(names), func(err error) {
		v.Problems = append(v.Problems, problemFrom(c.L, err))
	})
	for r, n := range v.Links.ByRegion {
		inRegion(r).Collaborations = n
	}
	for _, r := range regions {
		v.ByRegion = append(v.ByRegion, *r)
		v.MaxRegion = max(v.MaxRegion, r.Members)
	}
	slices.SortFunc(v.ByRegion, func(a, b regionRow) int {
		return cmp.Or(b.Members-a.Members, b.Offers+b.Needs-a.Offers-a.Needs, strings.Compare(a.Label, b.Label))
	})
	nodes := map[string]networkNode{}
	for _, o := range orgs {
		nodes["org:"+o.GetId()] = networkNode{Kind: o.GetKind(), Region: regionOf(o)}
	}
	for person, org := range orgOf {
		if n, ok := nodes["org:"+org]; ok {
			nodes["person:"+person] = n
		}
	}
	v.Pairs = len(pairs)
	var shown []pair
	v.Net, shown = networkOf(c.L, c.r.URL.Query(), pairs, nodes, names)
	v.Network = networkSVG(c.L, shown, names, 30, v.Net.Focus)
	return v
}

// regionOf is an organisation's NUTS-3 area (or the coarser code it gave),
// else its country, else "".
func regionOf(o *profilesv1.Organization) string {
	if n := o.GetNutsCode(); n != "" {
		return n[:min(len(n), 5)]
	}
	return o.GetCountryCode()
}

func (u *UI) allOrganizations(ctx context.Context, cluster string) ([]*profilesv1.Organization, error) {
	var out []*profilesv1.Organization
	token := ""
	for range maxPages {
		res, err := u.opts.Profiles.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{PageSize: 500, PageToken: token, ClusterId: cluster})
		if err != nil {
			return out, err
		}
		out = append(out, res.GetOrganizations()...)
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	return out, nil
}

// peopleIDsPerCall is how many people one ListPeople call may name.
const peopleIDsPerCall = 500

// personOrganizations maps the people among refs whom the caller may see
// to their organisations. It asks for those people by id, in calls of up
// to peopleIDsPerCall, so a page costs what it shows, not a read of every
// person of the platform.
func (u *UI) personOrganizations(ctx context.Context, refs []*profilesv1.ProfileRef) (map[string]string, error) {
	out := map[string]string{}
	var ids []string
	seen := map[string]bool{}
	for _, r := range refs {
		if id := r.GetPersonId(); id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for batch := range slices.Chunk(ids, peopleIDsPerCall) {
		res, err := u.opts.Profiles.ListPeople(ctx, &profilesv1.ListPeopleRequest{Ids: batch, PageSize: peopleIDsPerCall})
		if err != nil {
			return out, err
		}
		for _, p := range res.GetPeople() {
			out[p.GetId()] = p.GetOrganizationId()
		}
	}
	return out, nil
}

// orgIDsPerCall is how many organisations one ListOrganizations call may
// name.
const orgIDsPerCall = 500

// membersAmong lists the organisations among ids that are members of
// cluster, as the caller may see them. It asks for them by id, in calls of
// up to orgIDsPerCall, so a page costs what it shows, not a read of every
// member of the cluster.
func (u *UI) membersAmong(ctx context.Context, cluster string, ids []string) ([]*profilesv1.Organization, error) {
	var out []*profilesv1.Organization
	for batch := range slices.Chunk(ids, orgIDsPerCall) {
		res, err := u.opts.Profiles.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{Ids: batch, ClusterId: cluster, PageSize: orgIDsPerCall})
		if err != nil {
			return out, err
		}
		out = append(out, res.GetOrganizations()...)
	}
	return out, nil
}

// coverage asks the competencies service, in one call, for what the
// holders in scope hold (every holder the caller may see when every is
// set, else members and their people), and returns it with its terms'
// coverage: per term, the holders offering it (competencies and offers)
// and the holders needing it (published requests).
func (u *UI) coverage(ctx context.Context, every bool, members []string, since time.Time) (*competenciesv1.SummarizeHoldingsResponse, map[string]*coverage, error) {
	terms := map[string]*coverage{}
	if !every && len(members) == 0 {
		return nil, terms, nil
	}
	req := &competenciesv1.SummarizeHoldingsRequest{OrganizationIds: members, EveryHolder: every}
	if !since.IsZero() {
		req.Since = timestamppb.New(since)
	}
	sum, err := u.opts.Competencies.SummarizeHoldings(ctx, req)
	if err != nil {
		return nil, terms, err
	}
	for _, t := range sum.GetTerms() {
		terms[t.GetTermId()] = &coverage{ID: t.GetTermId(), Label: t.GetLabel(), Offers: int(t.GetOfferingHolders()), Needs: int(t.GetNeedingHolders())}
	}
	return sum, terms, nil
}

// monthsOf maps counts by month.
func monthsOf(ms []*competenciesv1.MonthCount) map[string]int {
	out := map[string]int{}
	for _, m := range ms {
		out[m.GetMonth()] += int(m.GetCount())
	}
	return out
}

// topCoverage picks the terms to chart: unmet needs first (up to half the
// chart, most needed first), then the most active terms.
func topCoverage(all map[string]*coverage, n int) []coverage {
	var unmet, rest []coverage
	for _, t := range all {
		if t.Unmet() {
			unmet = append(unmet, *t)
		} else {
			rest = append(rest, *t)
		}
	}
	order := func(a, b coverage) int {
		return cmp.Or(b.Needs+b.Offers-a.Needs-a.Offers, b.Needs-a.Needs, strings.Compare(a.ID, b.ID))
	}
	slices.SortFunc(unmet, order)
	slices.SortFunc(rest, order)
	if len(unmet) > n/2 {
		unmet = unmet[:n/2]
	}
	out := append(unmet, rest[:min(len(rest), n-len(unmet))]...)
	slices.SortFunc(out, order)
	return out
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// coverageSVG draws offers and needs per term as paired horizontal bars;
// rows of unmet needs get a highlighted band and a marker.
func coverageSVG(l *Lang, rows []coverage) template.HTML {
	const (
		labelW = 230
		barW   = 300
		rowH   = 34
		top    = 40
	)
	maxN := 1
	for _, r := range rows {
		maxN = max(maxN, r.Offers, r.Needs)
	}
	h := top + rowH*max(len(rows), 1) + 10
	w := labelW + barW + 90
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="cov-title cov-desc">`, w, h)
	fmt.Fprintf(&b, `<title id="cov-title">%s</title><desc id="cov-desc">%s</desc>`, esc(l.T("dashboard.coverage")), esc(l.T("dashboard.coverage_desc")))
	fmt.Fprintf(&b, `<rect x="%d" y="8" width="14" height="10" class="bar-offer"/><text x="%d" y="17" class="legend">%s</text>`, labelW, labelW+18, esc(l.T("dashboard.offers")))
	fmt.Fprintf(&b, `<rect x="%d" y="8" width="14" height="10" class="bar-need"/><text x="%d" y="17" class="legend">%s</text>`, labelW+110, labelW+128, esc(l.T("dashboard.needs")))
	fmt.Fprintf(&b, `<rect x="%d" y="8" width="14" height="10" class="unmet-band"/><text x="%d" y="17" class="legend">%s</text>`, labelW+220, labelW+238, esc(l.T("dashboard.unmet")))
	if len(rows) == 0 {
		fmt.Fprintf(&b, `<text x="10" y="%d" class="empty">%s</text>`, top+20, esc(l.T("dashboard.no_terms")))
	}
	for i, r := range rows {
		y := top + i*rowH
		cls := "row"
		if r.Unmet() {
			cls = "row unmet"
			fmt.Fprintf(&b, `<rect x="0" y="%d" width="%d" height="%d" class="unmet-band"/>`, y-2, w, rowH-2)
		}
		fmt.Fprintf(&b, `<g class="%s"><title>%s</title>`, cls, esc(l.T("dashboard.row_title", r.Label, r.Offers, r.Needs)))
		fmt.Fprintf(&b, `<text x="4" y="%d" class="term">%s</text>`, y+18, esc(clip(r.Label, 32)))
		ow, nw := r.Offers*barW/maxN, r.Needs*barW/maxN
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="12" class="bar-offer"/><text x="%d" y="%d" class="n">%d</text>`, labelW, y+2, max(ow, 1), labelW+ow+4, y+12, r.Offers)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="12" class="bar-need"/><text x="%d" y="%d" class="n">%d</text>`, labelW, y+16, max(nw, 1), labelW+nw+4, y+26, r.Needs)
		if r.Unmet() {
			fmt.Fprintf(&b, `<text x="%d" y="%d" class="unmet-mark">%s</text>`, w-6, y+18, esc(l.T("dashboard.unmet_mark")))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}

// networkSVG draws profiles on a circle with a line per pair: solid for
// met, dashed for contacted, dotted for saved. The busiest nodes are kept;
// focus, when set, stands in the centre.
func networkSVG(l *Lang, pairs []pair, names map[string]string, maxNodes int, focus string) template.HTML {
	degree := map[string]int{}
	for _, p := range pairs {
		degree[p.A]++
		degree[p.B]++
	}
	nodes := make([]string, 0, len(degree))
	for k := range degree {
		nodes = append(nodes, k)
	}
	slices.SortFunc(nodes, func(a, b string) int { return cmp.Or(degree[b]-degree[a], strings.Compare(a, b)) })
	all := len(nodes)
	if len(nodes) > maxNodes {
		nodes = nodes[:maxNodes]
	}
	slices.Sort(nodes) // stable positions between visits
	around := slices.DeleteFunc(slices.Clone(nodes), func(n string) bool { return n == focus })
	// The circle grows with the number of nodes; labels get room on both sides.
	radius := min(230.0, 50+20*float64(len(nodes)))
	const labelRoom = 200.0
	width, height := 2*radius+2*labelRoom, 2*radius+80
	cx, cy := width/2, height/2+15
	pos := map[string][2]float64{}
	for i, n := range around {
		a := 2*math.Pi*float64(i)/float64(max(len(around), 1)) - math.Pi/2
		pos[n] = [2]float64{cx + radius*math.Cos(a), cy + radius*math.Sin(a)}
	}
	if len(around) < len(nodes) {
		pos[focus] = [2]float64{cx, cy}
	}
	esc := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="network" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="net-title net-desc">`, width, height)
	desc := l.T("dashboard.network_desc", len(nodes), len(pairs))
	if all > len(nodes) {
		// A sample: say so in the picture itself, not only to screen readers.
		desc = l.T("dashboard.network_sample", len(nodes), all)
	}
	fmt.Fprintf(&b, `<title id="net-title">%s</title><desc id="net-desc">%s</desc>`, esc(l.T("dashboard.network")), esc(desc))
	if all > len(nodes) {
		fmt.Fprintf(&b, `<text x="10" y="38" class="legend sample">%s</text>`, esc(desc))
	}
	fmt.Fprintf(&b, `<line x1="10" y1="14" x2="40" y2="14" class="edge met"/><text x="46" y="18" class="legend">%s</text>`, esc(l.T("dashboard.met")))
	fmt.Fprintf(&b, `<line x1="150" y1="14" x2="180" y2="14" class="edge contacted"/><text x="186" y="18" class="legend">%s</text>`, esc(l.T("dashboard.contacted")))
	fmt.Fprintf(&b, `<line x1="310" y1="14" x2="340" y2="14" class="edge saved"/><text x="346" y="18" class="legend">%s</text>`, esc(l.T("dashboard.saved")))
	if len(nodes) == 0 {
		fmt.Fprintf(&b, `<text x="20" y="60" class="empty">%s</text>`, esc(l.T("dashboard.no_pairs")))
	}
	for _, p := range pairs {
		a, okA := pos[p.A]
		c, okB := pos[p.B]
		if !okA || !okB {
			continue
		}
		cls := "saved"
		switch {
		case p.Met > 0:
			cls = "met"
		case p.Contacted > 0:
			cls = "contacted"
		}
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" class="edge %s"><title>%s</title></line>`, a[0], a[1], c[0], c[1], cls,
			esc(l.T("dashboard.pair_title", nodeName(l, names, p.A), nodeName(l, names, p.B), p.Met, p.Contacted, p.Saved)))
	}
	for _, n := range nodes {
		p := pos[n]
		anchor := "start"
		dx := 9.0
		if p[0] < cx-1 {
			anchor, dx = "end", -9
		}
		fmt.Fprintf(&b, `<g class="node"><circle cx="%.1f" cy="%.1f" r="%d"/><text x="%.1f" y="%.1f" text-anchor="%s">%s</text></g>`,
			p[0], p[1], 4+min(degree[n], 6), p[0]+dx, p[1]+4, anchor, esc(clip(nodeName(l, names, n), 26)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}

func nodeName(l *Lang, names map[string]string, key string) string {
	if n := names[key]; n != "" {
		return n
	}
	return l.T("dashboard.unnamed")
}
