package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tandem-cluster/tandem/services/meetings/scheduler"
)

// model is the scheduling problem as a 0-1 program: x[r,s] = 1 when request
// r meets in slot s. Constraints: one slot per request, one meeting per
// participant and slot, the free tables of a slot, the meeting limit less
// fixed meetings.
type model struct {
	vars []variable
	rows []row
}

type variable struct {
	r, s int
}

type row struct {
	terms []int // variable indices
	rhs   int
}

func buildModel(p scheduler.Problem) model {
	n := len(p.Slots)
	np := len(p.Participants)
	avail := make([][]bool, np)
	busy := make([][]bool, np)
	fixedN := make([]int, np)
	tableFree := make([]int, n)
	for s := range tableFree {
		tableFree[s] = p.Tables
	}
	for v, pa := range p.Participants {
		avail[v] = make([]bool, n)
		busy[v] = make([]bool, n)
		if pa.Available == nil {
			for s := range avail[v] {
				avail[v][s] = true
			}
		}
		for _, s := range pa.Available {
			avail[v][s] = true
		}
	}
	fixedReq := map[int]bool{}
	for _, f := range p.Fixed {
		busy[f.A][f.Slot], busy[f.B][f.Slot] = true, true
		fixedN[f.A]++
		fixedN[f.B]++
		tableFree[f.Slot]--
		fixedReq[f.Request] = true
	}
	var m model
	byReq := make([][]int, len(p.Requests))
	byPartSlot := map[[2]int][]int{}
	bySlot := make([][]int, n)
	byPart := make([][]int, np)
	for r, rq := range p.Requests {
		if fixedReq[r] {
			continue
		}
		for s := range n {
			if !avail[rq.A][s] || !avail[rq.B][s] || busy[rq.A][s] || busy[rq.B][s] {
				continue
			}
			i := len(m.vars)
			m.vars = append(m.vars, variable{r, s})
			byReq[r] = append(byReq[r], i)
			byPartSlot[[2]int{rq.A, s}] = append(byPartSlot[[2]int{rq.A, s}], i)
			byPartSlot[[2]int{rq.B, s}] = append(byPartSlot[[2]int{rq.B, s}], i)
			bySlot[s] = append(bySlot[s], i)
			byPart[rq.A] = append(byPart[rq.A], i)
			byPart[rq.B] = append(byPart[rq.B], i)
		}
	}
	for _, t := range byReq {
		if len(t) > 1 {
			m.rows = append(m.rows, row{t, 1})
		}
	}
	for v := range np {
		for s := range n {
			if t := byPartSlot[[2]int{v, s}]; len(t) > 1 {
				m.rows = append(m.rows, row{t, 1})
			}
		}
	}
	for s, t := range bySlot {
		if len(t) > tableFree[s] {
			m.rows = append(m.rows, row{t, tableFree[s]})
		}
	}
	for v, pa := range p.Participants {
		if pa.Max > 0 && len(byPart[v]) > pa.Max-fixedN[v] {
			m.rows = append(m.rows, row{byPart[v], max(0, pa.Max-fixedN[v])})
		}
	}
	return m
}

// extra is a constraint on a weighted sum of requests: at least rhs.
type extra struct {
	weight func(r int) float64
	rhs    float64
}

