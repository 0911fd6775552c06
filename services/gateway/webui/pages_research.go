package webui

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

var (
	levelChoices    = enumValues[competenciesv1.CompetencyLevel](competenciesv1.CompetencyLevel_name)
	evidenceChoices = enumValues[competenciesv1.EvidenceKind](competenciesv1.EvidenceKind_name)
	offerKinds      = enumValues[competenciesv1.CooperationProfileKind](competenciesv1.CooperationProfileKind_name)
	stageChoices    = enumValues[competenciesv1.DevelopmentStage](competenciesv1.DevelopmentStage_name)
	iprChoices      = enumValues[competenciesv1.IprStatus](competenciesv1.IprStatus_name)
)

// lastValue is the last non-empty value of a field sent more than once (a
// hidden default followed by the user's choice).
func lastValue(v url.Values, field string, max int, errs fieldErrs) string {
	vals := v[field]
	for i := len(vals) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(vals[i]); s != "" {
			return text(url.Values{field: {s}}, field, max, errs)
		}
	}
	return ""
}

// termSuggestion is one autocomplete entry.
type termSuggestion struct {
	ID      string   `json:"id"`
	Label   string   `json:"label"`
	Source  string   `json:"source"`
	Matched string   `json:"matched,omitempty"`
	Broader []string `json:"broader,omitempty"`
}

// termsJSON answers the term autocomplete: the best terms for what the user
// typed, each with its broader terms so the user can tell homonyms apart.
func (u *UI) termsJSON(c *call) error {
	q := strings.TrimSpace(c.r.URL.Query().Get("q"))
	out := []termSuggestion{}
	if q != "" && len(q) <= 100 {
		ctx, cancel := c.ctx()
		defer cancel()
		res, err := u.opts.Competencies.SearchTerms(ctx, &competenciesv1.SearchTermsRequest{Query: q, PageSize: 8})
		if err != nil {
			c.w.Header().Set("Content-Type", "application/json")
			c.w.WriteHeader(httpStatus(status.Code(err)))
			return json.NewEncoder(c.w).Encode(map[string]string{"error": problemFrom(c.L, err).Message})
		}
		out = termSuggestions(c.L, res.GetMatches())
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("Cache-Control", "private, max-age=60")
	return json.NewEncoder(c.w).Encode(out)
}

func termSuggestions(l *Lang, ms []*competenciesv1.TermMatch) []termSuggestion {
	out := make([]termSuggestion, 0, len(ms))
	for _, m := range ms {
		s := termSuggestion{ID: m.GetTerm().GetId(), Label: l.TermLabel(m.GetTerm()), Source: strings.TrimPrefix(m.GetTerm().GetSource().String(), "TERM_SOURCE_")}
		if mt := m.GetMatchedText(); mt != "" && mt != s.Label {
			s.Matched = mt
		}
		for _, p := range m.GetParents() {
			s.Broader = append(s.Broader, l.TermLabel(p))
		}
		out = append(out, s)
	}
	return out
}

// holder is whose competencies and offers the user edits: their person
// profile when they have one (researchers), else their organisation.
func (c *call) holder(choice string) *profilesv1.ProfileRef {
	pid := c.personID()
	if pid != "" && choice != "org" {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: pid}}
	}
	if c.user.Organization != "" {
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: c.user.Organization}}
	}
	return nil
}

// competencyForm is the publish form as typed.
type competencyForm struct {
	Holder      string
	TermID      string
	TermLabel   string
	TermQuery   string
	Level       competenciesv1.CompetencyLevel
	Description string
	// Evidence rows as shown: the filled ones and one empty row more.
	Evidence []*competenciesv1.Evidence
	// EditID and Version name the competency being edited; its term
	// stays (another term is another competency).
	EditID  string
	Version int64
}

// maxEvidenceRows bounds the evidence rows one form may send.
const maxEvidenceRows = 50

