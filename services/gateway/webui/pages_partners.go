package webui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

var (
	collabChoices  = enumValues[competenciesv1.CollaborationType](competenciesv1.CollaborationType_name)
	dismissChoices = enumValues[matchingv1.DismissReason](matchingv1.DismissReason_name)
)

// seeker is who the signed-in user searches for: their organisation, else
// their person profile.
func (c *call) seeker() *matchingv1.Seeker {
	if c.user.Organization != "" {
		return &matchingv1.Seeker{Seeker: &matchingv1.Seeker_OrganizationId{OrganizationId: c.user.Organization}}
	}
	if id := c.personID(); id != "" {
		return &matchingv1.Seeker{Seeker: &matchingv1.Seeker_PersonId{PersonId: id}}
	}
	return nil
}

type partnersView struct {
	Query       partnerQuery
	QueryString string
	Asked       bool
	FromProfile bool
	// FromDescription: the profile stated no need, so its description was read as one.
	FromDescription bool
	EmptySubmit     bool
	Suggestions     []*matchingv1.Suggestion
	Resolved        []readTerm
	Excluded        []readTerm
	Kinds           []profilesv1.OrganizationKind
	Sectors         []profilesv1.Sector
	Collab          []competenciesv1.CollaborationType
	Dismiss         []matchingv1.DismissReason
	Candidates      []matchingv1.CandidateType
}

func (u *UI) partnersPage(c *call) error {
	q, errs := decodePartnerQuery(c.r.URL.Query())
	v := partnersView{
		Query: q, QueryString: q.encode().Encode(), Kinds: kindChoices, Sectors: sectorChoices, Collab: collabChoices,
		Dismiss: dismissChoices, Candidates: enumValues[matchingv1.CandidateType](matchingv1.CandidateType_name),
	}
	if p := errs.problem(c.L); p != nil {
		return c.render("partners", "partners.title", v, p)
	}
	seeker := c.seeker()
	if seeker == nil {
		return c.render("partners", "partners.title", v, &problem{Message: c.L.T("partners.no_seeker"), Code: codes.FailedPrecondition})
	}
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := u.opts.Matching.SuggestPartners(ctx, &matchingv1.SuggestPartnersRequest{
		Seeker: seeker, Need: q.need(), Filter: q.filter(), Limit: 10, LanguageCode: c.L.Code,
	})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		return c.render("partners", "partners.title", v, problemFrom(c.L, err))
	}
	if q.Empty() && len(res.GetSuggestions()) == 0 && c.user.Organization != "" {
		// A profile with no requests, offers or history yet: its own
		// description says what the organisation does.
		if org, err := u.opts.Profiles.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: c.user.Organization}); err == nil && org.GetOrganization().GetDescription() != "" {
			if again, err := u.opts.Matching.SuggestPartners(ctx, &matchingv1.SuggestPartnersRequest{
				Seeker: seeker, Need: &matchingv1.Need{Text: org.GetOrganization().GetDescription()}, Filter: q.filter(), Limit: 10, LanguageCode: c.L.Code,
			}); err == nil {
				res, v.FromDescription = again, true
			}
		}
	}
	v.Asked, v.Suggestions = true, res.GetSuggestions()
	v.Resolved, v.Excluded = readTerms(q, u.termLabels(ctx, c.L, res.GetResolvedNeedTermIds()))
	// With nothing typed the suggestions come from the seeker's own profile,
	// requests and history; the page says so, so an empty search is never a
	// silent reload.
	v.FromProfile = q.Empty()
	v.EmptySubmit = q.Empty() && c.r.URL.Query().Has("text")
	return c.render("partners", "partners.title", v, nil)
}

// readTerm is a term the need's text was read as, with the query that
// removes it (or, once removed, the query that puts it back).
type readTerm struct {
	termChoice
	Toggle string
}

// readTerms lists the terms read from the need's text, each with a link
// that removes it from the reading, and the terms removed so far, each with
// a link that restores it.
func readTerms(q partnerQuery, resolved []termChoice) (read, removed []readTerm) {
	for _, t := range resolved {
		without := q
		without.Excluded = append(slices.Clip(q.Excluded), t)
		read = append(read, readTerm{termChoice: t, Toggle: "/partners?" + without.encode().Encode()})
	}
	for i, t := range q.Excluded {
		with := q
		with.Excluded = slices.Delete(slices.Clone(q.Excluded), i, i+1)
		removed = append(removed, readTerm{termChoice: t, Toggle: "/partners?" + with.encode().Encode()})
	}
	return read, removed
}

