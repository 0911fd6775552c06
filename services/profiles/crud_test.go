package profiles_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

func TestOrganizationLifecycle(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	created := mustCreateOrg(t, e.admin, org("Area Science Park"))
	if created.GetVersion() != 1 || created.GetId() == "" || created.GetCreatedAt() == nil {
		t.Fatalf("created = %v", created)
	}
	if created.GetContact().GetConsentUpdatedAt() == nil {
		t.Errorf("consent_updated_at not stamped: %v", created.GetContact())
	}
	got, err := e.admin.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: created.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.GetOrganization(), created) {
		t.Errorf("get = %v, want %v", got.GetOrganization(), created)
	}
	upd, err := e.admin.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{
		Organization:    &profilesv1.Organization{Id: created.GetId(), Description: "science park"},
		ExpectedVersion: 1,
		UpdateMask:      &fieldmaskpb.FieldMask{Paths: []string{"description"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if o := upd.GetOrganization(); o.GetVersion() != 2 || o.GetDescription() != "science park" || o.GetName() != "Area Science Park" {
		t.Errorf("updated = %v", o)
	}
	// Without a mask every writable field is replaced.
	full := org("Area Science Park Trieste")
	full.Id = created.GetId()
	upd, err = e.admin.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{Organization: full, ExpectedVersion: 2})
	if err != nil {
		t.Fatal(err)
	}
	if o := upd.GetOrganization(); o.GetVersion() != 3 || o.GetDescription() != "" || o.GetName() != "Area Science Park Trieste" || !proto.Equal(o.GetCreatedAt(), created.GetCreatedAt()) {
		t.Errorf("full update = %v", o)
	}
	er, err := e.admin.EraseOrganization(ctx, &profilesv1.EraseOrganizationRequest{Id: created.GetId(), ExpectedVersion: 3})
	if err != nil {
		t.Fatal(err)
	}
	if er.GetErasedAt() == nil {
		t.Error("no erased_at")
	}
	_, err = e.admin.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: created.GetId()})
	wantCode(t, err, codes.NotFound)
	list, err := e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{})
	if err != nil || len(list.GetOrganizations()) != 0 {
		t.Errorf("list after erase = %v, %v", list, err)
	}
}

func TestPersonLifecycle(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	o := mustCreateOrg(t, e.admin, org("SISSA"))
	res, err := e.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{
		OrganizationId: o.GetId(), Name: "Ada Demo", Role: "PI", Orcid: "0000-0002-1825-0097",
	}})
	if err != nil {
		t.Fatal(err)
	}
	p := res.GetPerson()
	upd, err := e.admin.UpdatePerson(ctx, &profilesv1.UpdatePersonRequest{
		Person: &profilesv1.Person{Id: p.GetId(), Role: "Group leader"}, ExpectedVersion: 1,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"role"}},
	})
	if err != nil || upd.GetPerson().GetRole() != "Group leader" || upd.GetPerson().GetVersion() != 2 {
		t.Fatalf("update = %v, %v", upd, err)
	}
	list, err := e.admin.ListPeople(ctx, &profilesv1.ListPeopleRequest{Orcid: "0000-0002-1825-0097"})
	if err != nil || len(list.GetPeople()) != 1 {
		t.Fatalf("list by orcid = %v, %v", list, err)
	}
	if _, err := e.admin.ErasePerson(ctx, &profilesv1.ErasePersonRequest{Id: p.GetId()}); err != nil {
		t.Fatal(err)
	}
	_, err = e.admin.GetPerson(ctx, &profilesv1.GetPersonRequest{Id: p.GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = e.admin.ErasePerson(ctx, &profilesv1.ErasePersonRequest{Id: p.GetId()})
	wantCode(t, err, codes.NotFound)
	// A person needs an existing organisation.
	_, err = e.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: p.GetId(), Name: "X"}})
	wantFields(t, err, "person.organization_id")
}

// wantFields checks err is InvalidArgument naming exactly fields.
func wantFields(t testing.TB, err error, fields ...string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("code = %v (%v), want InvalidArgument", st.Code(), err)
	}
	var got []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				got = append(got, v.GetField())
			}
		}
	}
	slices.Sort(got)
	slices.Sort(fields)
	if !slices.Equal(got, fields) {
		t.Fatalf("violations on %v, want %v (%v)", got, fields, err)
	}
}

