package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/tandem-cluster/tandem/pkg/testenv"
	"github.com/tandem-cluster/tandem/services/profiles/importer"
)

// bulkRows is how many organisations each import of BenchmarkBulkImport
// creates.
const bulkRows = 10000

// BenchmarkBulkImport imports bulkRows generated organisations into one
// service, in each iteration once row by row (16 CreateOrganization calls at
// once, as imports ran before the batch call) and once in batches (the
// defaults: 8 BatchCreateOrganizations calls of 200 rows at once), the two in
// alternating order, so both see the same load; then it imports the batch
// run's rows again, which creates nothing. It reports the medians of the
// iterations, the median of their ratios and the load average.
//
//	go test -run '^$' -bench BulkImport -benchtime 5x ./services/profiles/importer
func BenchmarkBulkImport(b *testing.B) {
	c := startService(b)
	run := 0
	var reruns []float64
	imp := func(o importer.Options) float64 {
		run++
		var buf bytes.Buffer
		for i := range bulkRows {
			fmt.Fprintf(&buf, `{"name":"Generated %d-%08d S.r.l.","kind":"ORGANIZATION_KIND_COMPANY","countryCode":"IT","nutsCode":"ITH4%d","sectors":["SECTOR_BIOTECHNOLOGY"],"visibility":"VISIBILITY_PUBLIC","externalIds":{"bench":"%d-%d"}}`+"\n", run, i, 1+i%4, run, i)
		}
		data := buf.Bytes()
		rep, err := importer.Import(context.Background(), c, bytes.NewReader(data), o)
		if err != nil || rep.Imported != bulkRows || len(rep.Rejected) > 0 {
			b.Fatalf("import: %d of %d imported, %d rejected, %v", rep.Imported, bulkRows, len(rep.Rejected), err)
		}
		if o.BatchSize == 1 {
			return bulkRows / rep.Elapsed.Seconds()
		}
		again, err := importer.Import(context.Background(), c, bytes.NewReader(data), o)
		if err != nil || again.Imported != bulkRows {
			b.Fatalf("re-import: %d of %d, %v", again.Imported, bulkRows, err)
		}
		reruns = append(reruns, bulkRows/again.Elapsed.Seconds())
		return bulkRows / rep.Elapsed.Seconds()
	}
	rows := importer.Options{Format: importer.JSONL, Workers: 16, BatchSize: 1}
	batches := importer.Options{Format: importer.JSONL}
	var byRow, byBatch, ratio []float64
	load := testenv.LoadAverage()
	for i := range b.N {
		var r, bt float64
		if i%2 == 0 {
			r, bt = imp(rows), imp(batches)
		} else {
			bt, r = imp(batches), imp(rows)
		}
		byRow, byBatch, ratio = append(byRow, r), append(byBatch, bt), append(ratio, bt/r)
		b.Logf("round %d: row by row %.0f/s, batches %.0f/s (%.2f×), re-import %.0f/s, load %.1f", i+1, r, bt, bt/r, reruns[len(reruns)-1], testenv.LoadAverage())
	}
	b.ReportMetric(testenv.Median(byRow), "rows_profiles/s")
	b.ReportMetric(testenv.Median(byBatch), "batches_profiles/s")
	b.ReportMetric(testenv.Median(ratio), "ratio")
	b.ReportMetric(testenv.Median(reruns), "reimport_rows/s")
	b.ReportMetric((load+testenv.LoadAverage())/2, "load")
}