// Href links a suggestion's candidate to its profile page; empty for an
// anonymous candidate.
func (v partnersView) Href(s *matchingv1.Suggestion) string {
	return profileHref(s.GetCandidate().GetRef())
}

type savedPartnersView struct {
	Saved []*matchingv1.SavedPartner
}

// Href links a saved candidate to its profile page.
func (savedPartnersView) Href(s *matchingv1.Suggestion) string {
	return profileHref(s.GetCandidate().GetRef())
}

// Candidate is the form value naming a saved candidate.
func (savedPartnersView) Candidate(s *matchingv1.Suggestion) string {
	return candidateValue(s.GetCandidate().GetRef())
}

func (u *UI) savedPartnersPage(c *call) error {
	v := savedPartnersView{}
	seeker := c.seeker()
	if seeker == nil {
		return c.render("saved_partners", "saved.title", v, &problem{Message: c.L.T("partners.no_seeker"), Code: codes.FailedPrecondition})
	}
	ctx, cancel := c.ctx()
	defer cancel()
	res, err := u.opts.Matching.ListSavedPartners(ctx, &matchingv1.ListSavedPartnersRequest{Seeker: seeker, LanguageCode: c.L.Code})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		return c.render("saved_partners", "saved.title", v, problemFrom(c.L, err))
	}
	v.Saved = res.GetSavedPartners()
	return c.render("saved_partners", "saved.title", v, nil)
}

// decodeCandidate reads "org:ID" or "person:ID", where ID is an id or the
// matching service's opaque reference to an anonymous candidate.
func decodeCandidate(s string) (*profilesv1.ProfileRef, bool) {
	kind, id, ok := strings.Cut(s, ":")
	if !ok || id == "" || !(len(id) <= 40 && isAlnum(strings.ToUpper(id)) || isSealed(id)) {
		return nil, false
	}
	switch kind {
	case "org":
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}, true
	case "person":
		return &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_PersonId{PersonId: id}}, true
	}
	return nil, false
}

func (u *UI) partnersFeedback(c *call) error {
	f := c.r.PostForm
	errs := fieldErrs{}
	back, _ := url.ParseQuery(text(f, "back", 4000, errs))
	backTo := "/partners?" + back.Encode()
	ref, ok := decodeCandidate(f.Get("candidate"))
	kind := enum[matchingv1.FeedbackKind](f, "kind", matchingv1.FeedbackKind_value, errs)
	reason := enum[matchingv1.DismissReason](f, "reason", matchingv1.DismissReason_value, errs)
	comment := text(f, "comment", 1000, errs)
	seeker := c.seeker()
	if !ok || kind == 0 || seeker == nil || len(errs) > 0 {
		return status.Error(codes.InvalidArgument, "feedback form")
	}
	if kind == matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED && reason == 0 {
		return c.redirect(backTo, "dismiss_reason")
	}
	ctx, cancel := c.ctx()
	defer cancel()
	_, err := u.opts.Matching.RecordFeedback(ctx, &matchingv1.RecordFeedbackRequest{
		Feedback: &matchingv1.Feedback{Seeker: seeker, Candidate: ref, Kind: kind, DismissReason: reason, Comment: comment},
	})
	if err != nil {
		return err
	}
	switch kind {
	case matchingv1.FeedbackKind_FEEDBACK_KIND_CONTACTED:
		if profileHref(ref) == "" {
			return c.redirect(backTo, "saved_candidate") // an anonymous candidate has no page
		}
		if u.opts.Messaging != nil {
			return c.redirect("/messages/new?to="+url.QueryEscape(candidateValue(ref)), "")
		}
		if id := ref.GetOrganizationId(); id != "" {
			return c.redirect("/profiles/org/"+id+"?contacted=1", "")
		}
		return c.redirect("/profiles/person/"+ref.GetPersonId()+"?contacted=1", "")
	case matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED:
		return c.redirect(backTo, "dismissed")
	case matchingv1.FeedbackKind_FEEDBACK_KIND_CLEARED:
		return c.redirect("/partners/saved", "unsaved")
	}
	return c.redirect(backTo, "saved_candidate")
}

// searchKey makes saving the same search twice (a double click, a resent
// form) save it once.
func searchKey(subject, name, query string) string {
	h := sha256.Sum256([]byte(subject + "\x00" + name + "\x00" + query))
	return "webui-search:" + hex.EncodeToString(h[:12])
}