func TestValidationReportsFields(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	base := mustCreateOrg(t, e.admin, org("Base"))
	tests := []struct {
		name   string
		edit   func(o *profilesv1.Organization)
		fields []string
	}{
		{"missing name and kind", func(o *profilesv1.Organization) { o.Name, o.Kind = "", 0 }, []string{"organization.name", "organization.kind"}},
		{"name too long", func(o *profilesv1.Organization) { o.Name = string(make([]rune, 201)) }, []string{"organization.name"}},
		{"unknown enum", func(o *profilesv1.Organization) { o.Kind = 99; o.SizeBand = 9 }, []string{"organization.kind", "organization.size_band"}},
		{"bad url", func(o *profilesv1.Organization) { o.Website = "ftp://example.org" }, []string{"organization.website"}},
		{"bad country", func(o *profilesv1.Organization) { o.CountryCode = "XX"; o.NutsCode = "" }, []string{"organization.country_code"}},
		{"nuts of another country", func(o *profilesv1.Organization) { o.NutsCode = "DE300" }, []string{"organization.nuts_code"}},
		{"bad email and phone", func(o *profilesv1.Organization) { o.Contact.Email = "nope"; o.Contact.Phone = "040 123" }, []string{"organization.contact.email", "organization.contact.phone"}},
		{"unknown cluster", func(o *profilesv1.Organization) {
			o.ClusterMemberships = []*profilesv1.ClusterMembership{{ClusterId: base.GetId()}}
		}, []string{"organization.cluster_memberships[0].cluster_id"}},
		{"bad sector and nace", func(o *profilesv1.Organization) {
			o.Sectors = []profilesv1.Sector{0}
			o.NaceCodes = []string{"7211"}
		}, []string{"organization.sectors[0]", "organization.nace_codes[0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := org("Valid")
			tc.edit(o)
			_, err := e.admin.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: o})
			wantFields(t, err, tc.fields...)
		})
	}
	t.Run("orcid checksum", func(t *testing.T) {
		_, err := e.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{
			OrganizationId: base.GetId(), Name: "P", Orcid: "0000-0002-1825-0098",
		}})
		wantFields(t, err, "person.orcid")
	})
	t.Run("update mask path", func(t *testing.T) {
		_, err := e.admin.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{
			Organization: &profilesv1.Organization{Id: base.GetId()}, ExpectedVersion: 1,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"version"}},
		})
		wantFields(t, err, "update_mask.paths[0]")
	})
	t.Run("update validates the result", func(t *testing.T) {
		_, err := e.admin.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{
			Organization: &profilesv1.Organization{Id: base.GetId(), NutsCode: "FRK26"}, ExpectedVersion: 1,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"nuts_code"}},
		})
		wantFields(t, err, "organization.nuts_code")
	})
}

func TestCreateIsIdempotentByClientRequestID(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	first, err := e.admin.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: org("ICGEB"), ClientRequestId: "req-1"})
	if err != nil {
		t.Fatal(err)
	}
	// The retry carries a changed body: the first result still wins.
	retry, err := e.admin.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: org("ICGEB (retry)"), ClientRequestId: "req-1"})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(first.GetOrganization(), retry.GetOrganization()) {
		t.Errorf("retry = %v, want %v", retry.GetOrganization(), first.GetOrganization())
	}
	p1, err := e.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: first.GetOrganization().GetId(), Name: "P"}, ClientRequestId: "req-1"})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := e.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: first.GetOrganization().GetId(), Name: "P"}, ClientRequestId: "req-1"})
	if err != nil || p2.GetPerson().GetId() != p1.GetPerson().GetId() {
		t.Fatalf("person retry = %v, %v; want id %s", p2, err, p1.GetPerson().GetId())
	}
	orgs, err := e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{})
	if err != nil || len(orgs.GetOrganizations()) != 1 {
		t.Fatalf("list = %v, %v; want one organization", orgs, err)
	}
	people, err := e.admin.ListPeople(ctx, &profilesv1.ListPeopleRequest{})
	if err != nil || len(people.GetPeople()) != 1 {
		t.Fatalf("people = %v, %v; want one", people, err)
	}
}

