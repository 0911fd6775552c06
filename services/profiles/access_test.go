package profiles_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// world is a small cluster landscape for access tests: two clusters, an
// organisation in each, and callers of every kind.
type world struct {
	e          *env
	c1, c2     string // clusters
	orgA, orgB string // members of c1 and c2
	callers    map[string]profilesv1.ProfilesServiceClient
}

func newWorld(t *testing.T) *world {
	e := start(t)
	w := &world{e: e}
	w.c1 = mustCluster(t, e, "Cluster One")
	w.c2 = mustCluster(t, e, "Cluster Two")
	w.orgA = mustCreateOrg(t, e.admin, org("Org A", w.c1)).GetId()
	w.orgB = mustCreateOrg(t, e.admin, org("Org B", w.c2)).GetId()
	w.callers = map[string]profilesv1.ProfilesServiceClient{
		"anonymous":         e.anon,
		"admin":             e.admin,
		"manager of c1":     e.as(auth.Principal{Subject: "mgr-1", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{w.c1}}),
		"manager of c2":     e.as(auth.Principal{Subject: "mgr-2", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{w.c2}}),
		"member in c1":      e.as(auth.Principal{Subject: "mem-a", Roles: []auth.Role{auth.RoleMember}, Organization: w.orgA}),
		"member in c2":      e.as(auth.Principal{Subject: "mem-b", Roles: []auth.Role{auth.RoleMember}, Organization: w.orgB}),
		"member, no org":    e.as(auth.Principal{Subject: "loner", Roles: []auth.Role{auth.RoleMember}}),
		"token-only member": e.as(auth.Principal{Subject: "tok", Roles: []auth.Role{auth.RoleMember}, Clusters: []string{w.c1}}),
	}
	return w
}

// target creates an organisation in c1 with vis, contact consent as given,
// and one person; it returns the ids and a client of the target's own member.
func (w *world) target(t *testing.T, name string, vis profilesv1.Visibility, consent bool) (orgID, personID string, owner profilesv1.ProfilesServiceClient) {
	t.Helper()
	o := org(name, w.c1)
	o.Visibility = vis
	o.Contact.ConsentToShare = consent
	orgID = mustCreateOrg(t, w.e.admin, o).GetId()
	res, err := w.e.admin.CreatePerson(ctxT(t), &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{
		OrganizationId: orgID, Name: "Person of " + name, Orcid: "0000-0002-1825-0097", Subject: "self-" + orgID,
		Contact: &profilesv1.Contact{Email: "p@example.org", ConsentToShare: consent},
	}})
	if err != nil {
		t.Fatal(err)
	}
	owner = w.e.as(auth.Principal{Subject: "owner-" + orgID, Roles: []auth.Role{auth.RoleMember}, Organization: orgID})
	return orgID, res.GetPerson().GetId(), owner
}

// outcome of a read for the matrix.
const (
	full     = "full"     // everything, contacts included
	nocontct = "nocontct" // identity shown, contacts withheld (no consent)
	anon     = "anon"     // no name, website or contacts
	hidden   = "hidden"   // NotFound / absent from lists
	unauth   = "unauth"   // Unauthenticated
)

func orgOutcome(o *profilesv1.Organization, err error) string {
	switch {
	case code(err) == codes.Unauthenticated:
		return unauth
	case code(err) == codes.NotFound || (err == nil && o == nil):
		return hidden
	case err != nil:
		return "error " + err.Error()
	case o.GetName() == "" && o.GetWebsite() == "" && o.GetContact() == nil && o.GetRedacted():
		return anon
	case o.GetName() != "" && o.GetContact() == nil && o.GetRedacted():
		return nocontct
	case o.GetName() != "" && o.GetContact().GetEmail() != "" && !o.GetRedacted():
		return full
	}
	return fmt.Sprintf("inconsistent %v", o)
}

func personOutcome(p *profilesv1.Person, err error) string {
	switch {
	case code(err) == codes.Unauthenticated:
		return unauth
	case code(err) == codes.NotFound || (err == nil && p == nil):
		return hidden
	case err != nil:
		return "error " + err.Error()
	case p.GetName() == "" && p.GetOrcid() == "" && p.GetContact() == nil && p.GetRedacted():
		return anon
	case p.GetName() != "" && p.GetContact() == nil && p.GetRedacted():
		return nocontct
	case p.GetName() != "" && p.GetContact().GetEmail() != "" && !p.GetRedacted():
		return full
	}
	return fmt.Sprintf("inconsistent %v", p)
}