// writeLP writes the model in CPLEX LP format, maximising the weight of the
// placed requests, with extra lower bounds (the lexicographic stages).
func (m model) writeLP(path string, weight func(r int) float64, extras []extra) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	terms := func(coef func(i int) float64, idx []int) {
		k := 0
		for _, i := range idx {
			c := coef(i)
			if c == 0 {
				continue
			}
			if k%8 == 7 {
				w.WriteString("\n ")
			}
			fmt.Fprintf(w, " + %g x%d", c, i)
			k++
		}
		if k == 0 {
			w.WriteString(" 0 x0")
		}
	}
	all := make([]int, len(m.vars))
	for i := range all {
		all[i] = i
	}
	w.WriteString("Maximize\n obj:")
	terms(func(i int) float64 { return weight(m.vars[i].r) }, all)
	w.WriteString("\nSubject To\n")
	for k, r := range m.rows {
		fmt.Fprintf(w, " c%d:", k)
		terms(func(int) float64 { return 1 }, r.terms)
		fmt.Fprintf(w, " <= %d\n", r.rhs)
	}
	for k, e := range extras {
		fmt.Fprintf(w, " lex%d:", k)
		terms(func(i int) float64 { return e.weight(m.vars[i].r) }, all)
		fmt.Fprintf(w, " >= %g\n", e.rhs)
	}
	w.WriteString("Binary\n")
	for i := range m.vars {
		fmt.Fprintf(w, " x%d", i)
		if i%16 == 15 {
			w.WriteString("\n")
		}
	}
	w.WriteString("\nEnd\n")
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// mipResult is what cbc found: the best schedule's value and the best bound
// it proved (equal when optimal), and the placed variables.
type mipResult struct {
	value, bound float64
	optimal      bool
	x            []bool
	took         time.Duration
}

var (
	reObjective = regexp.MustCompile(`Objective value:\s+(-?[0-9.eE+-]+)`)
	// CBC names the best bound it proved "Upper bound" for a maximisation
	// and "Lower bound" for a minimisation.
	reBound = regexp.MustCompile(`(?:Upper|Lower) bound:\s+(-?[0-9.eE+-]+)`)
)

// solveMIP runs cbc on the model (single thread, time-limited) and reads
// its answer.
func solveMIP(ctx context.Context, cbc, dir string, m model, weight func(r int) float64, extras []extra, limit time.Duration) (mipResult, error) {
	lp := filepath.Join(dir, "model.lp")
	sol := filepath.Join(dir, "model.sol")
	os.Remove(sol)
	if err := m.writeLP(lp, weight, extras); err != nil {
		return mipResult{}, err
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, cbc, lp, "sec", strconv.Itoa(int(limit.Seconds())), "threads", "1", "solve", "solution", sol)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return mipResult{}, fmt.Errorf("cbc: %w\n%s", err, tail(out))
	}
	res := mipResult{took: time.Since(start), x: make([]bool, len(m.vars))}
	text := string(out)
	res.optimal = strings.Contains(text, "Result - Optimal solution found")
	// cbc minimises the negated objective and prints its values negated back
	// for a maximisation; the bound is printed for the minimisation.
	om := reObjective.FindStringSubmatch(text)
	bm := reBound.FindStringSubmatch(text)
	switch {
	case om != nil:
		res.value, _ = strconv.ParseFloat(om[1], 64)
		res.value = math.Abs(res.value)
		res.bound = res.value
	case bm == nil || res.optimal:
		return mipResult{}, fmt.Errorf("cbc gave no objective value:\n%s", tail(out))
	default:
		// Stopped before any schedule: the bound still says how far from
		// the optimum a schedule can be.
		b, _ := strconv.ParseFloat(bm[1], 64)
		res.bound = math.Floor(math.Abs(b) + 1e-6)
		return res, nil
	}
	if bm != nil && !res.optimal {
		b, _ := strconv.ParseFloat(bm[1], 64)
		res.bound = math.Floor(math.Abs(b) + 1e-6) // objectives are whole numbers
	}
	f, err := os.Open(sol)
	if err != nil {
		return mipResult{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || !strings.HasPrefix(fields[1], "x") {
			continue
		}
		i, err1 := strconv.Atoi(fields[1][1:])
		v, err2 := strconv.ParseFloat(fields[2], 64)
		if err1 == nil && err2 == nil && i < len(res.x) && v > 0.5 {
			res.x[i] = true
		}
	}
	return res, sc.Err()
}

func tail(b []byte) string {
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