func TestStaleVersionIsAbortedAndChangesNothing(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	o := mustCreateOrg(t, e.admin, org("Elettra"))
	mask := &fieldmaskpb.FieldMask{Paths: []string{"description"}}
	if _, err := e.admin.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{
		Organization: &profilesv1.Organization{Id: o.GetId(), Description: "first"}, ExpectedVersion: 1, UpdateMask: mask,
	}); err != nil {
		t.Fatal(err)
	}
	_, err := e.admin.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{
		Organization: &profilesv1.Organization{Id: o.GetId(), Description: "stale"}, ExpectedVersion: 1, UpdateMask: mask,
	})
	wantCode(t, err, codes.Aborted)
	_, err = e.admin.EraseOrganization(ctx, &profilesv1.EraseOrganizationRequest{Id: o.GetId(), ExpectedVersion: 1})
	wantCode(t, err, codes.Aborted)
	got, err := e.admin.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: o.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if g := got.GetOrganization(); g.GetVersion() != 2 || g.GetDescription() != "first" {
		t.Errorf("after stale update = version %d %q, want version 2 \"first\"", g.GetVersion(), g.GetDescription())
	}

	p, err := e.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: o.GetId(), Name: "P", Role: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.admin.UpdatePerson(ctx, &profilesv1.UpdatePersonRequest{Person: &profilesv1.Person{Id: p.GetPerson().GetId(), Name: "Q"}, ExpectedVersion: 7})
	wantCode(t, err, codes.Aborted)
	_, err = e.admin.ErasePerson(ctx, &profilesv1.ErasePersonRequest{Id: p.GetPerson().GetId(), ExpectedVersion: 7})
	wantCode(t, err, codes.Aborted)
	gp, err := e.admin.GetPerson(ctx, &profilesv1.GetPersonRequest{Id: p.GetPerson().GetId()})
	if err != nil || gp.GetPerson().GetName() != "P" || gp.GetPerson().GetVersion() != 1 {
		t.Fatalf("person after stale update = %v, %v", gp, err)
	}
}

