package webui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/tandem-cluster/tandem/pkg/auth"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// DemoUser is a user of `tandem dev` who signs in with one click.
type DemoUser struct {
	// Key is the value the sign-in form posts, e.g. "company".
	Key string
	// Name is shown on the sign-in page, e.g. "Giulia Rossi".
	Name string
	// Subject is the token subject.
	Subject string
	// Roles are the token roles.
	Roles []auth.Role
	// Organization is the external id ("source:id") of the demo organisation
	// the user belongs to; it is looked up, and created when missing, at
	// sign-in. Empty: no organisation.
	Organization string
	// Person also gives the user a person profile linked to Subject.
	Person bool
	// InCluster puts the demo cluster into the token's clusters.
	InCluster bool
}

// External ids of the demo organisations the web UI provisions.
const (
	demoCluster  = "tandem-demo:cluster"
	demoCompany  = "tandem-demo:company"
	demoResearch = "tandem-demo:research"
)

// DefaultDemoUsers are the five demo users of `tandem dev`: an admin, a
// cluster manager, an event organiser, a company member and a researcher.
func DefaultDemoUsers() []DemoUser {
	return []DemoUser{
		{Key: "company", Name: "Giulia Rossi", Subject: "demo-company", Roles: []auth.Role{auth.RoleMember}, Organization: demoCompany, InCluster: true},
		{Key: "researcher", Name: "Laura Bianchi", Subject: "demo-researcher", Roles: []auth.Role{auth.RoleMember}, Organization: demoResearch, Person: true, InCluster: true},
		{Key: "organizer", Name: "Marco Esposito", Subject: "demo-organizer", Roles: []auth.Role{auth.RoleOrganizer}, Organization: demoCluster, InCluster: true},
		{Key: "manager", Name: "Chiara Ferrari", Subject: "demo-manager", Roles: []auth.Role{auth.RoleClusterManager}, Organization: demoCluster, InCluster: true},
		{Key: "admin", Name: "Admin", Subject: "demo-admin", Roles: []auth.Role{auth.RoleAdmin}},
	}
}

// demoOrganizations are created on first sign-in when the demo data does
// not hold them yet; they are marked as demo data in their description.
func demoOrganizations(clusterID string) map[string]*profilesv1.Organization {
	member := []*profilesv1.ClusterMembership{{ClusterId: clusterID}}
	return map[string]*profilesv1.Organization{
		demoCluster: {
			Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER, Name: "Smart Health cluster (demo)", ShortName: "Smart Health",
			CountryCode: "IT", NutsCode: "ITH4", City: "Trieste", Visibility: profilesv1.Visibility_VISIBILITY_PUBLIC,
			Description: "Demo data: the cluster-management body of the regional life-sciences cluster.",
			Sectors:     []profilesv1.Sector{profilesv1.Sector_SECTOR_BIOMEDICINE, profilesv1.Sector_SECTOR_BIOTECHNOLOGY, profilesv1.Sector_SECTOR_BIOINFORMATICS},
			ExternalIds: map[string]string{"tandem-demo": "cluster"},
		},
		demoCompany: {
			Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_COMPANY, Name: "Carso Diagnostics S.r.l. (demo)", ShortName: "Carso Dx",
			CountryCode: "IT", NutsCode: "ITH44", City: "Trieste", SizeBand: profilesv1.SizeBand_SIZE_BAND_SMALL,
			Sectors:     []profilesv1.Sector{profilesv1.Sector_SECTOR_DIAGNOSTICS, profilesv1.Sector_SECTOR_BIOTECHNOLOGY},
			NaceCodes:   []string{"72.11"},
			Description: "Demo data: a small company developing blood tests for liver disease, looking for biomarker research partners.",
			Visibility:  profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS, ClusterMemberships: member,
			Contact:     &profilesv1.Contact{Name: "Business development", Email: "bd@carso-dx.example", ConsentToShare: true},
			ExternalIds: map[string]string{"tandem-demo": "company"},
		},
		demoResearch: {
			Kind: profilesv1.OrganizationKind_ORGANIZATION_KIND_RESEARCH_INSTITUTE, Name: "Institute of Molecular Medicine (demo)", ShortName: "IMM",
			CountryCode: "IT", NutsCode: "ITH44", City: "Trieste",
			Sectors:     []profilesv1.Sector{profilesv1.Sector_SECTOR_BIOMEDICINE, profilesv1.Sector_SECTOR_BIOINFORMATICS},
			Description: "Demo data: a research institute working on liver fibrosis, transcriptomics and biomarker discovery.",
			Visibility:  profilesv1.Visibility_VISIBILITY_PUBLIC, ClusterMemberships: member,
			Contact:     &profilesv1.Contact{Name: "Technology transfer office", Email: "tto@imm.example", ConsentToShare: true},
			ExternalIds: map[string]string{"tandem-demo": "research"},
		},
	}
}

