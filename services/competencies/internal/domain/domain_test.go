package domain_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tandem-cluster/tandem/pkg/auth"
	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
)

func TestCanMove(t *testing.T) {
	const (
		d = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_DRAFT
		p = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED
		c = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_CLOSED
		e = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_EXPIRED
	)
	allowed := map[[2]competenciesv1.CooperationProfileStatus]bool{{d, d}: true, {d, p}: true, {p, p}: true, {p, c}: true}
	for _, from := range []competenciesv1.CooperationProfileStatus{d, p, c, e} {
		for _, to := range []competenciesv1.CooperationProfileStatus{d, p, c, e} {
			if got := domain.CanMove(from, to); got != allowed[[2]competenciesv1.CooperationProfileStatus{from, to}] {
				t.Errorf("CanMove(%s, %s) = %v", from, to, got)
			}
		}
	}
}

func TestAccess(t *testing.T) {
	org := domain.Holder{Ref: domain.HolderRef{Kind: domain.HolderOrganization, ID: "O1"}, Organization: "O1", Clusters: []string{"C1"},
		Visibility: profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS}
	person := domain.Holder{Ref: domain.HolderRef{Kind: domain.HolderPerson, ID: "P1"}, Organization: "O1", Subject: "pat", Clusters: []string{"C1"}}
	hidden := org
	hidden.Visibility = profilesv1.Visibility_VISIBILITY_HIDDEN
	cases := []struct {
		name        string
		p           auth.Principal
		h           domain.Holder
		change, see bool
	}{
		{"member", auth.Principal{Subject: "a", Organization: "O1"}, org, true, true},
		{"admin", auth.Principal{Subject: "a", Roles: []auth.Role{auth.RoleAdmin}}, hidden, true, true},
		{"manager of its cluster", auth.Principal{Subject: "m", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{"C1"}}, org, true, true},
		{"manager of another cluster", auth.Principal{Subject: "m", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{"C2"}}, org, false, false},
		{"fellow cluster member", auth.Principal{Subject: "b", Organization: "O2", Clusters: []string{"C1"}}, org, false, true},
		{"stranger", auth.Principal{Subject: "b", Organization: "O2"}, org, false, false},
		{"stranger, hidden", auth.Principal{Subject: "b", Organization: "O2", Clusters: []string{"C1"}}, hidden, false, false},
		{"the person", auth.Principal{Subject: "pat", Organization: "O9"}, person, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := domain.ViewerOf(c.p)
			if got := v.CanChange(c.h); got != c.change {
				t.Errorf("CanChange = %v, want %v", got, c.change)
			}
			if got := v.CanSee(c.h, 0); got != c.see {
				t.Errorf("CanSee = %v, want %v", got, c.see)
			}
		})
	}
	pub := domain.ViewerOf(auth.Principal{Subject: "x", Organization: "O3"})
	if !pub.CanSee(org, profilesv1.Visibility_VISIBILITY_PUBLIC) {
		t.Error("a public profile of a cluster-only holder is not visible")
	}
}

func TestValidateCooperationProfile(t *testing.T) {
	now := time.Now()
	valid := func() *competenciesv1.CooperationProfile {
		return &competenciesv1.CooperationProfile{
			Holder: (domain.HolderRef{Kind: domain.HolderOrganization, ID: "O1"}).Proto(),
			Kind:   competenciesv1.CooperationProfileKind_COOPERATION_PROFILE_KIND_TECHNOLOGY_OFFER, Title: "T", Trl: 4,
		}
	}
	cases := []struct {
		name   string
		mutate func(*competenciesv1.CooperationProfile)
		field  string
	}{
		{"valid", func(*competenciesv1.CooperationProfile) {}, ""},
		{"no title", func(p *competenciesv1.CooperationProfile) { p.Title = " " }, "cooperation_profile.title"},
		{"no kind", func(p *competenciesv1.CooperationProfile) { p.Kind = 0 }, "cooperation_profile.kind"},
		{"trl 10", func(p *competenciesv1.CooperationProfile) { p.Trl = 10 }, "cooperation_profile.trl"},
		{"past deadline", func(p *competenciesv1.CooperationProfile) { p.Deadline = timestamppb.New(now.Add(-time.Hour)) }, "cooperation_profile.deadline"},
		{"publish without summary", func(p *competenciesv1.CooperationProfile) {
			p.Status = competenciesv1.CooperationProfileStatus_COOPERATION_PROFILE_STATUS_PUBLISHED
		}, "cooperation_profile.summary"},
		{"unknown collaboration", func(p *competenciesv1.CooperationProfile) {
			p.CollaborationTypes = []competenciesv1.CollaborationType{99}
		}, "cooperation_profile.collaboration_types[0]"},
		{"no holder", func(p *competenciesv1.CooperationProfile) { p.Holder = nil }, "cooperation_profile.holder"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := valid()
			c.mutate(p)
			vs := domain.ValidateCooperationProfile(p, now, true)
			if c.field == "" {
				if len(vs) != 0 {
					t.Fatalf("violations %v", vs)
				}
				return
			}
			if len(vs) != 1 || vs[0].Field != c.field {
				t.Fatalf("violations %v, want one on %s", vs, c.field)
			}
		})
	}
}

func TestCompetencyKey(t *testing.T) {
	k := domain.CompetencyKey(domain.HolderRef{Kind: domain.HolderPerson, ID: "01P"}, "EDAM:topic_0622")
	if k != "person_01P_EDAM=topic_0622" {
		t.Errorf("key %q", k)
	}
}
