package domain

import (
	"slices"
	"strings"
	"sync"
	"time"

	matchingv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/matching/v1"
)

type feedbackState struct {
	ref         Ref
	dismissedAt time.Time
	dismissed   bool
	dismissedID string
	partner     bool
	saved       bool
	savedID     string
	savedAt     time.Time
	noShow      bool
	noShowID    string
	noShowAt    time.Time
}

// FeedbackBook keeps, per seeker and candidate, what the seeker's feedback
// means for suggestions: dismissed or missed at a brokerage event (until
// cleared; a meeting ends a no-show too) and existing partners (contacted
// or met). Feedback is applied in id order (ULIDs), so replays
// and redeliveries leave the same state.
type FeedbackBook struct {
	mu   sync.RWMutex
	seen map[string]bool
	m    map[string]map[string]*feedbackState
}

// NewFeedbackBook returns an empty book.
func NewFeedbackBook() *FeedbackBook {
	return &FeedbackBook{seen: map[string]bool{}, m: map[string]map[string]*feedbackState{}}
}

// Apply records one feedback; a feedback seen before changes nothing.
func (b *FeedbackBook) Apply(f *matchingv1.Feedback) {
	var v violations
	s := seekerOf(f.GetSeeker(), "", &v)
	c := refOf(f.GetCandidate(), "", &v)
	if len(v) > 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seen[f.GetId()] {
		return
	}
	b.seen[f.GetId()] = true
	m := b.m[s.Key()]
	if m == nil {
		m = map[string]*feedbackState{}
		b.m[s.Key()] = m
	}
	st := m[c.ID]
	if st == nil {
		st = &feedbackState{ref: c}
		m[c.ID] = st
	}
	switch f.GetKind() {
	case matchingv1.FeedbackKind_FEEDBACK_KIND_DISMISSED:
		if f.GetId() > st.dismissedID {
			st.dismissed, st.dismissedID, st.dismissedAt = true, f.GetId(), f.GetCreatedAt().AsTime()
		}
	case matchingv1.FeedbackKind_FEEDBACK_KIND_SAVED:
		if f.GetId() > st.savedID {
			st.saved, st.savedID, st.savedAt = true, f.GetId(), f.GetCreatedAt().AsTime()
		}
	case matchingv1.FeedbackKind_FEEDBACK_KIND_CLEARED:
		if f.GetId() > st.dismissedID {
			st.dismissed, st.dismissedID = false, f.GetId()
		}
		if f.GetId() > st.savedID {
			st.saved, st.savedID = false, f.GetId()
		}
		if f.GetId() > st.noShowID {
			st.noShow, st.noShowID = false, f.GetId()
		}
	case matchingv1.FeedbackKind_FEEDBACK_KIND_NO_SHOW:
		if f.GetId() > st.noShowID {
			st.noShow, st.noShowID, st.noShowAt = true, f.GetId(), f.GetCreatedAt().AsTime()
		}
	case matchingv1.FeedbackKind_FEEDBACK_KIND_MET:
		st.partner = true
		if f.GetId() > st.noShowID {
			st.noShow, st.noShowID = false, f.GetId()
		}
	case matchingv1.FeedbackKind_FEEDBACK_KIND_CONTACTED:
		st.partner = true
	}
}

// SavedCandidate is one candidate a seeker saved and has not cleared since.
type SavedCandidate struct {
	Ref     Ref
	SavedAt time.Time
}

// Saved lists the candidates s saved and has not cleared, most recently
// saved first.
func (b *FeedbackBook) Saved(s Seeker) []SavedCandidate {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []SavedCandidate
	for _, st := range b.m[s.Key()] {
		if st.saved {
			out = append(out, SavedCandidate{Ref: st.ref, SavedAt: st.savedAt})
		}
	}
	slices.SortFunc(out, func(a, b SavedCandidate) int {
		if c := b.SavedAt.Compare(a.SavedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Ref.ID, b.Ref.ID)
	})
	return out
}

// For fills q's Dismissed and Partners from the seeker's feedback.
func (b *FeedbackBook) For(q *Query) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	q.Dismissed, q.Partners = map[string]string{}, map[string]bool{}
	for id, st := range b.m[q.Seeker.Key()] {
		switch {
		case st.dismissed:
			q.Dismissed[id] = "dismissed on " + st.dismissedAt.UTC().Format("2006-01-02")
		case st.noShow:
			q.Dismissed[id] = "did not come to a meeting with you on " + st.noShowAt.UTC().Format("2006-01-02")
		}
		if st.partner {
			q.Partners[id] = true
		}
	}
}