func TestListFiltersAndStablePages(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	c1 := mustCluster(t, e, "Cluster Smart Health")
	type spec struct {
		name    string
		kind    profilesv1.OrganizationKind
		sector  profilesv1.Sector
		nuts    string
		cluster bool
	}
	specs := []spec{
		{"Università degli Studi di Trieste", profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY, profilesv1.Sector_SECTOR_BIOMEDICINE, "ITH44", true},
		{"Università degli Studi di Udine", profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY, profilesv1.Sector_SECTOR_BIOTECHNOLOGY, "ITH42", true},
		{"CRO Aviano", profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_HOSPITAL, profilesv1.Sector_SECTOR_HEALTHCARE, "ITH41", true},
		{"Gorizia Bio", profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, profilesv1.Sector_SECTOR_BIOTECHNOLOGY, "ITH43", false},
		{"Milano Pharma", profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, profilesv1.Sector_SECTOR_PHARMA, "ITC4C", false},
	}
	ids := map[string]string{}
	for _, s := range specs {
		o := org(s.name)
		o.Kind, o.Sectors, o.NutsCode = s.kind, []profilesv1.Sector{s.sector}, s.nuts
		if s.cluster {
			o.ClusterMemberships = []*profilesv1.ClusterMembership{{ClusterId: c1}}
		}
		if s.name == "CRO Aviano" {
			o.ExternalIds = map[string]string{"ror": "03ks1vk59"}
		}
		ids[s.name] = mustCreateOrg(t, e.admin, o).GetId()
	}
	names := func(req *profilesv1.ListOrganizationsRequest) []string {
		t.Helper()
		res, err := e.admin.ListOrganizations(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range res.GetOrganizations() {
			out = append(out, o.GetName())
		}
		return out
	}
	tests := []struct {
		name string
		req  *profilesv1.ListOrganizationsRequest
		want []string
	}{
		{"kind", &profilesv1.ListOrganizationsRequest{Kinds: []profilesv1.OrganizationKind{profilesv1.OrganizationKind_ORGANIZATION_KIND_UNIVERSITY}}, []string{"Università degli Studi di Trieste", "Università degli Studi di Udine"}},
		{"sector or", &profilesv1.ListOrganizationsRequest{Sectors: []profilesv1.Sector{profilesv1.Sector_SECTOR_PHARMA, profilesv1.Sector_SECTOR_HEALTHCARE}}, []string{"CRO Aviano", "Milano Pharma"}},
		{"region", &profilesv1.ListOrganizationsRequest{NutsPrefixes: []string{"ITH4"}, Kinds: []profilesv1.OrganizationKind{profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY}}, []string{"Gorizia Bio"}},
		{"cluster", &profilesv1.ListOrganizationsRequest{ClusterId: c1}, []string{"CRO Aviano", "Università degli Studi di Trieste", "Università degli Studi di Udine"}},
		{"text, accent-insensitive", &profilesv1.ListOrganizationsRequest{Query: "UNIVERSITA DEGLI STUDI DI U"}, []string{"Università degli Studi di Udine"}},
		{"external id", &profilesv1.ListOrganizationsRequest{ExternalId: "ror:03ks1vk59"}, []string{"CRO Aviano"}},
		{"country", &profilesv1.ListOrganizationsRequest{CountryCodes: []string{"DE"}}, nil},
	}
	for _, tc := range tests {
		if got := names(tc.req); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}

	// Paging walks everything once, in name order, even when organisations
	// are created before and after the cursor between pages.
	for i := range 7 {
		mustCreateOrg(t, e.admin, org(fmt.Sprintf("Page %02d", i)))
	}
	var seen []string
	token := ""
	for page := 0; ; page++ {
		res, err := e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{PageSize: 4, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.GetOrganizations() {
			seen = append(seen, o.GetName())
		}
		if page == 0 {
			mustCreateOrg(t, e.admin, org("AAA before the cursor"))
			mustCreateOrg(t, e.admin, org("ZZZ after the cursor"))
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	if !slices.IsSortedFunc(seen, func(a, b string) int { return compareFolded(a, b) }) || len(seen) != len(slices.Compact(slices.Clone(seen))) {
		t.Errorf("pages not in order or repeated: %q", seen)
	}
	if !slices.Contains(seen, "ZZZ after the cursor") || slices.Contains(seen, "AAA before the cursor") || len(seen) != 14 {
		t.Errorf("pages = %d items %q", len(seen), seen)
	}

	res, err := e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{PageSize: 2, PageToken: res.GetNextPageToken(), Query: "x"})
	wantFields(t, err, "page_token")
	_, err = e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{PageToken: "not-a-token"})
	wantFields(t, err, "page_token")
	_, err = e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{PageSize: -1, NutsPrefixes: []string{"ith"}})
	wantFields(t, err, "page_size", "nuts_prefixes[0]")
}

// TestListPeopleByID: ListPeople with ids lists those people only, once
// each, in name order and in pages, and refuses more than 500 ids or one
// that is not an id.
func TestListPeopleByID(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	o := mustCreateOrg(t, e.admin, org("ICGEB"))
	ids := map[string]string{}
	for _, name := range []string{"Carla", "Anna", "Bruno", "Dario"} {
		res, err := e.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: o.GetId(), Name: name}})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = res.GetPerson().GetId()
	}
	// Carla twice, and the organisation's id, which names no person.
	ask := []string{ids["Carla"], ids["Anna"], ids["Carla"], o.GetId(), ids["Dario"]}
	var got []string
	token := ""
	for range 5 {
		res, err := e.admin.ListPeople(ctx, &profilesv1.ListPeopleRequest{Ids: ask, PageSize: 2, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.GetPeople() {
			got = append(got, p.GetName())
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	if want := []string{"Anna", "Carla", "Dario"}; !slices.Equal(got, want) {
		t.Errorf("people by id = %q, want %q", got, want)
	}
	_, err := e.admin.ListPeople(ctx, &profilesv1.ListPeopleRequest{Ids: make([]string, 501)})
	wantFields(t, err, "ids")
	_, err = e.admin.ListPeople(ctx, &profilesv1.ListPeopleRequest{Ids: []string{ids["Anna"], "not an id"}})
	wantFields(t, err, "ids[1]")
}

// TestListOrganizationsByID: ListOrganizations with ids lists those
// organisations only, once each, in name order and in pages, combined with
// the other filters (with cluster_id: which of them are members), as the
// list shows them to the caller; it refuses more than 500 ids or one that
// is not an id.
func TestListOrganizationsByID(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	cluster := mustCluster(t, e, "Bio Cluster")
	ids := map[string]string{}
	for _, name := range []string{"Carla Labs", "Anna Bio", "Bruno Tech", "Dario Med"} {
		var o *profilesv1.Organization
		if name == "Bruno Tech" {
			o = org(name) // not a member of the cluster
		} else {
			o = org(name, cluster)
		}
		ids[name] = mustCreateOrg(t, e.admin, o).GetId()
	}
	hidden := org("Hidden Holdings", cluster)
	hidden.Visibility = profilesv1.Visibility_VISIBILITY_HIDDEN
	ids["Hidden Holdings"] = mustCreateOrg(t, e.admin, hidden).GetId()
	person, err := e.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: ids["Anna Bio"], Name: "Anna"}})
	if err != nil {
		t.Fatal(err)
	}

	list := func(c profilesv1.ProfilesServiceClient, req *profilesv1.ListOrganizationsRequest) []string {
		t.Helper()
		var got []string
		for range 10 {
			res, err := c.ListOrganizations(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range res.GetOrganizations() {
				got = append(got, o.GetName())
			}
			if req.PageToken = res.GetNextPageToken(); req.PageToken == "" {
				break
			}
		}
		return got
	}
	// Carla twice, and a person's id, which names no organisation.
	ask := []string{ids["Carla Labs"], ids["Dario Med"], ids["Carla Labs"], person.GetPerson().GetId(), ids["Bruno Tech"], ids["Hidden Holdings"], ids["Anna Bio"]}
	if got, want := list(e.admin, &profilesv1.ListOrganizationsRequest{Ids: ask, PageSize: 2}), []string{"Anna Bio", "Bruno Tech", "Carla Labs", "Dario Med", "Hidden Holdings"}; !slices.Equal(got, want) {
		t.Errorf("organisations by id = %q, want %q", got, want)
	}
	if got, want := list(e.admin, &profilesv1.ListOrganizationsRequest{Ids: ask, ClusterId: cluster, PageSize: 2}), []string{"Anna Bio", "Carla Labs", "Dario Med", "Hidden Holdings"}; !slices.Equal(got, want) {
		t.Errorf("members of the cluster by id = %q, want %q", got, want)
	}
	manager := e.as(auth.Principal{Subject: "mgr-ids", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{cluster}})
	if got, want := list(manager, &profilesv1.ListOrganizationsRequest{Ids: ask, ClusterId: cluster}), []string{"Anna Bio", "Carla Labs", "Dario Med"}; !slices.Equal(got, want) {
		t.Errorf("the cluster's manager got %q by id, want %q (not the hidden organisation)", got, want)
	}
	// A page token belongs to its ids.
	first, err := e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{Ids: ask, PageSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{Ids: ask[:2], PageSize: 1, PageToken: first.GetNextPageToken()})
	wantCode(t, err, codes.InvalidArgument)

	_, err = e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{Ids: make([]string, 501)})
	wantFields(t, err, "ids")
	_, err = e.admin.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{Ids: []string{ids["Anna Bio"], "not an id"}})
	wantFields(t, err, "ids[1]")
}

