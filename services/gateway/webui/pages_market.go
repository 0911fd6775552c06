package webui

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// The marketplace lists the published cooperation offers and requests of
// every member the user may see. The competencies service filters by kind,
// terms, collaboration type, text and TRL; region, sector and deadline are
// properties of the holder or of the date, filtered here over every listing
// the service returns (read page by page, up to marketMax), and the result
// is paged here, so a filter never sees only the first page.

const (
	marketRead = 500   // listings per call to the competencies service
	marketMax  = 10000 // listings read for one page view at most
)

type marketQuery struct {
	Text      string
	Terms     []termChoice
	Kinds     []competenciesv1.CooperationProfileKind
	Collab    []competenciesv1.CollaborationType
	Sectors   []profilesv1.Sector
	NUTS      string
	NACE      string // a NACE Rev. 2 code or its start: 72, 72.1, 21.20
	MinTRL    int
	OpenUntil string // yyyy-mm-dd: only listings open at least until then
	Page      int
}

type marketListing struct {
	Offer    *competenciesv1.CooperationProfile
	Holder   string
	Href     string
	Interest string // contact request about this listing
	Mine     bool
}

type marketView struct {
	Query       marketQuery
	ChosenTerms []termChoice
	Listings    []marketListing
	Kinds       []competenciesv1.CooperationProfileKind
	Collab      []competenciesv1.CollaborationType
	Sectors     []profilesv1.Sector
	Filtered    bool
	Pager       pager
	// Capped: there were more listings than one view reads.
	Capped bool
}

func decodeMarketQuery(v url.Values) (marketQuery, fieldErrs) {
	errs := fieldErrs{}
	q := marketQuery{
		Text:      text(v, "q", 500, errs),
		Terms:     terms(v, "term", errs),
		Kinds:     enums[competenciesv1.CooperationProfileKind](v, "kind", competenciesv1.CooperationProfileKind_value, errs),
		Collab:    enums[competenciesv1.CollaborationType](v, "collab", competenciesv1.CollaborationType_value, errs),
		Sectors:   enums[profilesv1.Sector](v, "sector", profilesv1.Sector_value, errs),
		NUTS:      strings.ToUpper(text(v, "nuts", 5, errs)),
		NACE:      text(v, "nace", 5, errs),
		MinTRL:    number(v, "min_trl", 0, 9, 0, errs),
		OpenUntil: text(v, "open_until", 10, errs),
		Page:      number(v, "page", 1, 1<<20, 1, errs),
	}
	if q.NUTS != "" && !isAlnum(q.NUTS) {
		errs.add("nuts", "form.bad_nuts")
		q.NUTS = ""
	}
	if q.NACE != "" && !naceStart.MatchString(q.NACE) {
		errs.add("nace", "form.bad_nace")
		q.NACE = ""
	}
	if q.OpenUntil != "" {
		if _, err := time.Parse(time.DateOnly, q.OpenUntil); err != nil {
			errs.add("open_until", "form.bad_date")
			q.OpenUntil = ""
		}
	}
	return q, errs
}