// TestVisibilityAndConsentOnEveryReadPath checks role × visibility × consent
// on Get and List of organisations and people.
func TestVisibilityAndConsentOnEveryReadPath(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	type want map[string]string // caller -> outcome
	tests := []struct {
		vis     profilesv1.Visibility
		consent bool
		want    want
	}{
		{profilesv1.Visibility_VISIBILITY_PUBLIC, true, want{"anonymous": unauth, "admin": full, "owner": full, "manager of c1": full, "manager of c2": full, "member in c1": full, "member in c2": full, "member, no org": full, "token-only member": full}},
		{profilesv1.Visibility_VISIBILITY_PUBLIC, false, want{"anonymous": unauth, "admin": full, "owner": full, "manager of c1": nocontct, "member in c1": nocontct, "member in c2": nocontct, "member, no org": nocontct}},
		{profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS, true, want{"anonymous": unauth, "admin": full, "owner": full, "manager of c1": full, "manager of c2": hidden, "member in c1": full, "member in c2": hidden, "member, no org": hidden, "token-only member": full}},
		{profilesv1.Visibility_VISIBILITY_UNSPECIFIED, true, want{"admin": full, "owner": full, "member in c1": full, "member in c2": hidden}},
		{profilesv1.Visibility_VISIBILITY_ANONYMOUS, true, want{"anonymous": unauth, "admin": full, "owner": full, "manager of c1": anon, "member in c1": anon, "member in c2": anon, "member, no org": anon}},
		{profilesv1.Visibility_VISIBILITY_HIDDEN, true, want{"anonymous": unauth, "admin": full, "owner": full, "manager of c1": hidden, "manager of c2": hidden, "member in c1": hidden, "member in c2": hidden, "member, no org": hidden, "token-only member": hidden}},
	}
	for i, tc := range tests {
		name := fmt.Sprintf("%s consent=%v", tc.vis, tc.consent)
		orgID, personID, owner := w.target(t, fmt.Sprintf("Target %02d", i), tc.vis, tc.consent)
		for caller, want := range tc.want {
			c := w.callers[caller]
			if caller == "owner" {
				c = owner
			}
			t.Run(name+"/"+caller, func(t *testing.T) {
				ctx := ctxT(t)
				g, err := c.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: orgID})
				if got := orgOutcome(g.GetOrganization(), err); got != want {
					t.Errorf("GetOrganization: %s, want %s", got, want)
				}
				if got := orgOutcome(listedOrg(ctx, c, orgID)); got != want {
					t.Errorf("ListOrganizations: %s, want %s", got, want)
				}
				gp, err := c.GetPerson(ctx, &profilesv1.GetPersonRequest{Id: personID})
				if got := personOutcome(gp.GetPerson(), err); got != want {
					t.Errorf("GetPerson: %s, want %s", got, want)
				}
				if got := personOutcome(listedPerson(ctx, c, orgID, personID)); got != want {
					t.Errorf("ListPeople: %s, want %s", got, want)
				}
				if got := personOutcome(listedPersonByID(ctx, c, personID)); got != want {
					t.Errorf("ListPeople by id: %s, want %s", got, want)
				}
				if got := orgOutcome(listedOrgByID(ctx, c, orgID)); got != want {
					t.Errorf("ListOrganizations by id: %s, want %s", got, want)
				}
				if want == anon {
					// Identity filters must not find an anonymous profile.
					res, err := c.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{Query: fmt.Sprintf("Target %02d", i)})
					if err != nil || len(res.GetOrganizations()) != 0 {
						t.Errorf("anonymous organisation found by its name: %v, %v", res, err)
					}
				}
			})
		}
	}
}

func listedOrg(ctx context.Context, c profilesv1.ProfilesServiceClient, id string) (*profilesv1.Organization, error) {
	token := ""
	for {
		res, err := c.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{PageSize: 3, PageToken: token})
		if err != nil {
			return nil, err
		}
		for _, o := range res.GetOrganizations() {
			if o.GetId() == id {
				return o, nil
			}
		}
		if token = res.GetNextPageToken(); token == "" {
			return nil, nil
		}
	}
}

func listedPerson(ctx context.Context, c profilesv1.ProfilesServiceClient, orgID, id string) (*profilesv1.Person, error) {
	res, err := c.ListPeople(ctx, &profilesv1.ListPeopleRequest{OrganizationId: orgID})
	if err != nil {
		return nil, err
	}
	for _, p := range res.GetPeople() {
		if p.GetId() == id {
			return p, nil
		}
	}
	return nil, nil
}

func listedOrgByID(ctx context.Context, c profilesv1.ProfilesServiceClient, id string) (*profilesv1.Organization, error) {
	res, err := c.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{Ids: []string{id}})
	if err != nil || len(res.GetOrganizations()) == 0 {
		return nil, err
	}
	return res.GetOrganizations()[0], nil
}

