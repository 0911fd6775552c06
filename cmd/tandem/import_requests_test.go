package main

import (
	"strings"
	"testing"
)

func TestParseRequests(t *testing.T) {
	csvIn := "from,to,priority,accept,mutual\nP1,P2,must,true,false\n\"P3\",P4,,true,true\nP5,P6,want,,\n"
	jsonIn := `{"from":"P1","to":"P2","priority":"must","accept":true}

{"from":"P3","to":"P4","accept":true,"mutual":true}
{"from":"P5","to":"P6"}
`
	for format, in := range map[string]string{"csv": csvIn, "jsonl": jsonIn} {
		rows, err := parseRequests(strings.NewReader(in), format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if len(rows) != 3 || rows[0].From != "P1" || rows[0].Priority != "must" || !rows[0].Accept || rows[0].Mutual ||
			rows[1].To != "P4" || !rows[1].Mutual || rows[2].Accept {
			t.Fatalf("%s: rows = %+v", format, rows)
		}
		if rows[2].Line != 4 {
			t.Errorf("%s: third row on line %d, want 4", format, rows[2].Line)
		}
	}
	for _, tc := range []struct{ format, in, want string }{
		{"csv", "from,to\nP1\n", "line 2: from and to are required"},
		{"csv", "from,too\n", `unknown column "too"`},
		{"csv", "to,priority\nP1,must\n", `no "from" column`},
		{"csv", "from,to,priority\nP1,P2,urgent\n", `priority "urgent"`},
		{"csv", "from,to,accept\nP1,P2,yes\n", `accept "yes"`},
		{"csv", "from,to,mutual\nP1,P2,true\n", "mutual needs accept"},
		{"jsonl", `{"from":"P1","to":"P2","colour":"red"}`, "line 1"},
		{"jsonl", "{\"from\":\"P1\",\"to\":\"P2\"}\n{\"from\":", "line 2"},
		{"xml", "<x/>", "unknown format"},
	} {
		if _, err := parseRequests(strings.NewReader(tc.in), tc.format); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: err = %v, want %q", tc.format, tc.in, err, tc.want)
		}
	}
}

// FuzzParseRequests: any input either fails with an error naming a line or
// gives rows that each have a sender, a recipient and a known priority.
func FuzzParseRequests(f *testing.F) {
	for _, s := range []string{
		"from,to\nP1,P2\n", "from,to,priority,message,accept,mutual\nP1,P2,must,\"hi, there\",true,true\n",
		"from,to\n\"P1\nP2\",P3\n", `{"from":"P1","to":"P2"}`, "{\"from\":\"P1\",\"to\":\"P2\",\"accept\":true}\n{}\n", "\xff\xfe", "",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, in string, csv bool) {
		format := "jsonl"
		if csv {
			format = "csv"
		}
		rows, err := parseRequests(strings.NewReader(in), format)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.From == "" || r.To == "" || r.Line < 1 || (r.Mutual && !r.Accept) {
				t.Fatalf("row %+v from %q", r, in)
			}
			switch strings.ToLower(r.Priority) {
			case "", "want", "must":
			default:
				t.Fatalf("priority %q passed", r.Priority)
			}
		}
	})
}
