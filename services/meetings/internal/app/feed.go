package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	eventsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/events/v1"
	meetingsv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/meetings/v1"
	profilesv1 "github.com/tandem-cluster/tandem/proto/gen/go/tandem/profiles/v1"

	"github.com/tandem-cluster/tandem/pkg/grpcerr"
	"github.com/tandem-cluster/tandem/services/meetings/internal/domain"
)

// A calendar feed token is the participant's id (a ULID, 26 characters)
// followed by 32 random bytes in unpadded base64url (43 characters). The id
// finds the participant; the random part is the credential, of which the
// participant keeps only the SHA-256 digest.
const (
	feedIDLen     = 26
	feedSecretLen = 32
	feedTokenLen  = feedIDLen + 43
)

// newFeedToken returns a token for participant id and its digest.
func newFeedToken(id string) (token string, digest []byte) {
	secret := make([]byte, feedSecretLen)
	_, _ = rand.Read(secret) // never fails (crypto/rand)
	token = id + base64.RawURLEncoding.EncodeToString(secret)
	sum := sha256.Sum256([]byte(token))
	return token, sum[:]
}

// ParseFeedToken splits a token into the participant id and reports
// whether it has the shape newFeedToken gives.
func ParseFeedToken(token string) (participantID string, ok bool) {
	if len(token) != feedTokenLen {
		return "", false
	}
	id, secret := token[:feedIDLen], token[feedIDLen:]
	if !domain.ValidID(id) {
		return "", false
	}
	if b, err := base64.RawURLEncoding.Strict().DecodeString(secret); err != nil || len(b) != feedSecretLen {
		return "", false
	}
	return id, true
}

// SetCalendarFeed gives the participant a new feed token, which replaces
// the one before, or revokes the feed.
func (s *Service) SetCalendarFeed(ctx context.Context, req *meetingsv1.SetCalendarFeedRequest) (*meetingsv1.SetCalendarFeedResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	ev, err := s.visibleEvent(ctx, p, req.GetEventId())
	if err != nil {
		return nil, err
	}
	var resp *meetingsv1.SetCalendarFeedResponse
	err = retryConflict(func() error {
		cur, rev, err := s.loadParticipant(ctx, req.GetParticipantId())
		if err != nil || cur.GetEventId() != ev.GetId() {
			return fmt.Errorf("participant %s of event %s: %w", req.GetParticipantId(), ev.GetId(), grpcerr.ErrNotFound)
		}
		if !domain.ActsFor(p, cur) {
			return fmt.Errorf("only the participant may change its calendar feed: %w", grpcerr.ErrPermission)
		}
		next := domain.Clone(cur)
		resp = &meetingsv1.SetCalendarFeedResponse{}
		if req.GetRevoke() {
			if cur.GetCalendarFeed() == nil {
				return nil // nothing to revoke
			}
			next.CalendarFeed = nil
		} else {
			if cur.GetStatus() != meetingsv1.ParticipantStatus_PARTICIPANT_STATUS_REGISTERED {
				return fmt.Errorf("participant %s has withdrawn: %w", cur.GetId(), grpcerr.ErrPrecondition)
			}
			token, digest := newFeedToken(cur.GetId())
			next.CalendarFeed = &meetingsv1.CalendarFeed{TokenSha256: digest, CreatedAt: s.ts()}
			resp.Token = token
			resp.Feed = &meetingsv1.CalendarFeed{CreatedAt: next.CalendarFeed.GetCreatedAt()}
		}
		next.Version++
		next.UpdatedAt = s.ts()
		h := s.header(p)
		_, err = s.write(ctx, next.GetId(), &eventsv1.ParticipantUpdated{
			EventId: h.EventID, OccurredAt: h.OccurredAt, AggregateId: next.GetId(), AggregateVersion: next.Version, ActorSubject: h.Actor,
			BrokerageEventId: ev.GetId(), Participant: next,
		}, rev)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// GetCalendarFeed renders the agenda a feed token names, for the
// participant, as ExportCalendar does. Any token that does not match the
// participant's current one, including that of an erased participant
// (whose feed the erasure dropped), is NOT_FOUND, and so is nothing else.
func (s *Service) GetCalendarFeed(ctx context.Context, req *meetingsv1.GetCalendarFeedRequest) (*meetingsv1.GetCalendarFeedResponse, error) {
	notFound := fmt.Errorf("calendar feed: %w", grpcerr.ErrNotFound)
	id, ok := ParseFeedToken(req.GetToken())
	if !ok {
		return nil, notFound
	}
	// The bucket, not the index: a feed revoked through another replica
	// must stop at once.
	pa, _, err := s.loadParticipant(ctx, id)
	if err != nil {
		return nil, notFound
	}
	sum := sha256.Sum256([]byte(req.GetToken()))
	stored := pa.GetCalendarFeed().GetTokenSha256()
	if len(stored) != len(sum) || subtle.ConstantTimeCompare(stored, sum[:]) != 1 {
		return nil, notFound
	}
	if prof, ok := s.lookup(domain.ProfileKey(pa.GetProfile())); ok && prof.Erased {
		return nil, notFound
	}
	// The feed is read as the participant would read it.
	viewer := domain.Principal{Subject: pa.GetProfile().GetPersonId(), Organization: pa.GetProfile().GetOrganizationId()}
	ev, err := s.visibleEvent(ctx, viewer, pa.GetEventId())
	if err != nil {
		return nil, notFound
	}
	return &meetingsv1.GetCalendarFeedResponse{Calendar: s.calendar(ctx, viewer, ev, pa)}, nil
}

// organizerName is who runs ev as viewer may know it: the first hosting
// cluster whose name viewer may see, else the event itself.
func (s *Service) organizerName(viewer domain.Principal, ev *meetingsv1.Event) string {
	for _, id := range ev.GetClusterIds() {
		if name, ok := domain.Disclose(viewer, &profilesv1.ProfileRef{Ref: &profilesv1.ProfileRef_OrganizationId{OrganizationId: id}}, s.lookup); ok && strings.TrimSpace(name) != "" {
			return name
		}
	}
	return ev.GetName()
}