// withBlankRow makes sure the form offers one empty evidence row, and at
// least two rows in all.
func withBlankRow(ev []*competenciesv1.Evidence) []*competenciesv1.Evidence {
	for len(ev) < 2 || !blankEvidence(ev[len(ev)-1]) {
		ev = append(ev, &competenciesv1.Evidence{})
	}
	return ev
}

func blankEvidence(e *competenciesv1.Evidence) bool {
	return e.GetKind() == 0 && e.GetReference() == "" && e.GetTitle() == "" && e.GetUrl() == "" && e.GetYear() == 0
}

// decodeCompetencyForm reads the publish form; evidence rows without a
// kind and a reference or title are left out.
func decodeCompetencyForm(v url.Values) (competencyForm, *competenciesv1.Competency, fieldErrs) {
	errs := fieldErrs{}
	f := competencyForm{
		Holder:      v.Get("holder"),
		TermID:      lastValue(v, "term_id", 120, errs),
		TermLabel:   text(v, "term_label", maxLine, errs),
		TermQuery:   text(v, "term_query", 100, errs),
		Level:       enum[competenciesv1.CompetencyLevel](v, "level", competenciesv1.CompetencyLevel_value, errs),
		Description: text(v, "description", maxText, errs),
		EditID:      text(v, "id", 40, errs),
		Version:     int64(number(v, "version", 0, 1<<30, 0, errs)),
	}
	if f.TermID != "" && !validTermID(f.TermID) {
		errs.add("term_id", "form.bad_term")
		f.TermID = ""
	}
	comp := &competenciesv1.Competency{TermId: f.TermID, Level: f.Level, Description: f.Description}
	kinds, refs, titles, urls, years := v["evidence_kind"], v["evidence_reference"], v["evidence_title"], v["evidence_url"], v["evidence_year"]
	at := func(xs []string, i int) string {
		if i < len(xs) {
			return strings.TrimSpace(xs[i])
		}
		return ""
	}
	rows := max(len(kinds), len(refs), len(titles), len(urls), len(years))
	if rows > maxEvidenceRows {
		errs.add("evidence", "form.too_many")
		rows = maxEvidenceRows
	}
	for i := range rows {
		row := url.Values{"kind": {at(kinds, i)}, "reference": {at(refs, i)}, "title": {at(titles, i)}, "url": {at(urls, i)}, "year": {at(years, i)}}
		rowErrs := fieldErrs{}
		e := &competenciesv1.Evidence{
			Kind:      enum[competenciesv1.EvidenceKind](row, "kind", competenciesv1.EvidenceKind_value, rowErrs),
			Reference: text(row, "reference", 200, rowErrs),
			Title:     text(row, "title", maxLine, rowErrs),
			Url:       text(row, "url", 2000, rowErrs),
			Year:      int32(number(row, "year", 1900, 2100, 0, rowErrs)),
		}
		for k, msg := range rowErrs {
			errs.add(fmt.Sprintf("evidence[%d].%s", i, k), msg)
		}
		if e.Kind == 0 && e.Reference == "" && e.Title == "" && e.Url == "" {
			continue
		}
		f.Evidence = append(f.Evidence, e)
		comp.Evidence = append(comp.Evidence, e)
	}
	f.Evidence = withBlankRow(f.Evidence)
	return f, comp, errs
}

type competenciesView struct {
	Form        competencyForm
	Mine        []*competenciesv1.Competency
	ListProblem *problem
	Candidates  []termSuggestion
	HasPerson   bool
	HasOrg      bool
	Levels      []competenciesv1.CompetencyLevel
	Kinds       []competenciesv1.EvidenceKind
}

func (u *UI) competenciesView(c *call, f competencyForm) competenciesView {
	v := competenciesView{Form: f, HasPerson: c.personID() != "", HasOrg: c.user.Organization != "", Levels: levelChoices, Kinds: evidenceChoices}
	if h := c.holder(f.Holder); h != nil {
		ctx, cancel := c.ctx()
		defer cancel()
		res, err := u.opts.Competencies.ListCompetencies(ctx, &competenciesv1.ListCompetenciesRequest{Holder: h, PageSize: 200})
		if err != nil {
			v.ListProblem = problemFrom(c.L, err)
		}
		v.Mine = res.GetCompetencies()
	}
	return v
}

