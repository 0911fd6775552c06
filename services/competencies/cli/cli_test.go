package cli_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tandem-cluster/tandem/pkg/runtime/runtimetest"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	"github.com/tandem-cluster/tandem/services/competencies"
	"github.com/tandem-cluster/tandem/services/competencies/cli"
)

func TestSearchTerms(t *testing.T) {
	cfg := competencies.DefaultConfig()
	cfg.Common = runtimetest.Common(t)
	conn := runtimetest.Start(t, competencies.Options(cfg))
	c := competenciesv1.NewCompetenciesServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var out bytes.Buffer
	if err := cli.SearchTerms(ctx, c, &out, "rna seq", 5); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "EDAM:topic_3170 ") || !strings.Contains(lines[1], "RNA-Seq") {
		t.Fatalf("output:\n%s\nwant EDAM:topic_3170 RNA-Seq first", out.String())
	}
	out.Reset()
	if err := cli.SearchTerms(ctx, c, &out, "xqzvw", 5); err != nil || !strings.Contains(out.String(), "no terms match") {
		t.Errorf("no match: %q %v", out.String(), err)
	}
	if err := cli.SearchTerms(ctx, c, &out, "", 5); status.Code(err) != codes.InvalidArgument {
		t.Errorf("empty query: %v", err)
	}
}
