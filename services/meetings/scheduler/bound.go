package scheduler

// flow is a max-flow network solved with Dinic's algorithm. The upper bound
// uses it for the fractional b-matching of the request graph: popular
// participants with far more requests than slots make the plain degree bound
// loose, the matching bound is not.
type flow struct {
	head  []int
	next  []int
	to    []int
	cap   []int
	level []int
	iter  []int
	queue []int
}

func newFlow(nodes, edgesHint int) *flow {
	f := &flow{head: make([]int, nodes), level: make([]int, nodes), iter: make([]int, nodes)}
	for i := range f.head {
		f.head[i] = -1
	}
	f.next = make([]int, 0, 2*edgesHint)
	f.to = make([]int, 0, 2*edgesHint)
	f.cap = make([]int, 0, 2*edgesHint)
	return f
}

func (f *flow) add(u, v, c int) {
	f.to = append(f.to, v)
	f.cap = append(f.cap, c)
	f.next = append(f.next, f.head[u])
	f.head[u] = len(f.to) - 1
	f.to = append(f.to, u)
	f.cap = append(f.cap, 0)
	f.next = append(f.next, f.head[v])
	f.head[v] = len(f.to) - 1
}

func (f *flow) bfs(s, t int) bool {
	for i := range f.level {
		f.level[i] = -1
	}
	f.level[s] = 0
	f.queue = append(f.queue[:0], s)
	for i := 0; i < len(f.queue); i++ {
		u := f.queue[i]
		for e := f.head[u]; e >= 0; e = f.next[e] {
			if f.cap[e] > 0 && f.level[f.to[e]] < 0 {
				f.level[f.to[e]] = f.level[u] + 1
				f.queue = append(f.queue, f.to[e])
			}
		}
	}
	return f.level[t] >= 0
}

// dfs pushes flow along level-increasing paths; the graph has depth 3, so
// recursion stays shallow.
func (f *flow) dfs(u, t, pushed int) int {
	if u == t {
		return pushed
	}
	for ; f.iter[u] >= 0; f.iter[u] = f.next[f.iter[u]] {
		e := f.iter[u]
		v := f.to[e]
		if f.cap[e] <= 0 || f.level[v] != f.level[u]+1 {
			continue
		}
		if d := f.dfs(v, t, min(pushed, f.cap[e])); d > 0 {
			f.cap[e] -= d
			f.cap[e^1] += d
			return d
		}
	}
	return 0
}

func (f *flow) max(s, t int) int {
	total := 0
	for f.bfs(s, t) {
		copy(f.iter, f.head)
		for {
			d := f.dfs(s, t, 1<<30)
			if d == 0 {
				break
			}
			total += d
		}
	}
	return total
}

// matchingBound is the fractional b-matching value of the graph with the
// given edges and capacities b, rounded down: max flow in the bipartite
// double cover halved. Every schedule is a b-matching, so it bounds them all.
func matchingBound(n int, edges [][2]int, b []int) int {
	src, sink := 2*n, 2*n+1
	f := newFlow(2*n+2, 2*len(edges)+2*n)
	for v := range n {
		if b[v] > 0 {
			f.add(src, v, b[v])
			f.add(n+v, sink, b[v])
		}
	}
	for _, e := range edges {
		f.add(e[0], n+e[1], 1)
		f.add(e[1], n+e[0], 1)
	}
	return f.max(src, sink) / 2
}
