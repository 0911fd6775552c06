package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/tandem-cluster/tandem/services/profiles/importer"
)

// BenchmarkBulkImport imports b.N generated organisations (JSONL) through the
// real service and reports profiles per second. The figure in
// docs/benchmarks.md comes from -benchtime 100000x.
func BenchmarkBulkImport(b *testing.B) {
	c := startService(b)
	var buf bytes.Buffer
	for i := range b.N {
		fmt.Fprintf(&buf, `{"name":"Generated %08d S.r.l.","kind":"ORGANIZATION_KIND_COMPANY","countryCode":"IT","nutsCode":"ITH4%d","sectors":["SECTOR_BIOTECHNOLOGY"],"visibility":"VISIBILITY_PUBLIC","externalIds":{"bench":"%d"}}`+"\n", i, 1+i%4, i)
	}
	b.ResetTimer()
	rep, err := importer.Import(context.Background(), c, &buf, importer.Options{Format: importer.JSONL, Workers: 16})
	b.StopTimer()
	if err != nil || rep.Imported != b.N {
		b.Fatalf("import: %+v, %v", rep, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
}
