package vocab

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// stopWords carry no meaning for matching; queries and names drop them so
// "analysis of RNA" finds "RNA analysis".
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "as": true, "at": true, "by": true, "for": true, "from": true,
	"in": true, "into": true, "is": true, "its": true, "of": true, "on": true, "or": true, "the": true,
	"to": true, "with": true, "using": true, "via": true,
	// Italian articulated prepositions and articles that no English or
	// Latin term name uses as a word ("il", "e", "i", "la" are left in:
	// interleukins, vitamin E, type I, lanthanum).
	"di": true, "del": true, "della": true, "dello": true, "dei": true, "degli": true, "delle": true,
	"per": true, "con": true, "nel": true, "nella": true, "nei": true, "nelle": true, "al": true, "alla": true,
	"allo": true, "agli": true, "alle": true, "dal": true, "dalla": true, "sul": true, "sulla": true, "gli": true,
	"una": true, "uno": true,
}

// normalize lower-cases s, folds accents and turns every run of characters
// that is not a letter or digit into one space, so "RNA-Seq" and "rna seq"
// compare equal.
func normalize(s string) string {
	if !isASCII(s) {
		s = foldAccents(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case r < utf8.RuneSelf:
			space = b.Len() > 0
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
		default:
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldAccents removes combining marks after canonical decomposition, so
// "Müller" matches "muller".
func foldAccents(s string) string {
	d := norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(d))
	for _, r := range d {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// words splits a normalized string into stemmed words without stop words;
// when every word is a stop word it keeps them, so a query "in" still means
// something.
func words(normalized string) []string {
	if normalized == "" {
		return nil
	}
	all := strings.Split(normalized, " ")
	out := make([]string, 0, len(all))
	for _, w := range all {
		if !stopWords[w] {
			out = append(out, stem(w))
		}
	}
	if len(out) == 0 {
		for _, w := range all {
			out = append(out, stem(w))
		}
	}
	return out
}

// stem strips the regular English plural so "proteins" meets "protein".
// Both indexed words and query words pass through it, so it only has to be
// consistent, not linguistically right.
func stem(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		return w[:n-3] + "y"
	case n > 3 && w[n-1] == 's' && w[n-2] != 's' && w[n-2] != 'u' && w[n-2] != 'i':
		return w[:n-1]
	}
	return w
}

// uninvert turns a MeSH inverted heading into natural order:
// "Sequence Analysis, RNA" -> "RNA Sequence Analysis",
// "Lymphoma, Large B-Cell, Diffuse" -> "Diffuse Large B-Cell Lymphoma".
// It returns "" when the label has no comma.
func uninvert(label string) string {
	if !strings.Contains(label, ", ") {
		return ""
	}
	parts := strings.Split(label, ", ")
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, " ")
}

// withinDistance reports whether the Levenshtein distance of a and b is at
// most k, in O(k*len) time; transpositions count as one edit because
// swapped letters are the commonest typo.
func withinDistance(a, b string, k int) bool {
	la, lb := len(a), len(b)
	if la-lb > k || lb-la > k {
		return false
	}
	if a == b {
		return true
	}
	// Full DP on short words is cheap enough; words here are < 40 bytes.
	if la > 64 || lb > 64 {
		return false
	}
	var prev2, prev, cur [65]int
	for j := 0; j <= lb; j++ {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > k {
			return false
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb] <= k
}
