// Package importer loads organisations in bulk into the profiles service:
// CSV or JSONL files in Tandem's own columns, and the organisation list of
// the bio.tools registry (TSV). It calls the service's public API, so every
// row is validated, authorised and announced like any other create, and each
// row carries a client request id derived from its identity, so re-running
// an import creates nothing twice.
package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Format is a file format the importer reads.
type Format string

// Formats.
const (
	CSV      Format = "csv"      // Tandem's columns, see Columns
	JSONL    Format = "jsonl"    // one Organization (or CreateOrganizationRequest) in protobuf JSON per line
	BioTools Format = "biotools" // organisations.tsv of the bio.tools snapshot
)

// Columns are the CSV columns; a file names the ones it uses in its header.
// Lists (sectors, nace_codes, cluster_ids, external_ids) separate values with
// "|"; external ids are "source:id"; enums take their short or full names
// ("company" or "ORGANIZATION_KIND_COMPANY").
var Columns = []string{
	"name", "kind", "short_name", "country_code", "nuts_code", "city", "website", "size_band", "sectors",
	"nace_codes", "description", "visibility", "cluster_ids", "external_ids", "contact_name", "contact_email",
	"contact_phone", "contact_consent", "client_request_id",
}

// bioToolsHeader is the first line of the bio.tools organisations.tsv.
const bioToolsHeader = "organisation\ttypeEntity\tn_tools\ttop_edam_topics(label:count)"

// MaxLineBytes bounds one input line (a JSONL object or a CSV record).
const MaxLineBytes = 1 << 20

// Row is one organisation to create.
type Row struct {
	Line      int    // 1-based line (record) number in the file
	RequestID string // client request id that makes the create idempotent
	Org       *profilesv1.Organization
}

// Rejection is a row that was not imported, and why.
type Rejection struct {
	Line   int
	Name   string
	Reason string
}

// DetectFormat picks the format from the file name, or from the first bytes
// when the extension says nothing.
func DetectFormat(path string, head []byte) (Format, error) {
	if bytes.HasPrefix(head, []byte(bioToolsHeader)) {
		return BioTools, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return CSV, nil
	case ".jsonl", ".ndjson":
		return JSONL, nil
	}
	if t := bytes.TrimSpace(head); len(t) > 0 && t[0] == '{' {
		return JSONL, nil
	}
	return "", fmt.Errorf("cannot tell the format of %s: use a .csv or .jsonl name or the bio.tools organisations.tsv", path)
}

// Parse reads every row of r. Rows that cannot become an organisation are
// returned as rejections; an error means the file as a whole is unreadable.
func Parse(r io.Reader, f Format) ([]Row, []Rejection, error) {
	switch f {
	case CSV:
		return parseCSV(r, ',', false)
	case BioTools:
		return parseCSV(r, '\t', true)
	case JSONL:
		return parseJSONL(r)
	}
	return nil, nil, fmt.Errorf("unknown format %q", f)
}

func parseCSV(r io.Reader, sep rune, bioTools bool) ([]Row, []Rejection, error) {
	cr := csv.NewReader(io.LimitReader(r, 1<<34))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("read header: %w", err)
	}
	header = slices.Clone(header)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if bioTools {
			col[h] = i
			continue
		}
		if !slices.Contains(Columns, h) {
			return nil, nil, fmt.Errorf("header: unknown column %q (known: %s)", h, strings.Join(Columns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, nil, fmt.Errorf("header: column %q twice", h)
		}
		col[h] = i
	}
	if bioTools && strings.Join(header, "\t") != bioToolsHeader {
		return nil, nil, fmt.Errorf("header: not the bio.tools organisations header %q", bioToolsHeader)
	}
	if _, ok := col["name"]; !ok && !bioTools {
		return nil, nil, errors.New(`header: a "name" column is required`)
	}
	var (
		rows []Row
		rej  []Rejection
	)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			rej = append(rej, Rejection{Line: pe.Line, Reason: pe.Err.Error()})
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read: %w", err)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		var row Row
		if bioTools {
			row, err = bioToolsRow(rec)
		} else {
			row, err = csvRow(get)
		}
		row.Line = line
		if err != nil {
			name := ""
			if len(rec) > 0 {
				name = rec[0]
			}
			rej = append(rej, Rejection{Line: line, Name: clip(name), Reason: err.Error()})
			continue
		}
		rows = append(rows, row)
	}
	return rows, rej, nil
}

