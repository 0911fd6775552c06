package domain

import (
	"strings"
	"unicode"

	"github.com/kljensen/snowball/english"
)

// stopWords carry no meaning for text relevance.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "by": true,
	"for": true, "from": true, "in": true, "into": true, "is": true, "it": true, "its": true, "of": true,
	"on": true, "or": true, "that": true, "the": true, "their": true, "this": true, "to": true, "we": true,
	"with": true, "our": true, "using": true, "via": true, "who": true, "can": true, "also": true,
	"which": true, "other": true, "such": true, "has": true, "have": true, "not": true, "all": true,
	"di": true, "e": true, "il": true, "la": true, "per": true, "del": true, "della": true,
}

// Tokens splits text into lower-case words without stop words, each
// reduced to its Snowball (Porter2) stem, so "biomarkers" meets
// "biomarker" and "sequencing" meets "sequenced".
func Tokens(text string) []string {
	var out []string
	words(text, func(st, _ string) { out = append(out, st) })
	return out
}

// words calls fn with the stem and the lower-case word of each word of
// text that is not a stop word.
func words(text string, fn func(stem, word string)) {
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		w := strings.ToLower(f)
		if len(w) < 2 || stopWords[w] {
			continue
		}
		fn(stem(w), w)
	}
}

// shown is how explanations write a stem: the first word the index saw
// for it ("fibrosis" for "fibrosi").
func (x *Index) shown(st string) string {
	if w, ok := x.surface[st]; ok {
		return w
	}
	return st
}

// stem reduces a word to its stem; words with digits (codes, years) are
// kept as they are.
func stem(w string) string {
	if strings.ContainsFunc(w, unicode.IsDigit) {
		return w
	}
	return english.Stem(w, false)
}

// Reading free text as terms: a term is kept only when the vocabulary's
// confidence in it, times the share of its label's words the text holds,
// reaches minReadConfidence.
const (
	minReadConfidence = 0.5
	// A word held by more than this share of the candidates is corpus
	// boilerplate (programme words, "health" in a health cluster): it is
	// not read as a term of its own.
	boilerplateShare = 0.25
	// Boilerplate is only judged on an index with at least this many
	// candidates.
	boilerplateFloor = 40
)

// readText reads free text as vocabulary terms, best first: codes
// ("HEALTH.2012.2.1.1-1", "thematic_priority:") and words that are
// boilerplate in the index are left out before the vocabulary reads it,
// and a term must be carried by the words of the text (its label's words,
// stemmed) as well as by the vocabulary's confidence. Callers hold a lock.
func (x *Index) readText(text string) []Resolved {
	clean, words := x.withoutBoilerplate(text)
	if strings.TrimSpace(clean) == "" {
		return nil
	}
	var out []Resolved
	for _, r := range x.ont.Resolve(clean) {
		label := Tokens(x.ont.Label(r.TermID))
		if len(label) == 0 {
			continue
		}
		held := 0
		for _, w := range label {
			if words[w] {
				held++
			}
		}
		// Synonyms and abbreviations ("NGS") carry a term without its
		// label's words: the vocabulary's own top reading is trusted.
		cover := float64(held) / float64(len(label))
		if held == 0 && r.Confidence >= 0.999 {
			cover = 0.6
		}
		if c := r.Confidence * cover; c >= minReadConfidence {
			out = append(out, Resolved{TermID: r.TermID, Confidence: c})
		}
	}
	return out
}

// withoutBoilerplate reads text as segments (split at "|", ";" and line
// breaks): codes and field labels ("HEALTH.2012.2.1.1-1",
// "thematic_priority:") are blanked out, and a segment left with nothing
// but words that are boilerplate in the index is dropped whole. It returns
// what is left and the stems of its words.
func (x *Index) withoutBoilerplate(text string) (string, map[string]bool) {
	var b strings.Builder
	kept := map[string]bool{}
	judge := x.nCands >= boilerplateFloor
	for _, seg := range strings.FieldsFunc(text, func(r rune) bool { return r == '|' || r == ';' || r == '\n' }) {
		var words []string
		informative := !judge
		for _, f := range strings.Fields(seg) {
			core := strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
			if core == "" || isCode(core) || strings.HasSuffix(f, ":") {
				words = append(words, "|")
				continue
			}
			words = append(words, f)
			for _, w := range Tokens(core) {
				if !informative && !x.boilerplate(w) {
					informative = true
				}
			}
		}
		if !informative {
			continue
		}
		for _, f := range words {
			for _, w := range Tokens(f) {
				kept[w] = true
			}
			b.WriteString(f)
			b.WriteByte(' ')
		}
		b.WriteString("| ")
	}
	return b.String(), kept
}

// boilerplate reports whether a word (stemmed) is held by too many
// candidates to mean anything.
func (x *Index) boilerplate(w string) bool {
	post := x.wordPost(w)
	return post != nil && float64(post.df()) > boilerplateShare*float64(x.nCands)
}

// isCode reports whether a word is a code rather than a word: a field name
// ("thematic_priority"), a call or topic code ("H2020-SC1-2016-2017",
// "HEALTH.2012.2.1.1-1"), a number. "COVID-19" and "16S" are words.
func isCode(w string) bool {
	digits := 0
	for _, r := range w {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	return strings.ContainsRune(w, '_') || digits == len(w) || digits >= 4 && strings.ContainsAny(w, ".-/")
}