func listedPersonByID(ctx context.Context, c profilesv1.ProfilesServiceClient, id string) (*profilesv1.Person, error) {
	res, err := c.ListPeople(ctx, &profilesv1.ListPeopleRequest{Ids: []string{id}})
	if err != nil || len(res.GetPeople()) == 0 {
		return nil, err
	}
	return res.GetPeople()[0], nil
}

// TestAuthorizationMatrix checks role × write operation on a public
// organisation of cluster c1 and a hidden one.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	type op struct {
		name string
		run  func(ctx context.Context, c profilesv1.ProfilesServiceClient, orgID, personID string) error
	}
	ops := []op{
		{"update organization", func(ctx context.Context, c profilesv1.ProfilesServiceClient, orgID, _ string) error {
			_, err := c.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{Organization: &profilesv1.Organization{Id: orgID, Description: "x"}, ExpectedVersion: 1, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"description"}}})
			return err
		}},
		{"erase organization", func(ctx context.Context, c profilesv1.ProfilesServiceClient, orgID, _ string) error {
			_, err := c.EraseOrganization(ctx, &profilesv1.EraseOrganizationRequest{Id: orgID})
			return err
		}},
		{"create person", func(ctx context.Context, c profilesv1.ProfilesServiceClient, orgID, _ string) error {
			_, err := c.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: orgID, Name: "New"}})
			return err
		}},
		{"update person", func(ctx context.Context, c profilesv1.ProfilesServiceClient, _, personID string) error {
			_, err := c.UpdatePerson(ctx, &profilesv1.UpdatePersonRequest{Person: &profilesv1.Person{Id: personID, Role: "x"}, ExpectedVersion: 1, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"role"}}})
			return err
		}},
		{"erase person", func(ctx context.Context, c profilesv1.ProfilesServiceClient, _, personID string) error {
			_, err := c.ErasePerson(ctx, &profilesv1.ErasePersonRequest{Id: personID})
			return err
		}},
	}
	const ok, denied, notFound, noToken = codes.OK, codes.PermissionDenied, codes.NotFound, codes.Unauthenticated
	tests := []struct {
		caller string
		vis    profilesv1.Visibility
		want   codes.Code // same for every op
	}{
		{"anonymous", profilesv1.Visibility_VISIBILITY_PUBLIC, noToken},
		{"admin", profilesv1.Visibility_VISIBILITY_PUBLIC, ok},
		{"admin", profilesv1.Visibility_VISIBILITY_HIDDEN, ok},
		{"owner", profilesv1.Visibility_VISIBILITY_PUBLIC, ok},
		{"owner", profilesv1.Visibility_VISIBILITY_HIDDEN, ok},
		{"person themself", profilesv1.Visibility_VISIBILITY_PUBLIC, ok},
		{"manager of c1", profilesv1.Visibility_VISIBILITY_PUBLIC, ok},
		{"manager of c2", profilesv1.Visibility_VISIBILITY_PUBLIC, denied},
		{"member in c1", profilesv1.Visibility_VISIBILITY_PUBLIC, denied},
		{"member in c2", profilesv1.Visibility_VISIBILITY_PUBLIC, denied},
		{"member in c2", profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS, notFound},
		{"member in c1", profilesv1.Visibility_VISIBILITY_HIDDEN, notFound},
	}
	for i, tc := range tests {
		for j, o := range ops {
			if tc.caller == "person themself" && o.name != "update person" && o.name != "erase person" {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s/%s", tc.caller, tc.vis, o.name), func(t *testing.T) {
				orgID, personID, owner := w.target(t, fmt.Sprintf("T %02d %d", i, j), tc.vis, true)
				c := w.callers[tc.caller]
				switch tc.caller {
				case "owner":
					c = owner
				case "person themself":
					c = w.e.as(auth.Principal{Subject: "self-" + orgID, Roles: []auth.Role{auth.RoleMember}})
				}
				want := tc.want
				if want == notFound && o.name == "create person" {
					want = codes.InvalidArgument // the organisation named in the body does not exist for the caller
				}
				if got := code(o.run(ctxT(t), c, orgID, personID)); got != want {
					t.Errorf("%s: %v, want %v", o.name, got, want)
				}
			})
		}
	}

	t.Run("create organization", func(t *testing.T) {
		ctx := ctxT(t)
		cases := []struct {
			caller  string
			cluster string
			kind    profilesv1.OrganizationKind
			want    codes.Code
		}{
			{"anonymous", w.c1, profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, noToken},
			{"admin", "", profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, ok},
			{"manager of c1", w.c1, profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, ok},
			{"manager of c1", w.c2, profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, denied},
			{"manager of c1", "", profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, denied},
			{"manager of c1", w.c1, profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER, denied},
			{"member in c1", w.c1, profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, denied},
		}
		for _, tc := range cases {
			o := org("New "+tc.caller, tc.cluster)
			if tc.cluster == "" {
				o.ClusterMemberships = nil
			}
			o.Kind = tc.kind
			_, err := w.callers[tc.caller].CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: o})
			if got := code(err); got != tc.want {
				t.Errorf("%s creating in %q: %v (%v), want %v", tc.caller, tc.cluster, got, err, tc.want)
			}
		}
	})

	t.Run("memberships", func(t *testing.T) {
		ctx := ctxT(t)
		orgID, _, owner := w.target(t, "Membership target", profilesv1.Visibility_VISIBILITY_PUBLIC, true)
		move := func(c profilesv1.ProfilesServiceClient, version int64, clusters ...string) error {
			o := &profilesv1.Organization{Id: orgID}
			for _, id := range clusters {
				o.ClusterMemberships = append(o.ClusterMemberships, &profilesv1.ClusterMembership{ClusterId: id})
			}
			_, err := c.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{Organization: o, ExpectedVersion: version, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"cluster_memberships"}}})
			return err
		}
		// Members cannot join or leave clusters; managers only change their own.
		wantCode(t, move(owner, 1, w.c1, w.c2), denied)
		wantCode(t, move(w.callers["manager of c1"], 1, w.c1, w.c2), denied)
		wantCode(t, move(w.callers["manager of c2"], 1, w.c1, w.c2), denied) // not yet in c2: not theirs to edit
		wantCode(t, move(w.callers["admin"], 1, w.c1, w.c2), ok)
		wantCode(t, move(w.callers["manager of c2"], 2, w.c1), ok)
	})
}

