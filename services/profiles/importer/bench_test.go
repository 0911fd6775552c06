package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/tandem-cluster/tandem/services/profiles/importer"
)

// BenchmarkBulkImport imports b.N generated organisations into a fresh
// service: row by row (16 calls at once, each a CreateOrganization, as
// imports ran before the batch call) and in batches (the defaults: 8 calls
// of 200 rows at once), side by side in the same run.
//
//	go test -run '^$' -bench BulkImport -benchtime 20000x -count 5 ./services/profiles/importer
func BenchmarkBulkImport(b *testing.B) {
	for _, bc := range []struct {
		name string
		o    importer.Options
	}{
		{"rows", importer.Options{Format: importer.JSONL, Workers: 16, BatchSize: 1}},
		{"batches", importer.Options{Format: importer.JSONL}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := startService(b)
			var buf bytes.Buffer
			for i := range b.N {
				fmt.Fprintf(&buf, `{"name":"Generated %08d S.r.l.","kind":"ORGANIZATION_KIND_COMPANY","countryCode":"IT","nutsCode":"ITH4%d","sectors":["SECTOR_BIOTECHNOLOGY"],"visibility":"VISIBILITY_PUBLIC","externalIds":{"bench":"%d"}}`+"\n", i, 1+i%4, i)
			}
			b.ResetTimer()
			rep, err := importer.Import(context.Background(), c, &buf, bc.o)
			b.StopTimer()
			if err != nil || rep.Imported != b.N {
				b.Fatalf("import: %+v, %v", rep, err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
		})
	}
}