func (u *UI) competenciesPage(c *call) error {
	q := c.r.URL.Query()
	f := competencyForm{Holder: q.Get("holder"), Evidence: withBlankRow(nil)}
	v := u.competenciesView(c, f)
	if id := q.Get("edit"); id != "" {
		// Editing fills the form with the competency as published.
		i := slices.IndexFunc(v.Mine, func(m *competenciesv1.Competency) bool { return m.GetId() == id })
		if i < 0 {
			return status.Error(codes.NotFound, "no such competency of yours")
		}
		m := v.Mine[i]
		v.Form = competencyForm{
			Holder: f.Holder, TermID: m.GetTermId(), TermLabel: c.L.Label(m.GetTermId(), m.GetTerm().GetLabel()), Level: m.GetLevel(),
			Description: m.GetDescription(), Evidence: withBlankRow(slices.Clone(m.GetEvidence())), EditID: m.GetId(), Version: m.GetVersion(),
		}
	}
	return c.render("competencies", "competencies.title", v, nil)
}

func (u *UI) competencyPublish(c *call) error {
	f, comp, errs := decodeCompetencyForm(c.r.PostForm)
	holder := c.holder(f.Holder)
	if holder == nil {
		return status.Error(codes.FailedPrecondition, "no profile to publish for")
	}
	comp.Holder = holder
	if f.TermID == "" && f.TermQuery != "" && len(errs) == 0 {
		// Without the autocomplete (no JavaScript, or typed too fast) the
		// user picks among the best terms for what they typed.
		ctx, cancel := c.ctx()
		defer cancel()
		res, err := u.opts.Competencies.SearchTerms(ctx, &competenciesv1.SearchTermsRequest{Query: f.TermQuery, PageSize: 8})
		v := u.competenciesView(c, f)
		if err != nil {
			return c.render("competencies", "competencies.title", v, problemFrom(c.L, err))
		}
		v.Candidates = termSuggestions(c.L, res.GetMatches())
		p := &problem{Message: c.L.T("competencies.pick_term"), Fields: map[string]string{"term_id": c.L.T("competencies.pick_term")}, Code: codes.InvalidArgument}
		return c.render("competencies", "competencies.title", v, p)
	}
	if f.TermID == "" {
		errs.add("term_id", "form.required")
	}
	if p := errs.problem(c.L); p != nil {
		return c.render("competencies", "competencies.title", u.competenciesView(c, f), p)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	// An edit names the version the user read, so a change made meanwhile
	// (in another tab, by a colleague) is not overwritten unseen.
	_, err := u.opts.Competencies.PublishCompetency(ctx, &competenciesv1.PublishCompetencyRequest{Competency: comp, ExpectedVersion: f.Version})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		return c.render("competencies", "competencies.title", u.competenciesView(c, f), problemFrom(c.L, err))
	}
	done := "published"
	if f.EditID != "" {
		done = "competency_saved"
	}
	return c.redirect("/competencies?holder="+url.QueryEscape(f.Holder), done)
}