func TestUnauthenticatedCallsAreRefused(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	id := "01J00000000000000000000000"
	calls := map[string]func() error{
		"CreateOrganization": func() error {
			_, err := e.anon.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: org("X")})
			return err
		},
		"GetOrganization": func() error {
			_, err := e.anon.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: id})
			return err
		},
		"UpdateOrganization": func() error {
			_, err := e.anon.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{Organization: &profilesv1.Organization{Id: id}, ExpectedVersion: 1})
			return err
		},
		"ListOrganizations": func() error {
			_, err := e.anon.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{})
			return err
		},
		"EraseOrganization": func() error {
			_, err := e.anon.EraseOrganization(ctx, &profilesv1.EraseOrganizationRequest{Id: id})
			return err
		},
		"CreatePerson": func() error {
			_, err := e.anon.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: id, Name: "x"}})
			return err
		},
		"GetPerson": func() error {
			_, err := e.anon.GetPerson(ctx, &profilesv1.GetPersonRequest{Id: id})
			return err
		},
		"UpdatePerson": func() error {
			_, err := e.anon.UpdatePerson(ctx, &profilesv1.UpdatePersonRequest{Person: &profilesv1.Person{Id: id}, ExpectedVersion: 1})
			return err
		},
		"ListPeople": func() error {
			_, err := e.anon.ListPeople(ctx, &profilesv1.ListPeopleRequest{})
			return err
		},
		"ErasePerson": func() error {
			_, err := e.anon.ErasePerson(ctx, &profilesv1.ErasePersonRequest{Id: id})
			return err
		},
	}
	for name, call := range calls {
		if got := code(call()); got != codes.Unauthenticated {
			t.Errorf("%s without a token: %v, want Unauthenticated", name, got)
		}
	}
}