func compareFolded(a, b string) int {
	fa, fb := foldForTest(a), foldForTest(b)
	switch {
	case fa < fb:
		return -1
	case fa > fb:
		return 1
	}
	return 0
}

func foldForTest(s string) string {
	return strings.NewReplacer("à", "a", "À", "a").Replace(strings.ToLower(s))
}

// TestMemberOfErasedClusterStaysEditable: erasing a cluster must not lock
// its former members out of updates.
func TestMemberOfErasedClusterStaysEditable(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	c := mustCluster(t, e, "Short-lived cluster")
	o := mustCreateOrg(t, e.admin, org("Member", c))
	if _, err := e.admin.EraseOrganization(ctx, &profilesv1.EraseOrganizationRequest{Id: c}); err != nil {
		t.Fatal(err)
	}
	_, err := e.admin.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{
		Organization: &profilesv1.Organization{Id: o.GetId(), City: "Udine"}, ExpectedVersion: 1,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"city"}},
	})
	if err != nil {
		t.Fatalf("update of a member of an erased cluster: %v", err)
	}
	// Joining it anew is refused.
	other := org("Other", c)
	_, err = e.admin.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: other})
	wantFields(t, err, "organization.cluster_memberships[0].cluster_id")
}

// TestClientRequestIDsAreScopedPerCaller: one caller's request id neither
// answers with another caller's resource (here a hidden organization's
// person) nor stops another caller's create, as a pre-claimed import key
// would.
func TestClientRequestIDsAreScopedPerCaller(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	hidden := org("Hidden Biotech")
	hidden.Visibility = profilesv1.Visibility_VISIBILITY_HIDDEN
	h, err := e.admin.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: hidden, ClientRequestId: "import:name:IT:acme"})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := e.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: h.GetOrganization().GetId(), Name: "Secret Person"}, ClientRequestId: "p-1"})
	if err != nil {
		t.Fatal(err)
	}
	own := mustCreateOrg(t, e.admin, org("Member Org"))
	member := e.as(auth.Principal{Subject: "member-1", Organization: own.GetId(), Roles: []auth.Role{auth.RoleMember}})
	mine, err := member.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: own.GetId(), Name: "Mine"}, ClientRequestId: "p-1"})
	if err != nil {
		t.Fatal(err)
	}
	if mine.GetPerson().GetId() == secret.GetPerson().GetId() || mine.GetPerson().GetName() != "Mine" || mine.GetPerson().GetOrganizationId() != own.GetId() {
		t.Fatalf("member's create with another caller's request id answered %v, want a new person of their own organization", mine.GetPerson())
	}

	// Another importer's rows with the same key are created, not answered
	// with the first importer's organization.
	importer := e.as(auth.Principal{Subject: "admin-2", Roles: []auth.Role{auth.RoleAdmin}})
	acme, err := importer.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: org("Acme"), ClientRequestId: "import:name:IT:acme"})
	if err != nil {
		t.Fatal(err)
	}
	if acme.GetOrganization().GetId() == h.GetOrganization().GetId() || acme.GetOrganization().GetName() != "Acme" {
		t.Fatalf("import with a pre-claimed key answered %v, want a new organization Acme", acme.GetOrganization())
	}
	got, err := e.admin.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: acme.GetOrganization().GetId()})
	if err != nil || got.GetOrganization().GetName() != "Acme" {
		t.Fatalf("imported organization not stored: %v, %v", got, err)
	}
	// The same caller's retry still answers its first result.
	again, err := importer.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: org("Acme"), ClientRequestId: "import:name:IT:acme"})
	if err != nil || again.GetOrganization().GetId() != acme.GetOrganization().GetId() {
		t.Fatalf("retry = %v, %v; want %s", again, err, acme.GetOrganization().GetId())
	}
}