func (u *UI) competencyRetract(c *call) error {
	errs := fieldErrs{}
	id := text(c.r.PostForm, "id", 40, errs)
	version := number(c.r.PostForm, "version", 0, 1<<30, 0, errs)
	if id == "" || len(errs) > 0 {
		return status.Error(codes.InvalidArgument, "retract form")
	}
	if !c.confirmed() {
		return c.askFirst(c.L.T("competencies.retract_title"), "/competencies", confirmView{
			Question: "competencies.retract_question", Consequence: "competencies.retract_consequence", Yes: "action.retract"})
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if _, err := u.opts.Competencies.RetractCompetency(ctx, &competenciesv1.RetractCompetencyRequest{Id: id, ExpectedVersion: int64(version)}); err != nil {
		return err
	}
	return c.redirect("/competencies", "retracted")
}

// offerForm is the cooperation profile form as typed.
type offerForm struct {
	Holder  string
	Profile *competenciesv1.CooperationProfile
	Terms   []termChoice
	Publish bool
	// EditID and Version name the offer being edited.
	EditID  string
	Version int64
}

// offerEditFields are the fields the offer form edits; the status changes
// through its own buttons.
var offerEditFields = []string{
	"kind", "title", "summary", "description", "advantages_and_innovations", "development_stage",
	"ipr_statuses", "partner_sought", "term_ids", "collaboration_types", "trl",
}

func decodeOfferForm(v url.Values) (offerForm, fieldErrs) {
	errs := fieldErrs{}
	f := offerForm{Holder: v.Get("holder"), Terms: terms(v, "term", errs), Publish: v.Get("publish") == "on",
		EditID: text(v, "id", 40, errs), Version: int64(number(v, "version", 0, 1<<30, 0, errs))}
	f.Profile = &competenciesv1.CooperationProfile{
		Kind:                     enum[competenciesv1.CooperationProfileKind](v, "kind", competenciesv1.CooperationProfileKind_value, errs),
		Title:                    text(v, "title", 200, errs),
		Summary:                  text(v, "summary", 2000, errs),
		Description:              text(v, "description", maxText, errs),
		AdvantagesAndInnovations: text(v, "advantages_and_innovations", maxText, errs),
		DevelopmentStage:         enum[competenciesv1.DevelopmentStage](v, "development_stage", competenciesv1.DevelopmentStage_value, errs),
		IprStatuses:              enums[competenciesv1.IprStatus](v, "ipr", competenciesv1.IprStatus_value, errs),
		PartnerSought:            text(v, "partner_sought", maxText, errs),
		CollaborationTypes:       enums[competenciesv1.CollaborationType](v, "collab", competenciesv1.CollaborationType_value, errs),
		Trl:                      int32(number(v, "trl", 0, 9, 0, errs)),
		TermIds:                  termIDs(f.Terms),
	}
	if f.Profile.Kind == 0 {
		errs.add("kind", "form.required")
	}
	if f.Publish {
		f.Profile.Status = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED
	}
	return f, errs
}

type offersView struct {
	Form        offerForm
	Mine        []*competenciesv1.CooperationProfile
	ListProblem *problem
	HasPerson   bool
	HasOrg      bool
	Kinds       []competenciesv1.CooperationProfileKind
	Stages      []competenciesv1.DevelopmentStage
	IPR         []competenciesv1.IprStatus
	Collab      []competenciesv1.CollaborationType
}

func (u *UI) offersView(c *call, f offerForm) offersView {
	if f.Profile == nil {
		f.Profile = &competenciesv1.CooperationProfile{}
	}
	v := offersView{Form: f, HasPerson: c.personID() != "", HasOrg: c.user.Organization != "", Kinds: offerKinds, Stages: stageChoices, IPR: iprChoices, Collab: collabChoices}
	if h := c.holder(f.Holder); h != nil {
		ctx, cancel := c.ctx()
		defer cancel()
		res, err := u.opts.Competencies.ListCooperationProfiles(ctx, &competenciesv1.ListCooperationProfilesRequest{
			Holder: h, PageSize: 100,
			Statuses: []competenciesv1.CooperationProfileStatus{
				competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_DRAFT,
				competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED,
				competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_CLOSED,
				competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_EXPIRED,
			},
		})
		if err != nil {
			v.ListProblem = problemFrom(c.L, err)
		}
		v.Mine = res.GetCooperationProfiles()
	}
	return v
}

func (u *UI) offersPage(c *call) error {
	q := c.r.URL.Query()
	f := offerForm{Holder: q.Get("holder")}
	if id := q.Get("edit"); id != "" {
		// Editing fills the form with the offer as it is now.
		ctx, cancel := c.ctx()
		defer cancel()
		res, err := u.opts.Competencies.GetCooperationProfile(ctx, &competenciesv1.GetCooperationProfileRequest{Id: id})
		if err != nil {
			return err
		}
		p := res.GetCooperationProfile()
		if !c.mine(p.GetHolder()) {
			return status.Error(codes.PermissionDenied, c.L.T("offers.not_yours"))
		}
		f = offerForm{Holder: f.Holder, Profile: p, EditID: p.GetId(), Version: p.GetVersion()}
		for _, t := range p.GetTerms() {
			f.Terms = append(f.Terms, termChoice{ID: t.GetId(), Label: c.L.TermLabel(t)})
		}
	}
	return c.render("offers", "offers.title", u.offersView(c, f), nil)
}

// offerEdit saves the edited offer; the version the user read guards
// against overwriting a change made meanwhile.
func (u *UI) offerEdit(c *call) error {
	f, errs := decodeOfferForm(c.r.PostForm)
	if f.EditID == "" || f.Version == 0 {
		return status.Error(codes.InvalidArgument, "edit form")
	}
	if p := errs.problem(c.L); p != nil {
		return c.render("offers", "offers.title", u.offersView(c, f), p)
	}
	f.Profile.Id = f.EditID
	f.Profile.Status = 0 // unchanged
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := u.opts.Competencies.UpdateCooperationProfile(ctx, &competenciesv1.UpdateCooperationProfileRequest{
		CooperationProfile: f.Profile, ExpectedVersion: f.Version, UpdateMask: &fieldmaskpb.FieldMask{Paths: offerEditFields},
	})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		return c.render("offers", "offers.title", u.offersView(c, f), problemFrom(c.L, err))
	}
	return c.redirect("/offers?holder="+url.QueryEscape(f.Holder), "offer_saved")
}

