package adapters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	"github.com/tandem-cluster/tandem/pkg/natsx"
	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"
	"github.com/tandem-cluster/tandem/services/competencies/internal/domain"
	"github.com/tandem-cluster/tandem/services/profiles/profilesevents"
)

// Holders is the service's own record of the organisations and people that
// exist, learnt from the profiles service's events. It lives in a JetStream
// bucket, so the durable consumer that fills it can resume after a restart
// without replaying the profiles stream, and a copy in memory serves reads.
type Holders struct {
	kv jetstream.KeyValue

	mu     sync.RWMutex
	byKey  map[string]domain.Holder
	synced chan struct{}
	once   sync.Once
}

// holderRecord is the stored form of a domain.Holder.
type holderRecord struct {
	Kind         domain.HolderKind     `json:"kind"`
	ID           string                `json:"id"`
	Organization string                `json:"org,omitempty"`
	Subject      string                `json:"sub,omitempty"`
	Clusters     []string              `json:"clusters,omitempty"`
	Visibility   profilesv1.Visibility `json:"vis,omitempty"`
	Version      int64                 `json:"v"`
	Erased       bool                  `json:"erased,omitempty"`
}

func (r holderRecord) holder() domain.Holder {
	return domain.Holder{Ref: domain.HolderRef{Kind: r.Kind, ID: r.ID}, Organization: r.Organization, Subject: r.Subject,
		Clusters: r.Clusters, Visibility: r.Visibility, Version: r.Version, Erased: r.Erased}
}

func recordOf(h domain.Holder) holderRecord {
	return holderRecord{Kind: h.Ref.Kind, ID: h.Ref.ID, Organization: h.Organization, Subject: h.Subject,
		Clusters: h.Clusters, Visibility: h.Visibility, Version: h.Version, Erased: h.Erased}
}

// OpenHolders creates or opens the holders bucket.
func OpenHolders(ctx context.Context, js jetstream.JetStream, bucket string, replicas int) (*Holders, error) {
	kv, err := natsx.EnsureKV(ctx, js, jetstream.KeyValueConfig{Bucket: bucket, History: 1, Storage: jetstream.FileStorage, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	return &Holders{kv: kv, byKey: map[string]domain.Holder{}, synced: make(chan struct{})}, nil
}

// Get reads a holder from the bucket (not the memory copy), so a write path
// sees every event the consumer has applied.
func (h *Holders) Get(ctx context.Context, ref domain.HolderRef) (domain.Holder, bool, error) {
	e, err := h.kv.Get(ctx, ref.Key())
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return domain.Holder{}, false, nil
	}
	if err != nil {
		return domain.Holder{}, false, fmt.Errorf("get holder %s: %w", ref.Key(), err)
	}
	var r holderRecord
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return domain.Holder{}, false, fmt.Errorf("decode holder %s: %w", ref.Key(), err)
	}
	return r.holder(), true, nil
}

// Cached returns the memory copy of a holder, for read paths.
func (h *Holders) Cached(ref domain.HolderRef) (domain.Holder, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	x, ok := h.byKey[ref.Key()]
	return x, ok
}

// Put stores next unless the stored holder is at the same or a newer
// version, or erased: events applied twice or out of order change nothing,
// and nothing brings an erased holder back.
func (h *Holders) Put(ctx context.Context, next domain.Holder) (applied bool, err error) {
	key := next.Ref.Key()
	for {
		e, err := h.kv.Get(ctx, key)
		var rev uint64
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return false, fmt.Errorf("get holder %s: %w", key, err)
		default:
			var cur holderRecord
			if err := json.Unmarshal(e.Value(), &cur); err != nil {
				return false, fmt.Errorf("decode holder %s: %w", key, err)
			}
			if cur.Erased || (cur.Version >= next.Version && !next.Erased) {
				return false, nil
			}
			rev = e.Revision()
		}
		data, err := json.Marshal(recordOf(next))
		if err != nil {
			return false, err
		}
		if rev == 0 {
			_, err = h.kv.Create(ctx, key, data)
		} else {
			_, err = h.kv.Update(ctx, key, data, rev)
		}
		if err == nil {
			h.remember(next)
			return true, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongSequence(err) {
			return false, fmt.Errorf("put holder %s: %w", key, err)
		}
		// Another replica wrote in between: read again and decide again.
	}
}

func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

func (h *Holders) remember(x domain.Holder) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cur, ok := h.byKey[x.Ref.Key()]; ok && (cur.Erased || cur.Version > x.Version) {
		return
	}
	h.byKey[x.Ref.Key()] = x
}

