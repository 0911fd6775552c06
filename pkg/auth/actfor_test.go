package auth_test

import (
	"testing"

	"github.com/tandem-cluster/tandem/pkg/auth"
)

func TestActsFor(t *testing.T) {
	t.Parallel()
	member := auth.Principal{Subject: "m", Organization: "ACME", Roles: []auth.Role{auth.RoleMember}, Clusters: []string{"CL1"}}
	manager := auth.Principal{Subject: "cm", Organization: "CL1", Roles: []auth.Role{auth.RoleClusterManager}, Clusters: []string{"CL1"}}
	admin := auth.Principal{Subject: "a", Roles: []auth.Role{auth.RoleAdmin}}
	noOrg := auth.Principal{Subject: "x", Roles: []auth.Role{auth.RoleMember}}
	for _, tc := range []struct {
		name     string
		p        auth.Principal
		org      string
		clusters []string
		want     bool
	}{
		{"member for own organisation", member, "ACME", []string{"CL1"}, true},
		{"member for another organisation of the same cluster", member, "BETA", []string{"CL1"}, false},
		{"manager for a member of their cluster", manager, "BETA", []string{"CL1"}, true},
		{"manager for an organisation of another cluster", manager, "GAMMA", []string{"CL2"}, false},
		{"manager for an organisation of no cluster", manager, "DELTA", nil, false},
		{"member's clusters do not make them a manager", member, "BETA", []string{"CL1"}, false},
		{"admin for anyone", admin, "GAMMA", nil, true},
		{"caller without organisation for an unnamed one", noOrg, "", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.ActsFor(tc.org, tc.clusters); got != tc.want {
				t.Errorf("ActsFor(%s, %v) = %v, want %v", tc.org, tc.clusters, got, tc.want)
			}
		})
	}
}
