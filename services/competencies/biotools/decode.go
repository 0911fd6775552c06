// Package biotools imports a bio.tools registry export (JSON lines, one tool
// per line, as in shared/data/biotools/tools.jsonl) into Tandem: the credited
// organisations through the profiles service, and their competencies, from
// the EDAM topics and operations of the tools they are credited on, through
// the competencies service, with the tools and their publications as
// evidence. Running it again changes nothing.
package biotools

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Tool is the part of a bio.tools entry the import uses.
type Tool struct {
	ID                  string        `json:"biotoolsID"`
	Name                string        `json:"name"`
	Homepage            string        `json:"homepage"`
	Topic               []EDAMRef     `json:"topic"`
	Operation           []EDAMRef     `json:"operation"`
	ElixirNode          []string      `json:"elixirNode"`
	OrganisationCredits []Credit      `json:"organisationCredits"`
	Publication         []Publication `json:"publication"`
	AdditionDate        string        `json:"additionDate"`
}

// EDAMRef is an EDAM annotation: a short id ("topic_0622") and its label.
type EDAMRef struct {
	ID   string `json:"id"`
	Term string `json:"term"`
}

// Credit is an organisation credited on a tool.
type Credit struct {
	Name       string   `json:"name"`
	TypeEntity string   `json:"typeEntity"`
	TypeRole   []string `json:"typeRole"`
	URL        string   `json:"url"`
}

// Publication identifies a paper about a tool.
type Publication struct {
	DOI   string `json:"doi"`
	PMID  string `json:"pmid"`
	PMCID string `json:"pmcid"`
}

// MaxLine bounds one line of the file; real entries are a few kilobytes.
const MaxLine = 1 << 20

// DecodeLine decodes and checks one line.
func DecodeLine(line []byte) (Tool, error) {
	var t Tool
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&t); err != nil {
		return Tool{}, fmt.Errorf("not a bio.tools entry: %w", err)
	}
	if dec.More() {
		return Tool{}, errors.New("more than one JSON value on the line")
	}
	if err := t.check(); err != nil {
		return Tool{}, err
	}
	return t, nil
}

func (t *Tool) check() error {
	if t.ID == "" || len(t.ID) > 200 || strings.ContainsAny(t.ID, " /\t\n") || !utf8.ValidString(t.ID) {
		return fmt.Errorf("biotoolsID %q is missing or malformed", t.ID)
	}
	if !utf8.ValidString(t.Name) {
		return fmt.Errorf("tool %s: name is not UTF-8", t.ID)
	}
	return nil
}

// Decode reads a JSON-lines file and calls fn for every tool, in file order.
// Blank lines are skipped; an undecodable line stops the import with an
// error naming it, since a half-read file would import a wrong picture.
func Decode(r io.Reader, fn func(Tool) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		t, err := DecodeLine(b)
		if err != nil {
			return fmt.Errorf("line %d: %w", line, err)
		}
		if err := fn(t); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return nil
}
