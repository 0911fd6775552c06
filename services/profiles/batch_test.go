package profiles_test

import (
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestBatchCreateIsIdempotentItemByItem: a batch creates each item as
// CreateOrganization would, answers in the items' order, refuses a bad item
// alone with its field, gives a request id repeated inside the batch one
// organisation, and a retried batch changes nothing; every organisation is
// announced by exactly one event, at version 1.
func TestBatchCreateIsIdempotentItemByItem(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	c := consume(t, e.cfg.NATSURL, "test_batch")
	const n = 150
	req := &profilesv1.BatchCreateOrganizationsRequest{}
	for i := range n {
		req.Items = append(req.Items, &profilesv1.CreateOrganizationRequest{Organization: org(fmt.Sprintf("Batch %03d", i)), ClientRequestId: fmt.Sprintf("batch:%d", i)})
	}
	// Item n: bad input; item n+1: item 7's request id again.
	req.Items = append(req.Items,
		&profilesv1.CreateOrganizationRequest{Organization: &profilesv1.Organization{Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY}, ClientRequestId: "batch:bad"},
		&profilesv1.CreateOrganizationRequest{Organization: org("Batch 007"), ClientRequestId: "batch:7"},
	)
	first, err := e.admin.BatchCreateOrganizations(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	res := first.GetResults()
	if len(res) != n+2 {
		t.Fatalf("%d results for %d items", len(res), n+2)
	}
	ids := map[string]bool{}
	for i, r := range res[:n] {
		o := r.GetOrganization()
		if r.GetError() != nil || o.GetName() != fmt.Sprintf("Batch %03d", i) || o.GetVersion() != 1 || ids[o.GetId()] {
			t.Fatalf("item %d: %v", i, r)
		}
		ids[o.GetId()] = true
	}
	if e := res[n].GetError(); e.GetCode() != "INVALID_ARGUMENT" || len(e.GetFieldViolations()) == 0 || e.GetFieldViolations()[0].GetField() != "organization.name" || res[n].GetOrganization() != nil {
		t.Fatalf("bad item: %v", res[n])
	}
	if got := res[n+1].GetOrganization().GetId(); got != res[7].GetOrganization().GetId() {
		t.Fatalf("repeated request id created %s, first %s", got, res[7].GetOrganization().GetId())
	}
	again, err := e.admin.BatchCreateOrganizations(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again.GetResults()[:n] {
		if r.GetOrganization().GetId() != res[i].GetOrganization().GetId() {
			t.Fatalf("retried item %d: %s, first %s", i, r.GetOrganization().GetId(), res[i].GetOrganization().GetId())
		}
	}
	marker := mustCreateOrg(t, e.admin, org("Marker"))
	got := c.waitFor(t, "marker", func(g []received) bool {
		return countFor(g, "tandem.profiles.v1.organization.upserted."+marker.GetId()) == 1
	})
	for id := range ids {
		subj := "tandem.profiles.v1.organization.upserted." + id
		if k := countFor(got, subj); k != 1 {
			t.Fatalf("organization %s announced %d times, want once", id, k)
		}
	}
	for _, r := range got {
		if up, ok := r.ev.(*eventsv1.OrganizationUpserted); ok && ids[up.GetAggregateId()] && (up.GetAggregateVersion() != 1 || up.GetActorSubject() != "admin-1") {
			t.Fatalf("event %v", up)
		}
	}
}

// TestBatchCreateRefusesWholeBatches: an anonymous caller and batches of
// the wrong size are refused as a whole.
func TestBatchCreateRefusesWholeBatches(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	_, err := e.anon.BatchCreateOrganizations(ctx, &profilesv1.BatchCreateOrganizationsRequest{Items: []*profilesv1.CreateOrganizationRequest{{Organization: org("Anon")}}})
	wantCode(t, err, codes.Unauthenticated)
	_, err = e.admin.BatchCreateOrganizations(ctx, &profilesv1.BatchCreateOrganizationsRequest{})
	wantCode(t, err, codes.InvalidArgument)
	big := &profilesv1.BatchCreateOrganizationsRequest{}
	for i := range 1001 {
		big.Items = append(big.Items, &profilesv1.CreateOrganizationRequest{Organization: org(fmt.Sprintf("Big %d", i))})
	}
	_, err = e.admin.BatchCreateOrganizations(ctx, big)
	wantCode(t, err, codes.InvalidArgument)
}
