package competencies_test

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/oklog/ulid/v2"

	"github.com/tandem-cluster/tandem/pkg/auth"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// BenchmarkPublish measures PublishCompetency through gRPC against the
// in-process service and JetStream: each call changes the competency, so
// each one writes the bucket (and the relay publishes its event).
func BenchmarkPublish(b *testing.B) {
	e := start(b)
	org := ulid.Make().String()
	e.organization(org, 1, profilesv1.Visibility_VISIBILITY_PUBLIC)
	c := e.client(auth.Principal{Subject: "root", Roles: []auth.Role{auth.RoleAdmin}})
	terms := []string{"EDAM:topic_0622", "EDAM:topic_3170", "EDAM:topic_0121", "MESH:D013058", "MESH:D008103", "EDAM:topic_3168"}
	waitHolder(b, c, orgRef(org))
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			_, err := c.PublishCompetency(ctx(b), &competenciesv1.PublishCompetencyRequest{Competency: &competenciesv1.Competency{
				Holder: orgRef(org), TermId: terms[i%int64(len(terms))], Description: "run " + strconv.FormatInt(i, 10),
			}})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "publishes/s")
}
