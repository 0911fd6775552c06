package webui

import (
	"sync"
	"time"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Names of organisations and people live in the profiles service; other
// services refer to them by id. Pages resolve the names they show as the
// signed-in user may see them (an anonymous profile stays anonymous), and
// keep them briefly so a page with many participants stays quick.

const (
	nameTTL          = time.Minute
	nameLookups      = 8   // concurrent lookups per page
	maxNamesPerPage  = 300 // beyond this, pages show the services' stand-in names
	nameCacheEntries = 10000
)

type nameEntry struct {
	name string
	exp  time.Time
}

type nameCache struct {
	mu sync.Mutex
	m  map[string]nameEntry
}

func (nc *nameCache) get(key string, now time.Time) (string, bool) {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	e, ok := nc.m[key]
	if !ok || now.After(e.exp) {
		return "", false
	}
	return e.name, true
}

func (nc *nameCache) put(key, name string, now time.Time) {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	if nc.m == nil || len(nc.m) >= nameCacheEntries {
		nc.m = map[string]nameEntry{} // rebuildable: start over rather than grow
	}
	nc.m[key] = nameEntry{name: name, exp: now.Add(nameTTL)}
}

// names returns display names by profile key ("org:<id>", "person:<id>")
// for the refs the user may see.
func (c *call) names(refs []*profilesv1.ProfileRef) map[string]string {
	out := map[string]string{}
	now := time.Now()
	var missing []*profilesv1.ProfileRef
	seen := map[string]bool{}
	for _, r := range refs {
		k := profileKey(r)
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		if n, ok := c.ui.names.get(c.user.Subject+"|"+k, now); ok {
			if n != "" {
				out[k] = n
			}
			continue
		}
		if len(missing) < maxNamesPerPage {
			missing = append(missing, r)
		}
	}
	if len(missing) == 0 {
		return out
	}
	ctx, cancel := c.ctx()
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, nameLookups)
	for _, r := range missing {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var name string
			if id := r.GetOrganizationId(); id != "" {
				if res, err := c.ui.opts.Profiles.GetOrganization(ctx, &profilesv1.GetOrganizationRequest{Id: id}); err == nil {
					name = res.GetOrganization().GetName()
				}
			} else if res, err := c.ui.opts.Profiles.GetPerson(ctx, &profilesv1.GetPersonRequest{Id: r.GetPersonId()}); err == nil {
				name = res.GetPerson().GetName()
			}
			k := profileKey(r)
			c.ui.names.put(c.user.Subject+"|"+k, name, now)
			if name != "" {
				mu.Lock()
				out[k] = name
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}
