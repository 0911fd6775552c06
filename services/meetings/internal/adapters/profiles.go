package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
	"github.com/tandem-cluster/tandem/services/profiles/profilesevents"
)

// The bucket of the meetings service's projection of profiles, and its
// durable consumer of the profiles events.
const (
	ProfilesBucket  = "meetings_profiles"
	ProfilesDurable = "meetings_profiles"
)

// Profiles is the service's projection of the profiles it names: one
// record per organisation or person in a bucket of its own. It is durable
// because the consumer that fills it is: an acknowledged event is never
// delivered again, so a projection held only in memory would lose every
// name at the next restart. A copy in memory serves reads.
type Profiles struct {
	kv jetstream.KeyValue

	mu     sync.RWMutex
	byKey  map[string]domain.Profile
	synced chan struct{}
	once   sync.Once
}

// OpenProfiles creates or opens the projection's bucket.
func OpenProfiles(ctx context.Context, js jetstream.JetStream, replicas int) (*Profiles, error) {
	kv, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{Bucket: ProfilesBucket, History: 1, Storage: jetstream.FileStorage, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	return &Profiles{kv: kv, byKey: map[string]domain.Profile{}, synced: make(chan struct{})}, nil
}

// kvKey turns "org:<id>" into a bucket key ("org.<id>"): colons are not
// allowed in bucket keys, ids have no dots.
func kvKey(key string) string { return strings.Replace(key, ":", ".", 1) }

// Get reads a profile from the bucket, so a write path sees every event
// the consumer has applied, on any replica.
func (p *Profiles) Get(ctx context.Context, key string) (domain.Profile, bool, error) {
	e, err := p.kv.Get(ctx, kvKey(key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return domain.Profile{}, false, nil
	}
	if err != nil {
		return domain.Profile{}, false, fmt.Errorf("get profile %s: %w", key, err)
	}
	var r domain.Profile
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return domain.Profile{}, false, fmt.Errorf("decode profile %s: %w", key, err)
	}
	return r, true, nil
}

// Cached returns the memory copy of a profile, for read paths.
func (p *Profiles) Cached(key string) (domain.Profile, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	x, ok := p.byKey[key]
	return x, ok
}

// Put stores next when domain.Newer says so, with optimistic concurrency
// against other replicas. An erase replaces the record by a tombstone
// without the name (the bucket keeps one revision, so the name is gone).
func (p *Profiles) Put(ctx context.Context, next domain.Profile) (applied bool, err error) {
	key := kvKey(next.Key)
	if next.Erased {
		next = domain.Profile{Key: next.Key, Organization: next.Organization, Version: next.Version, Erased: true}
	}
	data, err := json.Marshal(next)
	if err != nil {
		return false, err
	}
	for {
		e, err := p.kv.Get(ctx, key)
		var rev uint64
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return false, fmt.Errorf("get profile %s: %w", key, err)
		default:
			var cur domain.Profile
			if err := json.Unmarshal(e.Value(), &cur); err != nil {
				return false, fmt.Errorf("decode profile %s: %w", key, err)
			}
			if !domain.Newer(cur, true, next) {
				p.remember(cur)
				return false, nil
			}
			rev = e.Revision()
		}
		if rev == 0 {
			_, err = p.kv.Create(ctx, key, data)
		} else {
			_, err = p.kv.Update(ctx, key, data, rev)
		}
		if err == nil {
			p.remember(next)
			return true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongLast(err) {
			return false, fmt.Errorf("put profile %s: %w", key, err)
		}
		// Another replica wrote in between: read again and decide again.
	}
}

func (p *Profiles) remember(x domain.Profile) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur, ok := p.byKey[x.Key]; !domain.Newer(cur, ok, x) {
		return
	}
	p.byKey[x.Key] = x
}

// Watch keeps the memory copy current until ctx ends, also with what other
// replicas applied.
func (p *Profiles) Watch(ctx context.Context) error {
	w, err := p.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch profiles: %w", err)
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return nil
		case e, ok := <-w.Updates():
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return errors.New("watch profiles ended")
			}
			if e == nil {
				p.once.Do(func() { close(p.synced) })
				continue
			}
			if e.Operation() != jetstream.KeyValuePut {
				continue
			}
			var r domain.Profile
			if err := json.Unmarshal(e.Value(), &r); err != nil {
				return fmt.Errorf("decode profile %s: %w", e.Key(), err)
			}
			p.remember(r)
		}
	}
}

// Synced is closed once the memory copy holds every stored profile.
func (p *Profiles) Synced() <-chan struct{} { return p.synced }

// ProfileEvents is what the service does with the profiles service's events.
type ProfileEvents interface {
	ProfileChanged(ctx context.Context, p domain.Profile) error
	ProfileErased(ctx context.Context, p domain.Profile) error
}

// ConsumeProfiles runs the durable consumer of the profiles service's
// events until ctx ends (see profilesevents.Follow).
func ConsumeProfiles(ctx context.Context, log *slog.Logger, js jetstream.JetStream, handler ProfileEvents) error {
	return profilesevents.Follow(ctx, log, js, ProfilesDurable, func(ctx context.Context, subject string, ev proto.Message) error {
		p, err := profileOf(subject, ev)
		if err != nil {
			return fmt.Errorf("%w: %w", err, natsx.ErrPermanent)
		}
		return handleProfile(ctx, p, handler)
	})
}

// HandleProfileEvent decodes one profiles event by its subject and hands
// it to handler. Events of other entities are ignored; undecodable ones
// fail permanently.
func HandleProfileEvent(ctx context.Context, subject string, data []byte, handler ProfileEvents) error {
	p, _, ok, err := DecodeProfileEvent(subject, data)
	if err != nil {
		return fmt.Errorf("%w: %w", err, natsx.ErrPermanent)
	}
	if !ok {
		return nil
	}
	return handleProfile(ctx, p, handler)
}

func handleProfile(ctx context.Context, p domain.Profile, handler ProfileEvents) error {
	if p.Erased {
		return handler.ProfileErased(ctx, p)
	}
	return handler.ProfileChanged(ctx, p)
}

// DecodeProfileEvent turns a profiles event into the profile it describes.
// ok is false for events of entities the meetings service does not name.
func DecodeProfileEvent(subject string, data []byte) (p domain.Profile, erased, ok bool, err error) {
	ev, err := profilesevents.Decode(subject, data)
	if err != nil || ev == nil {
		return p, false, false, err
	}
	p, err = profileOf(subject, ev)
	if err != nil {
		return p, false, false, err
	}
	return p, p.Erased, true, nil
}

// profileOf is the profile a decoded profiles event describes.
func profileOf(subject string, ev proto.Message) (p domain.Profile, err error) {
	id := subject[strings.LastIndexByte(subject, '.')+1:]
	switch e := ev.(type) {
	case *eventsv1.OrganizationUpserted:
		p = domain.OrgProfile(e.GetOrganization(), id, e.GetAggregateVersion())
	case *eventsv1.OrganizationErased:
		p = domain.Profile{Key: "org:" + id, Organization: id, Version: e.GetAggregateVersion(), Erased: true}
	case *eventsv1.PersonUpserted:
		p = domain.PersonProfile(e.GetPerson(), id, e.GetAggregateVersion())
	case *eventsv1.PersonErased:
		p = domain.Profile{Key: "person:" + id, Organization: e.GetOrganizationId(), Version: e.GetAggregateVersion(), Erased: true}
	}
	if !domain.ValidID(id) {
		return p, fmt.Errorf("%s names no valid profile", subject)
	}
	return p, nil
}