// Erasing an organisation on one replica while another creates its people
// leaves none of them: those stored before the erasure finished are swept
// by it, those stored after erase themselves and are refused.
func TestEraseIncludesPeopleCreatedOnAnotherReplica(t *testing.T) {
	t.Parallel()
	a := start(t)
	b := startWith(t, a.cfg)
	ctx := ctxT(t)
	o := mustCreateOrg(t, a.admin, org("Racing Lab"))

	var (
		mu      sync.Mutex
		created []string
		wg      sync.WaitGroup
	)
	enough := make(chan struct{})
	var once sync.Once
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				res, err := b.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{
					OrganizationId: o.GetId(), Name: fmt.Sprintf("Racer %d-%d", w, i),
				}})
				if code(err) == codes.InvalidArgument {
					return // the organisation is gone
				}
				if err != nil {
					t.Errorf("create person: %v", err)
					return
				}
				mu.Lock()
				created = append(created, res.GetPerson().GetId())
				if len(created) == 12 {
					once.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		}()
	}
	<-enough
	res, err := a.admin.EraseOrganization(ctx, &profilesv1.EraseOrganizationRequest{Id: o.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(res.GetErasedPersonIds()) < 12 {
		t.Errorf("erase reports %d people, want at least 12", len(res.GetErasedPersonIds()))
	}
	for _, e := range []*env{a, b} {
		for _, id := range created {
			_, err := e.admin.GetPerson(ctx, &profilesv1.GetPersonRequest{Id: id})
			if code(err) != codes.NotFound {
				t.Errorf("person %s of the erased organisation: %v, want NotFound", id, err)
			}
		}
	}
	t.Logf("%d people created concurrently, all erased", len(created))
}
