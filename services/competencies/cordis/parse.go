// Package cordis imports the CORDIS open-data CSV exports (project.csv,
// organization.csv, topics.csv of the FP7 and Horizon 2020 datasets) as
// collaboration history: every participating organisation exists in the
// profiles service (matched by normalised name and country, else created),
// and every project becomes a collaboration among them.
//
// Data: © European Union, CORDIS, reusable under Decision 2011/833/EU.
package cordis

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Project is one row of project.csv.
type Project struct {
	ID, Acronym, Title, Topic, Programme, StartDate, Objective string
}

// Participation is one row of organization.csv: an organisation in a project.
type Participation struct {
	ProjectID, OrgID, Name, ShortName, ActivityType, Country, NUTS, City, Role, Order string
	Line                                                                              int
}

// Topic is one row of topics.csv: a project's call topic and its title.
type Topic struct {
	ProjectID, Code, Title string
}

// maxField bounds one field, so a broken quote cannot swallow a whole file
// into one value.
const maxField = 64 << 10

// table reads a semicolon-separated, quoted CORDIS file and hands each row
// to row as a lookup by column name. Columns are found by name, so the
// FP7 and H2020 layouts (and future column orders) read the same; the
// required ones must be present.
func table(r io.Reader, name string, required []string, row func(line int, get func(col string) string) error) error {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\ufeff")) {
		_, _ = br.Discard(3) // a byte-order mark
	}
	cr := csv.NewReader(br)
	cr.Comma = ';'
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: empty file", name)
	}
	if err != nil {
		return fmt.Errorf("%s: header: %w", name, err)
	}
	cols := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, dup := cols[h]; !dup {
			cols[h] = i
		}
	}
	for _, c := range required {
		if _, ok := cols[c]; !ok {
			return fmt.Errorf("%s: no %q column (is it a CORDIS export?)", name, c)
		}
	}
	n := len(header)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) != n {
			return fmt.Errorf("%s:%d: %d fields, the header has %d", name, line, len(rec), n)
		}
		for i, f := range rec {
			if len(f) > maxField {
				return fmt.Errorf("%s:%d: field %q longer than %d bytes", name, line, header[i], maxField)
			}
			if !utf8.ValidString(f) {
				return fmt.Errorf("%s:%d: field %q is not UTF-8", name, line, header[i])
			}
		}
		get := func(col string) string {
			i, ok := cols[col]
			if !ok {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		if err := row(line, get); err != nil {
			return fmt.Errorf("%s:%d: %w", name, line, err)
		}
	}
}

// ReadProjects reads project.csv.
func ReadProjects(r io.Reader) ([]Project, error) {
	var out []Project
	err := table(r, "project.csv", []string{"id", "title"}, func(_ int, get func(string) string) error {
		p := Project{ID: get("id"), Acronym: get("acronym"), Title: get("title"), Topic: get("topics"),
			Programme: get("frameworkProgramme"), StartDate: get("startDate"), Objective: get("objective")}
		if p.ID == "" {
			return errors.New("a project without id")
		}
		out = append(out, p)
		return nil
	})
	return out, err
}

// ReadParticipations reads organization.csv.
func ReadParticipations(r io.Reader) ([]Participation, error) {
	var out []Participation
	err := table(r, "organization.csv", []string{"projectID", "name", "country"}, func(line int, get func(string) string) error {
		out = append(out, Participation{ProjectID: get("projectID"), OrgID: get("organisationID"), Name: get("name"), ShortName: get("shortName"),
			ActivityType: get("activityType"), Country: get("country"), NUTS: get("nutsCode"), City: get("city"), Role: get("role"),
			Order: get("order"), Line: line})
		return nil
	})
	return out, err
}

// ReadTopics reads topics.csv.
func ReadTopics(r io.Reader) ([]Topic, error) {
	var out []Topic
	err := table(r, "topics.csv", []string{"projectID", "topic", "title"}, func(_ int, get func(string) string) error {
		out = append(out, Topic{ProjectID: get("projectID"), Code: get("topic"), Title: get("title")})
		return nil
	})
	return out, err
}