// Watch keeps the memory copy current until ctx ends.
func (h *Holders) Watch(ctx context.Context) error {
	w, err := h.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch holders: %w", err)
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
				return errors.New("watch holders ended")
			}
			if e == nil {
				h.once.Do(func() { close(h.synced) })
				continue
			}
			if e.Operation() != jetstream.KeyValuePut {
				continue
			}
			var r holderRecord
			if err := json.Unmarshal(e.Value(), &r); err != nil {
				return fmt.Errorf("decode holder %s: %w", e.Key(), err)
			}
			h.remember(r.holder())
		}
	}
}

// Synced is closed once the memory copy holds every stored holder.
func (h *Holders) Synced() <-chan struct{} { return h.synced }

// PeopleOf returns the people known to belong to an organisation.
func (h *Holders) PeopleOf(orgID string) []domain.HolderRef {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []domain.HolderRef
	for _, x := range h.byKey {
		if x.Ref.Kind == domain.HolderPerson && x.Organization == orgID && !x.Erased {
			out = append(out, x.Ref)
		}
	}
	return out
}

// ProfileEvents is what the service does with the profiles service's
// events: remember holders, and remove everything an erased holder held.
type ProfileEvents interface {
	HolderChanged(ctx context.Context, h domain.Holder) error
	HolderErased(ctx context.Context, h domain.Holder) error
}

// ConsumeProfiles runs the durable consumer of the profiles service's
// events until ctx ends (see profilesevents.Follow).
func ConsumeProfiles(ctx context.Context, log *slog.Logger, js jetstream.JetStream, durable string, handler ProfileEvents) error {
	return profilesevents.Follow(ctx, log, js, durable, func(ctx context.Context, subject string, ev proto.Message) error {
		return handleProfileEvent(ctx, subject, ev, handler)
	})
}

// HandleProfileEvent decodes one profiles event by its subject and hands it
// to handler. Undecodable events fail permanently.
func HandleProfileEvent(ctx context.Context, subject string, data []byte, handler ProfileEvents) error {
	ev, err := profilesevents.Decode(subject, data)
	if err != nil || ev == nil {
		return err // nil: another entity of the profiles service, not ours to mind
	}
	return handleProfileEvent(ctx, subject, ev, handler)
}

func handleProfileEvent(ctx context.Context, subject string, ev proto.Message, handler ProfileEvents) error {
	h, erased, ok := HolderOf(ev)
	if !ok {
		return fmt.Errorf("%s names no valid holder: %w", subject, natsx.ErrPermanent)
	}
	if erased {
		return handler.HolderErased(ctx, h)
	}
	return handler.HolderChanged(ctx, h)
}

// HolderOf turns a profiles event into the holder it describes.
func HolderOf(ev proto.Message) (h domain.Holder, erased, ok bool) {
	switch e := ev.(type) {
	case *eventsv1.OrganizationUpserted:
		o := e.GetOrganization()
		id := e.GetAggregateId()
		if id == "" {
			id = o.GetId()
		}
		clusters := make([]string, 0, len(o.GetClusterMemberships())+1)
		for _, m := range o.GetClusterMemberships() {
			clusters = append(clusters, m.GetClusterId())
		}
		if o.GetKind() == profilesv1.OrganizationKind_ORGANIZATION_KIND_CLUSTER {
			clusters = append(clusters, id)
		}
		vis := o.GetVisibility()
		if vis == profilesv1.Visibility_VISIBILITY_UNSPECIFIED {
			vis = profilesv1.Visibility_VISIBILITY_CLUSTER_MEMBERS
		}
		h = domain.Holder{Ref: domain.HolderRef{Kind: domain.HolderOrganization, ID: id}, Organization: id,
			Clusters: clusters, Visibility: vis, Version: e.GetAggregateVersion()}
	case *eventsv1.OrganizationErased:
		h = domain.Holder{Ref: domain.HolderRef{Kind: domain.HolderOrganization, ID: e.GetAggregateId()},
			Organization: e.GetAggregateId(), Version: e.GetAggregateVersion(), Erased: true}
		erased = true
	case *eventsv1.PersonUpserted:
		p := e.GetPerson()
		id := e.GetAggregateId()
		if id == "" {
			id = p.GetId()
		}
		h = domain.Holder{Ref: domain.HolderRef{Kind: domain.HolderPerson, ID: id}, Organization: p.GetOrganizationId(),
			Subject: p.GetSubject(), Visibility: p.GetVisibility(), Version: e.GetAggregateVersion()}
	case *eventsv1.PersonErased:
		h = domain.Holder{Ref: domain.HolderRef{Kind: domain.HolderPerson, ID: e.GetAggregateId()},
			Organization: e.GetOrganizationId(), Version: e.GetAggregateVersion(), Erased: true}
		erased = true
	default:
		return h, false, false
	}
	return h, erased, domain.ValidID(h.Ref.ID)
}
