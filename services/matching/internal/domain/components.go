package domain

// Components returns the score's components (in Feature order) of each
// candidate for one query, whatever the weights, with no candidate left
// out; a candidate the index does not hold gets zeros. It is for offline
// diagnostics (the eval's ceiling), not for serving.
func (x *Index) Components(q Query, candidates []Ref) ([][NumFeatures]float64, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	p, err := x.seekerProfile(q)
	if err != nil {
		return nil, err
	}
	defer p.release()
	out := make([][NumFeatures]float64, len(candidates))
	for k, r := range candidates {
		if i, ok := x.byRef[r]; ok && x.cands[i] != nil {
			out[k] = x.score(q, p, x.cands[i]).features()
		}
	}
	return out, nil
}

// CallFamily splits a call topic code into the segments the graph compares
// (years left out), for offline diagnostics.
func CallFamily(code string) []string { return callFamily(code) }
