package webui

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
)

// Names of organisations and people live in the profiles service; other
// services refer to them by id. Pages resolve the names they show as the
// signed-in user may see them (an anonymous profile stays anonymous), and
// keep them briefly so a page with many participants stays quick. Every
// change the profiles service announces (an update, a visibility change,
// an erasure) drops what is kept of that profile at once, so an erased or
// hidden name is not shown from here either.

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
	// gen counts invalidations: a lookup that began before one does not
	// store what it found, which may be what was just invalidated.
	gen uint64
	n   int
	m   map[string]map[string]nameEntry // profile key -> subject -> name
}

func (nc *nameCache) get(subject, key string, now time.Time) (string, bool) {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	e, ok := nc.m[key][subject]
	if !ok || now.After(e.exp) {
		return "", false
	}
	return e.name, true
}

// generation is the count of invalidations so far, for put.
func (nc *nameCache) generation() uint64 {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	return nc.gen
}

// put keeps a name looked up since generation gen, unless an invalidation
// came in between.
func (nc *nameCache) put(subject, key, name string, now time.Time, gen uint64) {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	if gen != nc.gen {
		return
	}
	if nc.m == nil || nc.n >= nameCacheEntries {
		nc.m, nc.n = map[string]map[string]nameEntry{}, 0 // rebuildable: start over rather than grow
	}
	bySubject := nc.m[key]
	if bySubject == nil {
		bySubject = map[string]nameEntry{}
		nc.m[key] = bySubject
	}
	if _, ok := bySubject[subject]; !ok {
		nc.n++
	}
	bySubject[subject] = nameEntry{name: name, exp: now.Add(nameTTL)}
}

// forget drops what is kept of one profile ("org:<id>", "person:<id>"),
// or of every profile when key is "".
func (nc *nameCache) forget(key string) {
	nc.mu.Lock()
	defer nc.mu.Unlock()
	nc.gen++
	if key == "" {
		nc.m, nc.n = nil, 0
		return
	}
	nc.n -= len(nc.m[key])
	delete(nc.m, key)
}

// profileChanged is told the subject of each profiles event
// (tandem.profiles.v1.<organization|person>.<verb>.<id>). A change to an
// organisation can change what may be seen of its people (their
// visibility follows it), so it drops every kept name; a change to a
// person drops that person's.
func (nc *nameCache) profileChanged(subject string) {
	parts := strings.Split(subject, ".")
	if len(parts) < 6 {
		nc.forget("")
		return
	}
	if parts[3] == "person" {
		nc.forget("person:" + parts[len(parts)-1])
		return
	}
	nc.forget("")
}

// followProfiles drops kept names as the profiles service announces
// changes, until ctx ends. Only changes from now on matter: names kept
// before start are none.
func (nc *nameCache) followProfiles(ctx context.Context, js jetstream.JetStream, log *slog.Logger) {
	for ctx.Err() == nil {
		err := func() error {
			cons, err := js.OrderedConsumer(ctx, profilesStream, jetstream.OrderedConsumerConfig{
				FilterSubjects: []string{"tandem.profiles.v1.>"}, DeliverPolicy: jetstream.DeliverNewPolicy,
			})
			if err != nil {
				return err
			}
			msgs, err := cons.Messages()
			if err != nil {
				return err
			}
			stop := context.AfterFunc(ctx, msgs.Stop)
			defer stop()
			// Whatever happened while no consumer ran is unknown.
			nc.forget("")
			for {
				m, err := msgs.Next()
				if err != nil {
					return err
				}
				nc.profileChanged(m.Subject())
			}
		}()
		if ctx.Err() != nil {
			return
		}
		if !errors.Is(err, jetstream.ErrStreamNotFound) {
			log.Warn("profile changes feed interrupted; names are kept for a shorter time meanwhile", "err", err)
		}
		nc.forget("")
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

const profilesStream = "TANDEM_PROFILES"

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
		if n, ok := c.ui.names.get(c.user.Subject, k, now); ok {
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
	gen := c.ui.names.generation()
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
			c.ui.names.put(c.user.Subject, k, name, now, gen)
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