// TestAnonymousProfilesDoNotSortByName: anonymous organisations and people
// come after all named ones, in id order, whatever their names, and paging
// goes through them; a caller renaming their own organisation learns
// nothing from where an anonymous one sorts.
func TestAnonymousProfilesDoNotSortByName(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	anonymous := func(name string) *profilesv1.Organization {
		o := org(name)
		o.Visibility = profilesv1.Visibility_VISIBILITY_ANONYMOUS
		return o
	}
	var anonIDs []string
	for _, name := range []string{"Mmm Secret", "Aaa Secret"} {
		anonIDs = append(anonIDs, mustCreateOrg(t, e.admin, anonymous(name)).GetId())
	}
	slices.Sort(anonIDs)
	mustCreateOrg(t, e.admin, org("Zzz Public"))
	mine := mustCreateOrg(t, e.admin, org("Bbb Mine"))
	caller := e.as(auth.Principal{Subject: "member-1", Organization: mine.GetId(), Roles: []auth.Role{auth.RoleMember}})
	list := func() []string {
		t.Helper()
		var ids []string
		token := ""
		for {
			res, err := caller.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{PageSize: 1, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range res.GetOrganizations() {
				ids = append(ids, o.GetId())
			}
			if token = res.GetNextPageToken(); token == "" {
				return ids
			}
		}
	}
	for _, name := range []string{"Bbb Mine", "Nnn Mine", "Aaa Mine", "Zzzz Mine"} {
		cur, err := e.admin.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: mine.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		o := cur.GetOrganization()
		o.Name = name
		if _, err := caller.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{Organization: o, ExpectedVersion: o.GetVersion(), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}}); err != nil {
			t.Fatal(err)
		}
		ids := list()
		if len(ids) != 4 || !slices.Equal(ids[2:], anonIDs) {
			t.Fatalf("with own organisation named %q the list is %v; want two named ones, then the anonymous ones by id %v", name, ids, anonIDs)
		}
	}

	// People follow their organisation's anonymity, and change place when it changes.
	pub := mustCreateOrg(t, e.admin, org("Open Lab"))
	var people []string
	for _, n := range []string{"Zed Person", "Abe Person"} {
		res, err := e.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: pub.GetId(), Name: n}})
		if err != nil {
			t.Fatal(err)
		}
		people = append(people, res.GetPerson().GetId())
	}
	listPeople := func() []string {
		res, err := caller.ListPeople(ctx, &profilesv1.ListPeopleRequest{OrganizationId: pub.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range res.GetPeople() {
			ids = append(ids, p.GetId())
		}
		return ids
	}
	if got := listPeople(); !slices.Equal(got, []string{people[1], people[0]}) {
		t.Fatalf("people of a public organisation = %v, want by name %v", got, []string{people[1], people[0]})
	}
	o := proto.CloneOf(pub)
	o.Visibility = profilesv1.Visibility_VISIBILITY_ANONYMOUS
	if _, err := e.admin.UpdateOrganization(ctx, &profilesv1.UpdateOrganizationRequest{Organization: o, ExpectedVersion: o.GetVersion(), UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"visibility"}}}); err != nil {
		t.Fatal(err)
	}
	byID := slices.Sorted(slices.Values(people))
	if got := listPeople(); !slices.Equal(got, byID) {
		t.Fatalf("people of an anonymous organisation = %v, want by id %v", got, byID)
	}
}

// TestHiddenReadsLikeMissing: a hidden organisation or person, to those who
// may not see it, is refused in the same words as one that does not exist.
func TestHiddenReadsLikeMissing(t *testing.T) {
	t.Parallel()
	e := start(t)
	ctx := ctxT(t)
	hidden := org("Hidden Biotech")
	hidden.Visibility = profilesv1.Visibility_VISIBILITY_HIDDEN
	h := mustCreateOrg(t, e.admin, hidden)
	p, err := e.admin.CreatePerson(ctx, &profilesv1.CreatePersonRequest{Person: &profilesv1.Person{OrganizationId: h.GetId(), Name: "Secret Person"}})
	if err != nil {
		t.Fatal(err)
	}
	other := mustCreateOrg(t, e.admin, org("Other"))
	caller := e.as(auth.Principal{Subject: "member-1", Organization: other.GetId(), Roles: []auth.Role{auth.RoleMember}})
	const missing = "01J00000000000000000000000"
	_, errHidden := caller.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: h.GetId()})
	_, errMissing := caller.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: missing})
	_, errHiddenPerson := caller.GetPerson(ctx, &profilesv1.GetPersonRequest{Id: p.GetPerson().GetId()})
	_, errMissingPerson := caller.GetPerson(ctx, &profilesv1.GetPersonRequest{Id: missing})
	for _, pair := range [][2]error{{errHidden, errMissing}, {errHiddenPerson, errMissingPerson}} {
		hid, mis := status.Convert(pair[0]), status.Convert(pair[1])
		if hid.Code() != codes.NotFound || mis.Code() != codes.NotFound {
			t.Fatalf("hidden: %v; missing: %v; want NotFound both", pair[0], pair[1])
		}
		if strings.NewReplacer(h.GetId(), "ID", p.GetPerson().GetId(), "ID").Replace(hid.Message()) != strings.ReplaceAll(mis.Message(), missing, "ID") {
			t.Errorf("hidden and missing told apart: %q vs %q", hid.Message(), mis.Message())
		}
		if strings.Contains(mis.Message(), "profiles_") {
			t.Errorf("message names a bucket: %q", mis.Message())
		}
	}
}