func (u *UI) searchSave(c *call) error {
	errs := fieldErrs{}
	name := text(c.r.PostForm, "name", 200, errs)
	raw := text(c.r.PostForm, "query", 4000, errs)
	vals, err := url.ParseQuery(raw)
	if err != nil {
		errs.add("query", "form.bad_text")
	}
	q, qerrs := decodePartnerQuery(vals)
	for k, v := range qerrs {
		errs.add(k, v)
	}
	if name == "" {
		errs.add("name", "form.required")
	}
	seeker := c.seeker()
	if len(errs) > 0 || seeker == nil || q.Empty() {
		return c.redirect("/partners?"+q.encode().Encode(), "search_name")
	}
	ctx, cancel := c.ctx()
	defer cancel()
	stream, err := u.opts.Matching.WatchMatches(ctx, &matchingv1.WatchMatchesRequest{
		SavedSearch:     &matchingv1.SavedSearch{Name: name, Seeker: seeker, Need: q.need(), Filter: q.filter()},
		ClientRequestId: searchKey(c.user.Subject, name, q.encode().Encode()),
		LanguageCode:    c.L.Code,
	})
	if err == nil {
		_, err = stream.Recv() // the stream starts with the search as stored
	}
	if err != nil {
		return err
	}
	return c.redirect("/searches", "search_saved")
}

type searchesView struct {
	Searches []searchRow
}

type searchRow struct {
	Search *matchingv1.SavedSearch
	Query  string
}

// quietPeriod is how long the saved-search list waits for one more search
// from the stream before it considers the list complete.
const quietPeriod = 400 * time.Millisecond

func (u *UI) searchesPage(c *call) error {
	ctx, cancel := c.ctx()
	defer cancel()
	searches, err := u.savedSearches(ctx)
	v := searchesView{}
	for _, s := range searches {
		v.Searches = append(v.Searches, searchRow{Search: s, Query: queryFromSearch(s).encode().Encode()})
	}
	if err != nil && status.Code(err) != codes.DeadlineExceeded {
		if status.Code(err) == codes.Unauthenticated {
			return err
		}
		return c.render("searches", "searches.title", v, problemFrom(c.L, err))
	}
	return c.render("searches", "searches.title", v, nil)
}