// demoIDs remembers the organisations provisioned in this process.
type demoIDs struct {
	mu  sync.Mutex
	ids map[string]string
}

func (u *UI) demoUser(key string) (DemoUser, bool) {
	for _, d := range u.demo {
		if d.Key == key {
			return d, true
		}
	}
	return DemoUser{}, false
}

// provision finds (or creates) the demo organisations and person of d and
// returns its principal. The profiles service decides as for any admin
// call; when it cannot answer, the user still signs in, without an
// organisation.
func (u *UI) provision(ctx context.Context, d DemoUser) (auth.Principal, error) {
	p := auth.Principal{Subject: d.Subject, Roles: d.Roles}
	if d.Organization == "" && !d.InCluster {
		return p, nil
	}
	tok, _, err := u.opts.Auth.Issue(auth.Principal{Subject: "tandem-webui-provisioner", Roles: []auth.Role{auth.RoleAdmin}})
	if err != nil {
		return p, err
	}
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	u.provisioned.mu.Lock()
	defer u.provisioned.mu.Unlock()
	clusterID, err := u.ensureOrg(ctx, demoCluster, "")
	if err != nil {
		return p, err
	}
	if d.InCluster {
		p.Clusters = []string{clusterID}
	}
	if d.Organization != "" {
		if p.Organization, err = u.ensureOrg(ctx, d.Organization, clusterID); err != nil {
			return p, err
		}
	}
	if d.Person && p.Organization != "" {
		if _, err := u.ensurePerson(ctx, d, p.Organization); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (u *UI) ensureOrg(ctx context.Context, extID, clusterID string) (string, error) {
	if id, ok := u.provisioned.ids[extID]; ok {
		return id, nil
	}
	res, err := u.opts.Profiles.ListOrganizations(ctx, &profilesv1.ListOrganizationsRequest{ExternalId: extID, PageSize: 1})
	if err != nil {
		return "", fmt.Errorf("find demo organization %s: %w", extID, err)
	}
	if orgs := res.GetOrganizations(); len(orgs) > 0 {
		u.provisioned.ids[extID] = orgs[0].GetId()
		return orgs[0].GetId(), nil
	}
	tmpl := demoOrganizations(clusterID)[extID]
	if tmpl == nil {
		return "", fmt.Errorf("no demo organization %s", extID)
	}
	created, err := u.opts.Profiles.CreateOrganization(ctx, &profilesv1.CreateOrganizationRequest{Organization: tmpl, ClientRequestId: "webui-demo:" + extID})
	if err != nil {
		return "", fmt.Errorf("create demo organization %s: %w", extID, err)
	}
	u.provisioned.ids[extID] = created.GetOrganization().GetId()
	return created.GetOrganization().GetId(), nil
}

func (u *UI) ensurePerson(ctx context.Context, d DemoUser, orgID string) (string, error) {
	key := "person:" + d.Subject
	if id, ok := u.provisioned.ids[key]; ok {
		return id, nil
	}
	if id, err := u.findPerson(ctx, d.Subject, orgID); err == nil && id != "" {
		u.provisioned.ids[key] = id
		return id, nil
	}
	created, err := u.opts.Profiles.CreatePerson(ctx, &profilesv1.CreatePersonRequest{
		Person: &profilesv1.Person{
			OrganizationId: orgID, Name: d.Name, Role: "Principal investigator", Subject: d.Subject,
			Bio: "Demo data: works on liver fibrosis biomarkers and RNA-seq data analysis.",
		},
		ClientRequestId: "webui-demo:" + key,
	})
	if err != nil {
		return "", fmt.Errorf("create demo person %s: %w", d.Subject, err)
	}
	u.provisioned.ids[key] = created.GetPerson().GetId()
	return created.GetPerson().GetId(), nil
}

// findPerson finds the person profile linked to subject among orgID's people.
func (u *UI) findPerson(ctx context.Context, subject, orgID string) (string, error) {
	token := ""
	for range 20 {
		res, err := u.opts.Profiles.ListPeople(ctx, &profilesv1.ListPeopleRequest{OrganizationId: orgID, PageSize: 500, PageToken: token})
		if err != nil {
			return "", err
		}
		for _, p := range res.GetPeople() {
			if p.GetSubject() == subject {
				return p.GetId(), nil
			}
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	return "", nil
}

// personID is the signed-in user's person profile, if they have one.
func (c *call) personID() string {
	if c.user == nil || c.user.Organization == "" {
		return ""
	}
	if id, ok := c.ui.people.Load(c.user.Subject); ok {
		return id.(string)
	}
	ctx, cancel := c.ctx()
	defer cancel()
	id, err := c.ui.findPerson(ctx, c.user.Subject, c.user.Organization)
	if err != nil {
		return ""
	}
	if id != "" {
		c.ui.people.Store(c.user.Subject, id)
	}
	return id
}

type loginView struct {
	Users []DemoUser
	Next  string
}

func (u *UI) loginPage(c *call) error {
	return c.render("login", "login.title", loginView{Users: u.demoUsersShown(), Next: safeNext(c.r.URL.Query().Get("next"))}, nil)
}

func (u *UI) demoUsersShown() []DemoUser {
	if !u.opts.DevLogin {
		return nil
	}
	return u.demo
}

func (u *UI) login(c *call) error {
	next := safeNext(c.r.PostForm.Get("next"))
	var token string
	var exp time.Time
	if key := c.r.PostForm.Get("user"); key != "" && u.opts.DevLogin {
		d, ok := u.demoUser(key)
		if !ok {
			return c.render("login", "login.title", loginView{Users: u.demoUsersShown(), Next: next}, &problem{Message: c.L.T("login.unknown_user"), Code: codes.InvalidArgument})
		}
		ctx, cancel := context.WithTimeout(c.r.Context(), u.opts.CallTimeout)
		p, err := u.provision(ctx, d)
		cancel()
		if err != nil {
			u.log.Warn("demo sign-in without its organisation", "user", d.Key, "err", err)
		}
		if token, exp, err = u.opts.Auth.Issue(p); err != nil {
			return err
		}
	} else {
		token = strings.TrimSpace(c.r.PostForm.Get("token"))
		if _, err := u.opts.Auth.Verify(token); err != nil || token == "" {
			return c.render("login", "login.title", loginView{Users: u.demoUsersShown(), Next: next}, &problem{Message: c.L.T("login.bad_token"), Code: codes.Unauthenticated, Fields: map[string]string{"token": c.L.T("login.bad_token")}})
		}
		exp = time.Now().Add(12 * time.Hour)
	}
	u.setSession(c.w, token, exp)
	http.Redirect(c.w, c.r, next, http.StatusSeeOther)
	return nil
}

func (u *UI) logout(c *call) error {
	u.clearCookie(c.w, sessionCookie)
	http.Redirect(c.w, c.r, "/login", http.StatusSeeOther)
	return nil
}