func clip(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if utf8.RuneCountInString(s) > 60 {
		return string([]rune(s)[:60]) + "…"
	}
	return s
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// enumValue accepts an enum value's full name or its name without the type
// prefix, in any case.
func enumValue(values map[string]int32, prefix, s string) (int32, error) {
	if s == "" {
		return 0, nil
	}
	u := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", "_"))
	if v, ok := values[u]; ok {
		return v, nil
	}
	if v, ok := values[prefix+u]; ok && u != "UNSPECIFIED" {
		return v, nil
	}
	return 0, fmt.Errorf("unknown value %q", s)
}

func csvRow(get func(string) string) (Row, error) {
	o := &profilesv1.Organization{
		Name: get("name"), ShortName: get("short_name"), CountryCode: strings.ToUpper(get("country_code")),
		NutsCode: strings.ToUpper(get("nuts_code")), City: get("city"), Website: get("website"),
		Description: get("description"), NaceCodes: splitList(get("nace_codes")),
	}
	var errs []string
	fail := func(col string, err error) { errs = append(errs, col+": "+err.Error()) }
	if v, err := enumValue(profilesv1.OrganizationKind_value, "ORGANIZATION_KIND_", get("kind")); err != nil {
		fail("kind", err)
	} else {
		o.Kind = profilesv1.OrganizationKind(v)
	}
	if v, err := enumValue(profilesv1.SizeBand_value, "SIZE_BAND_", get("size_band")); err != nil {
		fail("size_band", err)
	} else {
		o.SizeBand = profilesv1.SizeBand(v)
	}
	if v, err := enumValue(profilesv1.Visibility_value, "VISIBILITY_", get("visibility")); err != nil {
		fail("visibility", err)
	} else {
		o.Visibility = profilesv1.Visibility(v)
	}
	for _, s := range splitList(get("sectors")) {
		v, err := enumValue(profilesv1.Sector_value, "SECTOR_", s)
		if err != nil {
			fail("sectors", err)
			continue
		}
		o.Sectors = append(o.Sectors, profilesv1.Sector(v))
	}
	for _, id := range splitList(get("cluster_ids")) {
		o.ClusterMemberships = append(o.ClusterMemberships, &profilesv1.ClusterMembership{ClusterId: id})
	}
	for _, kv := range splitList(get("external_ids")) {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			fail("external_ids", fmt.Errorf("%q is not source:id", kv))
			continue
		}
		if o.ExternalIds == nil {
			o.ExternalIds = map[string]string{}
		}
		o.ExternalIds[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if n, e, p, c := get("contact_name"), get("contact_email"), get("contact_phone"), get("contact_consent"); n+e+p+c != "" {
		o.Contact = &profilesv1.Contact{Name: n, Email: e, Phone: p}
		if c != "" {
			consent, err := strconv.ParseBool(strings.ToLower(c))
			if err != nil {
				fail("contact_consent", fmt.Errorf("%q is not true or false", c))
			}
			o.Contact.ConsentToShare = consent
		}
	}
	if len(errs) > 0 {
		return Row{Org: o}, errors.New(strings.Join(errs, "; "))
	}
	return Row{Org: o, RequestID: requestID(get("client_request_id"), o)}, nil
}

// requestID derives the idempotency key of a row: the file's own key, else
// the row's external ids, else its name and country.
func requestID(explicit string, o *profilesv1.Organization) string {
	if explicit != "" {
		return explicit
	}
	if len(o.GetExternalIds()) > 0 {
		ids := make([]string, 0, len(o.GetExternalIds()))
		for k, v := range o.GetExternalIds() {
			ids = append(ids, k+":"+v)
		}
		slices.Sort(ids)
		return "import:" + strings.Join(ids, ",")
	}
	return "import:name:" + o.GetCountryCode() + ":" + strings.ToLower(o.GetName())
}

func parseJSONL(r io.Reader) ([]Row, []Rejection, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), MaxLineBytes)
	type line struct {
		n    int
		text []byte
	}
	var lines []line
	for n := 1; sc.Scan(); n++ {
		if text := bytes.TrimSpace(sc.Bytes()); len(text) > 0 {
			lines = append(lines, line{n, bytes.Clone(text)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read: %w", err)
	}
	// Lines are read on every core, each into its own place, and kept in
	// order.
	parsed := make([]Row, len(lines))
	errs := make([]error, len(lines))
	var wg sync.WaitGroup
	per := (len(lines) + runtime.GOMAXPROCS(0) - 1) / max(runtime.GOMAXPROCS(0), 1)
	for from := 0; from < len(lines); from += per {
		wg.Go(func() {
			for i := from; i < min(from+per, len(lines)); i++ {
				parsed[i], errs[i] = jsonRow(lines[i].text)
				parsed[i].Line = lines[i].n
			}
		})
	}
	wg.Wait()
	var (
		rows []Row
		rej  []Rejection
	)
	for i, row := range parsed {
		if errs[i] != nil {
			rej = append(rej, Rejection{Line: row.Line, Name: clip(row.Org.GetName()), Reason: errs[i].Error()})
			continue
		}
		rows = append(rows, row)
	}
	return rows, rej, nil
}

func jsonRow(text []byte) (Row, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(text, &probe); err != nil {
		return Row{}, fmt.Errorf("not a JSON object: %w", err)
	}
	var req profilesv1.CreateOrganizationRequest
	text, err := shortNames(probe)
	if err != nil {
		return Row{}, err
	}
	if _, wrapped := probe["organization"]; wrapped {
		if err := protojson.Unmarshal(text, &req); err != nil {
			return Row{}, fmt.Errorf("not a CreateOrganizationRequest: %w", err)
		}
	} else {
		req.Organization = &profilesv1.Organization{}
		if err := protojson.Unmarshal(text, req.Organization); err != nil {
			return Row{}, fmt.Errorf("not an Organization: %w", err)
		}
	}
	if req.GetOrganization() == nil {
		return Row{}, errors.New("no organization")
	}
	return Row{Org: req.GetOrganization(), RequestID: requestID(req.GetClientRequestId(), req.GetOrganization())}, nil
}

// orgEnums are the enum fields of an organisation (both JSON spellings)
// with their values and the prefix their short names drop.
var orgEnums = map[string]struct {
	values map[string]int32
	prefix string
}{
	"kind":       {profilesv1.OrganizationKind_value, "ORGANIZATION_KIND_"},
	"sizeBand":   {profilesv1.SizeBand_value, "SIZE_BAND_"},
	"size_band":  {profilesv1.SizeBand_value, "SIZE_BAND_"},
	"visibility": {profilesv1.Visibility_value, "VISIBILITY_"},
	"sectors":    {profilesv1.Sector_value, "SECTOR_"},
}

// shortNames lets a JSON line say what a CSV row says: enums by their short
// names in any case ("university" for ORGANIZATION_KIND_UNIVERSITY) and
// "country" for countryCode. It returns the line in protobuf JSON.
func shortNames(obj map[string]json.RawMessage) ([]byte, error) {
	org := obj
	if raw, wrapped := obj["organization"]; wrapped {
		org = nil
		if err := json.Unmarshal(raw, &org); err != nil || org == nil {
			return nil, errors.New("organization: not a JSON object")
		}
	}
	if c, ok := org["country"]; ok {
		if _, both := org["countryCode"]; both {
			return nil, errors.New(`give "country" or "countryCode", not both`)
		}
		if _, both := org["country_code"]; both {
			return nil, errors.New(`give "country" or "country_code", not both`)
		}
		var code string
		if err := json.Unmarshal(c, &code); err != nil {
			return nil, errors.New("country: not a string")
		}
		org["countryCode"], _ = json.Marshal(strings.ToUpper(strings.TrimSpace(code)))
		delete(org, "country")
	}
	for field, e := range orgEnums {
		raw, ok := org[field]
		if !ok {
			continue
		}
		full := func(s string) (string, error) {
			v, err := enumValue(e.values, e.prefix, s)
			if err != nil {
				return "", fmt.Errorf("%s: %w", field, err)
			}
			for name, n := range e.values {
				if n == v {
					return name, nil
				}
			}
			return s, nil
		}
		var one string
		var many []string
		switch {
		case json.Unmarshal(raw, &one) == nil:
			name, err := full(one)
			if err != nil {
				return nil, err
			}
			org[field], _ = json.Marshal(name)
		case json.Unmarshal(raw, &many) == nil:
			for i, s := range many {
				name, err := full(s)
				if err != nil {
					return nil, err
				}
				many[i] = name
			}
			org[field], _ = json.Marshal(many)
		}
		// Numbers and other shapes are left to protojson to judge.
	}
	if _, wrapped := obj["organization"]; wrapped {
		obj["organization"], _ = json.Marshal(org)
	}
	return json.Marshal(obj)
}
