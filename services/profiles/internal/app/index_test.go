package app

import (
	"strconv"
	"testing"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// TestIndexIgnoresStaleAndReplayedEvents: the watch may deliver an event the
// replica already applied from its own write, or an old one after an erase.
func TestIndexIgnoresStaleAndReplayedEvents(t *testing.T) {
	x := NewIndex()
	v1 := &profilesv1.Organization{Id: "A", Name: "Old", Version: 1}
	v2 := &profilesv1.Organization{Id: "A", Name: "New", Version: 2}
	x.Apply(&eventsv1.OrganizationUpserted{Organization: v2})
	x.Apply(&eventsv1.OrganizationUpserted{Organization: v1})
	if o, _ := x.Org("A"); o.GetName() != "New" {
		t.Errorf("stale event applied: %v", o)
	}
	x.Apply(&eventsv1.PersonUpserted{Person: &profilesv1.Person{Id: "P", OrganizationId: "A", Name: "p", Version: 1}})
	x.Apply(&eventsv1.PersonErased{AggregateId: "P"})
	x.Apply(&eventsv1.OrganizationErased{AggregateId: "A"})
	x.Apply(&eventsv1.OrganizationUpserted{Organization: &profilesv1.Organization{Id: "A", Name: "Zombie", Version: 3}})
	x.Apply(&eventsv1.PersonUpserted{Person: &profilesv1.Person{Id: "P", OrganizationId: "A", Name: "p", Version: 5}})
	if _, ok := x.Org("A"); ok {
		t.Error("erased organization came back")
	}
	if n, p := x.Counts(); n != 0 || p != 0 || x.orgOrder.Len() != 0 || x.ppOrder.Len() != 0 || len(x.PeopleOf("A")) != 0 {
		t.Errorf("index not empty: %d orgs %d people", n, p)
	}
}

// BenchmarkIndexPut measures keeping 100,000 organisations in name order.
func BenchmarkIndexPut(b *testing.B) {
	for b.Loop() {
		x := NewIndex()
		for i := range 100_000 {
			x.PutOrg(&profilesv1.Organization{Id: strconv.Itoa(i * 7919 % 100_003), Name: "Org", Version: 1})
		}
	}
}
