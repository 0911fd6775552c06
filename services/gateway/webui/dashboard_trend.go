package webui

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"
)

// The dated figures of the dashboard: what happened in the managed
// clusters, by month.
const (
	actOrgs         = "orgs"
	actCompetencies = "competencies"
	actOffers       = "offers"
	actMeetings     = "meetings"
	actContacts     = "contacts"
)

var activityKinds = []string{actOrgs, actCompetencies, actOffers, actMeetings, actContacts}

// activityLabels are the catalogue keys of the kinds of activity.
var activityLabels = map[string]string{
	actOrgs: "dashboard.act_orgs", actCompetencies: "dashboard.act_competencies", actOffers: "dashboard.act_offers",
	actMeetings: "dashboard.act_meetings", actContacts: "dashboard.act_contacts",
}

// choice is a time filter and the catalogue key of its name.
type choice struct{ Key, Label string }

// periods are the time filters a manager can choose, in the order shown.
var periods = []choice{{"30d", "dashboard.period_30d"}, {"90d", "dashboard.period_90d"}, {"12m", "dashboard.period_12m"}, {"all", "dashboard.period_all"}}

func periodLabel(key string) string {
	for _, p := range periods {
		if p.Key == key {
			return p.Label
		}
	}
	return "dashboard.period_all"
}

// period is the chosen time filter: figures count from Since (zero for
// all time); the trend shows Months calendar months up to now.
type period struct {
	Key    string
	Since  time.Time
	Months int
}

// periodOf reads the time filter; anything else means all time.
func periodOf(key string, now time.Time) period {
	switch key {
	case "30d":
		return period{Key: key, Since: now.AddDate(0, 0, -30), Months: 2}
	case "90d":
		return period{Key: key, Since: now.AddDate(0, 0, -90), Months: 4}
	case "12m":
		return period{Key: key, Since: now.AddDate(-1, 0, 0), Months: 12}
	}
	return period{Key: "all", Months: 12}
}

// dated collects the times things happened, per kind of activity.
type dated map[string][]time.Time

func (d dated) add(kind string, t time.Time) {
	if !t.IsZero() {
		d[kind] = append(d[kind], t)
	}
}

type series struct {
	Kind     string
	Label    string // catalogue key
	InPeriod int
	Months   []int
}

type trend struct {
	Period string
	// Months are the trend's months, "2006-01", oldest first.
	Months []string
	Series []series
	Max    int
}

// trendOf counts d in the period and per month of the trend.
func trendOf(d dated, p period, now time.Time) trend {
	tr := trend{Period: p.Key}
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -(p.Months - 1), 0)
	for i := range p.Months {
		tr.Months = append(tr.Months, first.AddDate(0, i, 0).Format("2006-01"))
	}
	for _, kind := range activityKinds {
		s := series{Kind: kind, Label: activityLabels[kind], Months: make([]int, p.Months)}
		for _, t := range d[kind] {
			t = t.UTC()
			if t.After(now) {
				continue
			}
			if p.Since.IsZero() || !t.Before(p.Since) {
				s.InPeriod++
			}
			if m := (t.Year()-first.Year())*12 + int(t.Month()-first.Month()); m >= 0 && m < p.Months {
				s.Months[m]++
				tr.Max = max(tr.Max, s.Months[m])
			}
		}
		tr.Series = append(tr.Series, s)
	}
	return tr
}

// trendSVG draws one row of monthly columns per kind of activity, in the
// brand colour, the latest month in the warm colour; the table beside it
// holds the same figures.
func trendSVG(l *Lang, tr trend) template.HTML {
	// Each row's label stands above its columns, so the chart stays
	// readable when a phone shrinks it to the screen's width.
	const (
		left  = 4
		labH  = 18
		barH  = 30
		rowH  = labH + barH + 10
		top   = 22
		plotW = 372
	)
	n := max(len(tr.Months), 1)
	step := plotW / n
	w, h := left+plotW+4, top+rowH*len(tr.Series)
	maxN := max(tr.Max, 1)
	esc := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart trend" viewBox="0 0 %d %d" role="img" aria-labelledby="trend-title trend-desc">`, w, h)
	fmt.Fprintf(&b, `<title id="trend-title">%s</title><desc id="trend-desc">%s</desc>`, esc(l.T("dashboard.trend")), esc(l.T("dashboard.trend_desc", tr.Months[0], tr.Months[len(tr.Months)-1])))
	fmt.Fprintf(&b, `<text x="%d" y="14" class="legend">%s</text><text x="%d" y="14" class="legend end">%s</text>`, left, esc(tr.Months[0]), left+plotW, esc(tr.Months[len(tr.Months)-1]))
	for i, s := range tr.Series {
		y := top + i*rowH
		fmt.Fprintf(&b, `<g class="series %s"><text x="%d" y="%d" class="term">%s</text>`, s.Kind, left, y+labH-4, esc(l.T(s.Label)))
		base := y + labH + barH
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" class="axis"/>`, left, base, left+plotW, base)
		for m, v := range s.Months {
			bh := v * barH / maxN
			if v > 0 {
				bh = max(bh, 2)
			}
			cls := "bar-offer"
			if m == len(s.Months)-1 {
				cls = "bar-need"
			}
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" class="%s"><title>%s</title></rect>`, left+m*step+2, base-bh, max(step-4, 2), bh, cls,
				esc(l.T("dashboard.trend_cell", l.T(s.Label), tr.Months[m], v)))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped above
}

// addCounted adds figures counted elsewhere to the series of kind: inPeriod
// in the period, and months by "2006-01" (months outside the trend count in
// the period only).
func (tr *trend) addCounted(kind string, inPeriod int, months map[string]int) {
	for i := range tr.Series {
		s := &tr.Series[i]
		if s.Kind != kind {
			continue
		}
		s.InPeriod += inPeriod
		for m, label := range tr.Months {
			s.Months[m] += months[label]
			tr.Max = max(tr.Max, s.Months[m])
		}
	}
}