// savedSearches reads the user's saved searches from the head of a
// WatchMatches stream: it sends every watched search first, then matches.
func (u *UI) savedSearches(ctx context.Context) ([]*matchingv1.SavedSearch, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := u.opts.Matching.WatchMatches(ctx, &matchingv1.WatchMatchesRequest{})
	if err != nil {
		return nil, err
	}
	type msg struct {
		res *matchingv1.WatchMatchesResponse
		err error
	}
	ch := make(chan msg, 1)
	go func() {
		for {
			res, err := stream.Recv()
			select {
			case ch <- msg{res, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var out []*matchingv1.SavedSearch
	timer := time.NewTimer(quietPeriod)
	defer timer.Stop()
	for {
		select {
		case m := <-ch:
			if m.err != nil {
				if m.err == io.EOF {
					return out, nil
				}
				return out, m.err
			}
			s := m.res.GetSavedSearch()
			if s == nil {
				return out, nil
			}
			out = append(out, s)
			timer.Reset(quietPeriod)
		case <-timer.C:
			return out, nil
		}
	}
}

// liveMatch is what the browser receives for a new match.
type liveMatch struct {
	ID      string   `json:"id"`
	Search  string   `json:"search"`
	Name    string   `json:"name"`
	Score   string   `json:"score"`
	Reasons []string `json:"reasons"`
	Href    string   `json:"href"`
}

// searchesLive streams new matches of the user's saved searches as
// Server-Sent Events. A reconnecting browser sends Last-Event-ID, which
// resumes the stream after the last match it showed.
func (u *UI) searchesLive(c *call) error {
	fl, ok := c.w.(http.Flusher)
	if !ok {
		return status.Error(codes.Internal, "streaming unsupported")
	}
	release, wait, ok := u.streams.enter(c.r.Context(), c.user.Subject)
	if !ok {
		c.w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		c.renderStatus(http.StatusTooManyRequests, "message", messageView{Title: "error.title", Problem: &problem{Message: c.L.T("error.busy"), Code: codes.ResourceExhausted}})
		return nil
	}
	defer release()
	ctx := withBearer(c.r.Context(), c.user.token)
	// The browser echoes the id of the last match it got; anything that
	// is not such an id starts afresh.
	resume := c.r.Header.Get("Last-Event-ID")
	if len(resume) > 40 || strings.ContainsFunc(resume, func(r rune) bool { return r <= ' ' || r > '~' }) {
		resume = ""
	}
	stream, err := u.opts.Matching.WatchMatches(ctx, &matchingv1.WatchMatchesRequest{ResumeAfterMatchId: resume, LanguageCode: c.L.Code})
	sse := startSSE(c.w)
	if err == nil {
		fl.Flush()
	}
	names := map[string]string{}
	for err == nil {
		var res *matchingv1.WatchMatchesResponse
		res, err = stream.Recv()
		if err != nil {
			break
		}
		if s := res.GetSavedSearch(); s != nil {
			names[s.GetId()] = s.GetName()
			continue
		}
		m := res.GetMatch()
		cand := m.GetSuggestion().GetCandidate()
		// The name is the one the user may see now, from the profiles
		// service, or the matching service's stand-in for an anonymous
		// candidate (it resolves matches when they are read, never from
		// the stored event): a candidate erased or hidden since the match
		// was found is not shown at all.
		var name string
		if !cand.GetAnonymous() {
			name = c.names([]*profilesv1.ProfileRef{cand.GetRef()})[profileKey(cand.GetRef())]
		}
		if name == "" {
			name = cand.GetDisplayName()
		}
		if name == "" {
			continue
		}
		lm := liveMatch{ID: m.GetId(), Search: names[m.GetSavedSearchId()], Name: name, Score: c.L.Percent(m.GetSuggestion().GetScore()), Href: profileHref(cand.GetRef())}
		for _, e := range m.GetSuggestion().GetExplanations() {
			lm.Reasons = append(lm.Reasons, e.GetText())
		}
		if err = sse.send("match", m.GetId(), lm); err == nil {
			fl.Flush()
		}
	}
	if ctx.Err() == nil && err != io.EOF {
		p := problemFrom(c.L, err)
		_ = sse.retry(60 * time.Second)
		_ = sse.send("problem", "", map[string]string{"message": p.Message})
		fl.Flush()
	}
	return nil
}

// profileHref links a candidate's profile page; an anonymous candidate,
// named by an opaque reference, has none.
func profileHref(ref *profilesv1.ProfileRef) string {
	if isSealed(ref.GetOrganizationId() + ref.GetPersonId()) {
		return ""
	}
	if id := ref.GetOrganizationId(); id != "" {
		return "/profiles/org/" + id
	}
	if id := ref.GetPersonId(); id != "" {
		return "/profiles/person/" + id
	}
	return ""
}

func candidateValue(ref *profilesv1.ProfileRef) string {
	if id := ref.GetOrganizationId(); id != "" {
		return "org:" + id
	}
	return "person:" + ref.GetPersonId()
}

// sseWriter writes Server-Sent Events.
type sseWriter struct{ w io.Writer }

func startSSE(w http.ResponseWriter) sseWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, ": tandem\n\n")
	return sseWriter{w: w}
}

func (s sseWriter) send(event, id string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if id != "" && !strings.ContainsAny(id, "\r\n") {
		if _, err := fmt.Fprintf(s.w, "id: %s\n", id); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", event, b)
	return err
}

func (s sseWriter) retry(d time.Duration) error {
	_, err := fmt.Fprintf(s.w, "retry: %d\n\n", d.Milliseconds())
	return err
}

func (s sseWriter) ping() error {
	_, err := io.WriteString(s.w, ": ping\n\n")
	return err
}

// ChosenTerms are the terms the term picker shows as chosen.
func (v partnersView) ChosenTerms() []termChoice { return v.Query.Terms }

// Candidate is the form value naming a suggestion's candidate.
func (v partnersView) Candidate(s *matchingv1.Suggestion) string {
	return candidateValue(s.GetCandidate().GetRef())
}

// termLabels names vocabulary terms for display, keeping the id when the
// vocabulary cannot answer.
func (u *UI) termLabels(ctx context.Context, l *Lang, ids []string) []termChoice {
	if len(ids) > 12 {
		ids = ids[:12]
	}
	out := make([]termChoice, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		out[i] = termChoice{ID: id, Label: l.Label(id, "")}
		if out[i].Label != id {
			continue // the glossary names it
		}
		wg.Go(func() {
			if res, err := u.opts.Competencies.GetTerm(ctx, &competenciesv1.GetTermRequest{Id: id}); err == nil && res.GetTerm().GetLabel() != "" {
				out[i].Label = res.GetTerm().GetLabel()
			}
		})
	}
	wg.Wait()
	return out
}

// isSealed reports whether id is the matching service's opaque reference
// to an anonymous candidate ("anon-" and URL-safe base64).
func isSealed(id string) bool {
	rest, ok := strings.CutPrefix(id, "anon-")
	if !ok || rest == "" || len(id) > 128 {
		return false
	}
	for _, r := range rest {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
