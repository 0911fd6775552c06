package domain

import (
	"strings"
	"unicode"
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

// Tokens splits text into lower-case words without stop words, folding a
// plural "s" so "biomarkers" meets "biomarker".
func Tokens(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		w := strings.ToLower(f)
		if len(w) < 2 || stopWords[w] {
			continue
		}
		out = append(out, stemWord(w))
	}
	return out
}

func stemWord(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 4 && strings.HasSuffix(w, "ses"):
		return w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}
