package webui

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	competenciesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/competencies/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

const (
	// maxLinks is how many links the network table shows, strongest first.
	maxLinks = 50
	// maxLinkOrgs is how many organisations the network list shows.
	maxLinkOrgs = 20
	// maxLinkMembers bounds the members whose collaboration history the
	// dashboard reads (in one paged call), so a huge cluster stays quick.
	maxLinkMembers = 500
)

// link is two organisations that took part in collaborations together,
// at least one of them a member of the managed clusters.
type link struct {
	A, B         string // organisation ids, A < B
	AName, BName string
	// N is how many collaborations they share; Latest the latest year.
	N, Latest int
	// Examples are the acronyms (or titles) of up to three of them.
	Examples string
	// Outside: one side is not a member of the managed clusters.
	Outside bool
}

// linkOrg is a member with how many partners and collaborations it has.
type linkOrg struct {
	ID, Name                 string
	Partners, Collaborations int
}

type collabNetwork struct {
	Links []link
	// TotalLinks counts every link; Links holds the strongest.
	TotalLinks int
	Orgs       []linkOrg
	// TotalOrgs counts the members with a link; Orgs holds the busiest.
	TotalOrgs int
	// Read is how many members' histories were read, of Members.
	Read, Members int
	// ByRegion counts the collaborations members of each region took part
	// in (once per region).
	ByRegion map[string]int
}

func (n collabNetwork) LinksSampled() bool   { return n.TotalLinks > len(n.Links) }
func (n collabNetwork) OrgsSampled() bool    { return n.TotalOrgs > len(n.Orgs) }
func (n collabNetwork) MembersSampled() bool { return n.Members > n.Read }

// collaborationNetwork reads the collaboration history of members (ids) in
// the competencies service, which leaves out what the caller may not see,
// and links every two organisations that took part in one together when
// at least one is a member; members maps each to its region. name names an organisation id ("" when the
// caller may not see it). With since set, only collaborations of its year
// or later count.
func (u *UI) collaborationNetwork(ctx context.Context, members map[string]string, since time.Time, name func([]string) map[string]string, note func(error)) collabNetwork {
	out := collabNetwork{Members: len(members), ByRegion: map[string]int{}}
	read := slices.Sorted(maps.Keys(members))
	read = read[:min(len(read), maxLinkMembers)]
	out.Read = len(read)
	isMember := map[string]bool{}
	for _, m := range read {
		isMember[m] = true
	}
	// One paged call reads the history of every member read, each
	// collaboration once, however many members took part in it.
	collabs, err := allPages(func(token string) ([]*competenciesv1.Collaboration, string, error) {
		if len(read) == 0 {
			return nil, "", nil
		}
		res, err := u.opts.Competencies.ListCollaborations(ctx, &competenciesv1.ListCollaborationsRequest{OrganizationIds: read, PageSize: 500, PageToken: token})
		return res.GetCollaborations(), res.GetNextPageToken(), err
	})
	if err != nil {
		note(err)
	}

	links := map[[2]string]*link{}
	examples := map[[2]string][]string{}
	orgCollabs := map[string]int{}
	for _, c := range collabs {
		if !since.IsZero() && int(c.GetYear()) < since.Year() {
			continue
		}
		var ids []string
		for _, p := range c.GetParticipants() {
			ids = append(ids, p.GetOrganizationId())
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		regions := map[string]bool{}
		for i, a := range ids {
			if isMember[a] {
				orgCollabs[a]++
				regions[members[a]] = true
			}
			for _, b := range ids[i+1:] {
				if !isMember[a] && !isMember[b] {
					continue
				}
				k := [2]string{a, b}
				l := links[k]
				if l == nil {
					l = &link{A: a, B: b, Outside: !isMember[a] || !isMember[b]}
					links[k] = l
				}
				l.N++
				l.Latest = max(l.Latest, int(c.GetYear()))
				if len(examples[k]) < 3 {
					examples[k] = append(examples[k], cmp.Or(c.GetAcronym(), clip(c.GetTitle(), 40)))
				}
			}
		}
		for r := range regions {
			out.ByRegion[r]++
		}
	}
	partners := map[string]int{}
	for k, l := range links {
		slices.Sort(examples[k])
		l.Examples = strings.Join(examples[k], ", ")
		out.Links = append(out.Links, *l)
		for _, id := range k {
			if isMember[id] {
				partners[id]++
			}
		}
	}
	out.TotalLinks = len(out.Links)
	slices.SortFunc(out.Links, func(a, b link) int {
		return cmp.Or(b.N-a.N, b.Latest-a.Latest, strings.Compare(a.A, b.A), strings.Compare(a.B, b.B))
	})
	out.Links = out.Links[:min(len(out.Links), maxLinks)]
	for id, n := range partners {
		out.Orgs = append(out.Orgs, linkOrg{ID: id, Partners: n, Collaborations: orgCollabs[id]})
	}
	out.TotalOrgs = len(out.Orgs)
	slices.SortFunc(out.Orgs, func(a, b linkOrg) int {
		return cmp.Or(b.Partners-a.Partners, b.Collaborations-a.Collaborations, strings.Compare(a.ID, b.ID))
	})
	out.Orgs = out.Orgs[:min(len(out.Orgs), maxLinkOrgs)]

	var shown []string
	for _, l := range out.Links {
		shown = append(shown, l.A, l.B)
	}
	for _, o := range out.Orgs {
		shown = append(shown, o.ID)
	}
	names := name(shown)
	for i := range out.Links {
		out.Links[i].AName, out.Links[i].BName = names[out.Links[i].A], names[out.Links[i].B]
	}
	for i := range out.Orgs {
		out.Orgs[i].Name = names[out.Orgs[i].ID]
	}
	return out
}

// orgNames names organisation ids as the caller may see them: from known
// (the members already read), else from the profiles service.
func (c *call) orgNames(known map[string]string) func([]string) map[string]string {
	return func(ids []string) map[string]string {
		out := map[string]string{}
		var refs []*profilesv1.ProfileRef
		for _, id := range ids {
			if n := known["org:"+id]; n != "" {
				out[id] = n
			} else {
				refs = append(refs, &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}})
			}
		}
		for k, n := range c.names(refs) {
			out[strings.TrimPrefix(k, "org:")] = n
		}
		return out
	}
}