func (u *UI) offerCreate(c *call) error {
	f, errs := decodeOfferForm(c.r.PostForm)
	holder := c.holder(f.Holder)
	if holder == nil {
		return status.Error(codes.FailedPrecondition, "no profile to publish for")
	}
	if p := errs.problem(c.L); p != nil {
		return c.render("offers", "offers.title", u.offersView(c, f), p)
	}
	f.Profile.Holder = holder
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := u.opts.Competencies.CreateCooperationProfile(ctx, &competenciesv1.CreateCooperationProfileRequest{CooperationProfile: f.Profile})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		return c.render("offers", "offers.title", u.offersView(c, f), problemFrom(c.L, err))
	}
	return c.redirect("/offers?holder="+url.QueryEscape(f.Holder), "offer_created")
}

func (u *UI) offerStatus(c *call) error {
	errs := fieldErrs{}
	id := text(c.r.PostForm, "id", 40, errs)
	version := number(c.r.PostForm, "version", 1, 1<<30, 0, errs)
	st := enum[competenciesv1.CooperationProfileStatus](c.r.PostForm, "status", competenciesv1.CooperationProfileStatus_value, errs)
	if id == "" || st == 0 || len(errs) > 0 {
		return status.Error(codes.InvalidArgument, "status form")
	}
	if st == competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_CLOSED && !c.confirmed() {
		return c.askFirst(c.L.T("offers.retract_question"), "/offers", confirmView{
			Question: "offers.retract_question", Consequence: "offers.retract_consequence", Yes: "action.retract"})
	}
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := u.opts.Competencies.UpdateCooperationProfile(ctx, &competenciesv1.UpdateCooperationProfileRequest{
		CooperationProfile: &competenciesv1.CooperationProfile{Id: id, Status: st},
		ExpectedVersion:    int64(version), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})
	if err != nil {
		return err
	}
	return c.redirect("/offers", "offer_updated")
}

// ChosenTerms are the terms the term picker shows as chosen.
func (v offersView) ChosenTerms() []termChoice { return v.Form.Terms }