func (u *UI) marketPage(c *call) error {
	q, errs := decodeMarketQuery(c.r.URL.Query())
	v := marketView{Query: q, ChosenTerms: q.Terms, Kinds: offerKinds, Collab: collabChoices, Sectors: sectorChoices,
		Filtered: len(q.Sectors) > 0 || q.NUTS != "" || q.NACE != "" || q.OpenUntil != "" || len(q.Collab) > 0 || q.MinTRL > 0}
	if p := errs.problem(c.L); p != nil {
		return c.render("market", "market.title", v, p)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	var offers []*competenciesv1.CooperationProfile
	for token := ""; ; {
		res, err := u.opts.Competencies.ListCooperationProfiles(ctx, &competenciesv1.ListCooperationProfilesRequest{
			PageSize: marketRead, PageToken: token, Kinds: q.Kinds, TermIds: termIDs(q.Terms), CollaborationTypes: q.Collab, Query: q.Text, MinTrl: int32(q.MinTRL),
			Statuses: []competenciesv1.CooperationProfileStatus{competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED},
		})
		if err != nil {
			if status.Code(err) == codes.Unauthenticated {
				return err
			}
			return c.render("market", "market.title", v, problemFrom(c.L, err))
		}
		offers = append(offers, res.GetCooperationProfiles()...)
		if token = res.GetNextPageToken(); token == "" {
			break
		}
		if len(offers) >= marketMax {
			v.Capped = true
			break
		}
	}
	if q.OpenUntil != "" {
		until, _ := time.Parse(time.DateOnly, q.OpenUntil)
		offers = slices.DeleteFunc(offers, func(o *competenciesv1.CooperationProfile) bool {
			return o.GetDeadline() != nil && o.GetDeadline().AsTime().Before(until)
		})
	}
	if len(q.Sectors) > 0 || q.NUTS != "" || q.NACE != "" {
		orgs := u.holderOrgs(c, offers)
		offers = slices.DeleteFunc(offers, func(o *competenciesv1.CooperationProfile) bool {
			org := orgs[holderOrg(o.GetHolder())]
			if org == nil {
				return true
			}
			if q.NUTS != "" && !strings.HasPrefix(org.GetNutsCode(), q.NUTS) {
				return true
			}
			if q.NACE != "" && !slices.ContainsFunc(org.GetNaceCodes(), func(code string) bool { return naceWithin(code, q.NACE) }) {
				return true
			}
			return len(q.Sectors) > 0 && !slices.ContainsFunc(org.GetSectors(), func(s profilesv1.Sector) bool { return slices.Contains(q.Sectors, s) })
		})
	}
	offers, v.Pager = marketPaginate(offers, q, c.r.URL.Query())
	var refs []*profilesv1.ProfileRef
	for _, o := range offers {
		refs = append(refs, o.GetHolder())
	}
	names := c.names(refs)
	for _, o := range offers {
		l := marketListing{Offer: o, Holder: c.nameOr(names, o.GetHolder()), Href: profileHref(o.GetHolder()), Mine: c.mine(o.GetHolder())}
		if u.opts.Messaging != nil && !l.Mine && l.Href != "" {
			l.Interest = "/messages/new?" + url.Values{"to": {candidateValue(o.GetHolder())}, "topic": {o.GetTitle()}}.Encode()
		}
		v.Listings = append(v.Listings, l)
	}
	return c.render("market", "market.title", v, nil)
}

// naceStart is a NACE Rev. 2 division, group or class, or the start of
// one: 72, 72.1, 72.11.
var naceStart = regexp.MustCompile(`^\d{1,2}(\.\d{0,2})?$`)

// naceWithin reports whether code lies in the NACE division, group or
// class start: "72.11" is in 72 and 72.1, not in 7 (no division is one
// digit long) nor 21.
func naceWithin(code, start string) bool {
	start = strings.TrimSuffix(start, ".")
	if !strings.HasPrefix(code, start) {
		return false
	}
	// A division matches whole: "7" must not take in "72".
	return len(code) == len(start) || strings.Contains(start, ".") || code[len(start)] == '.'
}

// holderOrg is the organisation a holder stands for: itself, or a person's
// organisation (not known from the reference alone: "").
func holderOrg(ref *profilesv1.ProfileRef) string {
	return ref.GetOrganizationId()
}

// holderOrgs reads the organisations holding offers, as the user may see
// them, for the filters by region and sector.
func (u *UI) holderOrgs(c *call, offers []*competenciesv1.CooperationProfile) map[string]*profilesv1.Organization {
	ids := map[string]bool{}
	for _, o := range offers {
		if id := holderOrg(o.GetHolder()); id != "" {
			ids[id] = true
		}
	}
	ctx, cancel := c.ctx()
	defer cancel()
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		out = map[string]*profilesv1.Organization{}
		sem = make(chan struct{}, nameLookups)
	)
	for id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res, err := u.opts.Profiles.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: id})
			if err != nil {
				return // hidden or gone: filtered out
			}
			mu.Lock()
			out[id] = res.GetOrganization()
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// marketPaginate keeps one page of the filtered listings, with links to
// the pages around it under the same search and filters.
func marketPaginate(offers []*competenciesv1.CooperationProfile, q marketQuery, query url.Values) ([]*competenciesv1.CooperationProfile, pager) {
	p := pager{Total: len(offers), Pages: max(1, (len(offers)+listPageSize-1)/listPageSize)}
	p.Page = min(q.Page, p.Pages)
	lo, hi := (p.Page-1)*listPageSize, min(p.Page*listPageSize, len(offers))
	if lo < hi {
		p.From, p.To = lo+1, hi
	}
	at := func(n int) string {
		v := url.Values{}
		for k, xs := range query {
			if k != "page" {
				v[k] = xs
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/marketplace"
		}
		return "/marketplace?" + v.Encode()
	}
	if p.Page > 1 {
		p.Prev = at(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = at(p.Page + 1)
	}
	return offers[lo:hi], p
}
