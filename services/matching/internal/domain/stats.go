package domain

// Corpus statistics as scoring reads them: how many candidates there are,
// their average length, and how many hold each word and term. Scoring
// reads them from a snapshot, not from the posting lists, so that a
// change to one candidate's document moves that candidate's scores only:
// an answer it does not reach stays the scorer's answer (Holds). The
// snapshot is taken again after any change that is not to documents alone
// (which makes every answer stale anyway), and once the documents changed
// since it exceed a hundredth of its candidates. A score therefore reads
// statistics at most 1 % of the documents behind, the same for every
// query and for Explain, and an index built in one go reads them exact.
type corpusStats struct {
	nCands   int
	totalLen int64
	wordDF   []int32 // by word number
	termDF   []int32 // by term number
}

// statsDriftShare is the share of the snapshot's candidates (1/100) whose
// documents may change before the snapshot is taken again.
const statsDriftShare = 100

// pending marks a word or term whose count moved since the snapshot.
type pending struct {
	marked []bool
	nums   []int32
}

func (p *pending) mark(n int32) {
	if int(n) >= len(p.marked) {
		p.marked = append(p.marked, make([]bool, int(n)+1-len(p.marked))...)
	}
	if !p.marked[n] {
		p.marked[n] = true
		p.nums = append(p.nums, n)
	}
}

// take copies the live count of every marked number into df, grown to
// size, and clears the marks.
func (p *pending) take(df []int32, size int, count func(int32) int) []int32 {
	if len(df) < size {
		df = append(df, make([]int32, size-len(df))...)
	}
	for _, n := range p.nums {
		df[n] = int32(count(n))
		p.marked[n] = false
	}
	p.nums = p.nums[:0]
	return df
}

// takeStats takes the snapshot from the live counts. Callers hold the
// write lock.
func (x *Index) takeStats() {
	x.st.nCands, x.st.totalLen = x.nCands, x.totalLen
	x.st.wordDF = x.wordPend.take(x.st.wordDF, len(x.tokPost), func(n int32) int { return x.tokPost[n].df() })
	x.st.termDF = x.termPend.take(x.st.termDF, len(x.post), func(n int32) int { return x.post[n].df() })
	x.drift = 0
	x.gen++ // the expansions' weights read the statistics
}

// statsDue reports whether the documents changed since the snapshot are
// more than it may lag behind.
func (x *Index) statsDue() bool { return x.drift > x.st.nCands/x.driftShare }

// wordDF is the snapshot's count of candidates using the word numbered n
// (0 for -1 or a word numbered since).
func (x *Index) wordDF(n int32) int {
	if n < 0 || int(n) >= len(x.st.wordDF) {
		return 0
	}
	return int(x.st.wordDF[n])
}

// termDF is the snapshot's count of candidates holding the term numbered n.
func (x *Index) termDF(n int32) int {
	if n < 0 || int(n) >= len(x.st.termDF) {
		return 0
	}
	return int(x.st.termDF[n])
}

// wordDFOf is wordDF by the word itself.
func (x *Index) wordDFOf(w string) int {
	if n, ok := x.wordNum[w]; ok {
		return x.wordDF(n)
	}
	return 0
}

// termDFOf is termDF by the term's id.
func (x *Index) termDFOf(term string) int {
	if n, ok := x.termNum[term]; ok {
		return x.termDF(n)
	}
	return 0
}
