package eval

import (
	"fmt"
	"strings"
)

// Setup describes the run for the report.
type Setup struct {
	Tools, Train, Held, Orgs, Seekers int
	Seed                              uint64
	Share                             float64
}

// Beats reports whether ours is above every baseline on every metric.
func Beats(ours Metrics, baselines ...Metrics) bool {
	for _, b := range baselines {
		if ours.R5 <= b.R5 || ours.R10 <= b.R10 || ours.R20 <= b.R20 || ours.MRR <= b.MRR {
			return false
		}
	}
	return true
}

// Report is the Markdown written to docs/matching.md.
func Report(ms []Metrics, s Setup) string {
	var b strings.Builder
	b.WriteString("# Matching\n\n## Offline evaluation on bio.tools\n\n")
	fmt.Fprintf(&b, "Organisations credited together on the same bio.tools entry count as real collaborations. "+
		"Of the %d entries, those crediting two or more organisations (institutes, consortia, divisions) are the collaborations; "+
		"%.0f%% of them (%d entries, seed %d) are held out. Profiles are built from the other %d entries only: each EDAM topic and "+
		"operation of an entry becomes a competency of every organisation credited on it, with the entry and its publications as "+
		"evidence, and the entries' names and descriptions as the organisation's description (%d organisations). Each of the %d "+
		"held-out organisations that has a profile asks for partners, as an organisation seeker without a typed need; the right "+
		"answers are the organisations it is credited with on held-out entries. Recall@k is averaged over seekers; MRR uses the "+
		"first right answer in the top 100.\n\n", s.Tools, s.Share*100, s.Held, s.Seed, s.Train, s.Orgs, s.Seekers)
	b.WriteString(Table(ms))
	b.WriteString("\nRun it with `go run ./services/matching/cmd/eval -data ../shared/data/biotools` from the repository root " +
		"(it fails when the scorer does not beat both baselines on every metric).\n\n")
	b.WriteString(scoring)
	b.WriteString("\nData: bio.tools — ELIXIR registry of life-science software, https://bio.tools (CC BY 4.0); EDAM ontology (CC BY-SA 4.0).\n")
	return b.String()
}

const scoring = `## How SuggestPartners scores

A seeker (an organisation, a person, or one cooperation profile) is read as what it looks for — the need's terms, the
terms the need text resolves to in the EDAM + MeSH vocabulary, the terms of its published requests, or, with none of
these, its own competencies and offers — and what it can give (its competencies and offers). Every candidate
(organisation, with its people's competencies; or person) is scored with six components in [0, 1]:

| component | weight | what it measures |
| --- | ---: | --- |
| ontology | 0.40 | for each sought term, the best candidate term: same term 1, EDAM↔MeSH link 0.9, narrower 0.8 per step, broader 0.75 per step scaled by the broader term's information content, siblings 0.5 scaled by the parent's; times the competency level and the candidate term's rarity. Sought terms are weighted by rarity (information content in the vocabulary and inverse document frequency among candidates), so rare terms weigh more |
| text | 0.20 | BM25 of the need text, request titles and summaries (or the seeker's most distinctive words) over the candidate's description, competency notes and offer texts, saturated as s/(s + half the query's IDF mass); profiles with few or no terms still match |
| reciprocity | 0.12 | how well the seeker's competencies and offers answer the candidate's published requests |
| evidence | 0.08 | 1 − e^(−n/4) for the n publications, projects, patents, facilities, services and products behind the matched competencies |
| complementarity | 0.12 | 1 for an industry↔research pair (or a kind the seeker's request asks for), lower for same-side pairs; raised when the candidate offers a collaboration type the seeker seeks |
| cluster / region | 0.08 | 1 for a shared cluster, 0.7 for the same NUTS-2 region, 0.4 for the same country |

Score = weighted sum − diversity penalty. Candidates need some ontology, text or reciprocity relevance. The top k is
chosen greedily (MMR): each next pick maximises score − λ·(similarity to those above), where similarity is 1 for the
same organisation and otherwise the mean Jaccard overlap of significant name words and matched terms; λ is 0 (none),
0.15 (balanced, the default) or 0.5 with at most one candidate per organisation (high). Hidden profiles never appear,
anonymous ones appear as "Research institute in ITH4", and cluster-members-only profiles only to callers whose
organisation shares a cluster. Dismissed candidates never come back to that seeker.

## Two passes

Scoring every candidate in full would not answer in milliseconds at 100,000 organisations, so a query runs in two
passes. The first walks inverted lists (per expanded term, per word, per requested term; grouped by organisation
kind, so a kind filter skips the other kinds) and gives every candidate it reaches a cheap score: the ontology,
text and reciprocity parts only. The candidates are taken in that order, filtered, and scored in full until the
pool holds 4·k (at least 40); the top k is chosen from the pool. On a large index the first pass leaves out words
held by more than 2% of the candidates (at least 1,000) and weak relations (weight under 0.1) to terms held that
widely: they still count in full scoring, but their lists are long and their share of a score small. The first
pass is pinned by a test against the same pipeline computed candidate by candidate, pruning included.

## In-event suggestions

` + "`" + `SuggestPartners` + "`" + ` with ` + "`" + `filter.event_id` + "`" + ` ranks exactly as without it but keeps only the event's registered
participants (an organisation counts if it or one of its people is registered; a person only if registered).
The seeker must be at the event, unless the caller organises it or is an admin; organisers may seek for
anyone. Unknown event → ` + "`" + `NOT_FOUND` + "`" + `; seeker not registered → ` + "`" + `FAILED_PRECONDITION` + "`" + `. CLI:
` + "`" + `tandem suggest --organization ID --event EVENT_ID` + "`" + `.
`
