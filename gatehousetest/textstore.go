package gatehousetest

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-id/gatehouse"
)

// TextStore wraps a store so that it refuses what the PostgreSQL store
// refuses and SQLite keeps: text that is not UTF-8 or holds a NUL
// (PostgreSQL's text and jsonb take neither, and an audit event's details
// that are not UTF-8 come back from either store changed, which breaks
// the chain's hash), and a max_age beyond PostgreSQL's integer column. It
// checks the calls that take what a request carried: lookups by name or
// id, the authorization requests, sessions, consents and JWT credentials
// the pages write, and audit events. A refusal is the EINVALID error the
// PostgreSQL store returns, and is kept for Refused.
type TextStore struct {
	gatehouse.Store

	mu      sync.Mutex
	refused []string
}

var _ gatehouse.Store = (*TextStore)(nil)

// NewTextStore wraps s.
func NewTextStore(s gatehouse.Store) *TextStore { return &TextStore{Store: s} }

// TakeRefused returns the calls refused since the last call, and forgets
// them.
func (s *TextStore) TakeRefused() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.refused
	s.refused = nil
	return out
}

func (s *TextStore) refuse(op, what string) error {
	s.mu.Lock()
	s.refused = append(s.refused, fmt.Sprintf("%s: %.80q", op, what))
	s.mu.Unlock()
	return gatehouse.Errorf(gatehouse.EINVALID, "a value cannot be stored")
}

// check refuses the first value that is not text PostgreSQL keeps.
func (s *TextStore) check(op string, values ...string) error {
	for _, v := range values {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return s.refuse(op, v)
		}
	}
	return nil
}

func (s *TextStore) GetTenant(ctx context.Context, id string) (*gatehouse.Tenant, error) {
	if err := s.check("GetTenant", id); err != nil {
		return nil, err
	}
	return s.Store.GetTenant(ctx, id)
}

func (s *TextStore) GetTenantBySlug(ctx context.Context, slug string) (*gatehouse.Tenant, error) {
	if err := s.check("GetTenantBySlug", slug); err != nil {
		return nil, err
	}
	return s.Store.GetTenantBySlug(ctx, slug)
}

func (s *TextStore) GetUser(ctx context.Context, tenantID, id string) (*gatehouse.User, error) {
	if err := s.check("GetUser", tenantID, id); err != nil {
		return nil, err
	}
	return s.Store.GetUser(ctx, tenantID, id)
}

func (s *TextStore) GetUserByUsername(ctx context.Context, tenantID, username string) (*gatehouse.User, error) {
	if err := s.check("GetUserByUsername", tenantID, username); err != nil {
		return nil, err
	}
	return s.Store.GetUserByUsername(ctx, tenantID, username)
}

func (s *TextStore) GetUserByEmail(ctx context.Context, tenantID, email string) (*gatehouse.User, error) {
	if err := s.check("GetUserByEmail", tenantID, email); err != nil {
		return nil, err
	}
	return s.Store.GetUserByEmail(ctx, tenantID, email)
}

func (s *TextStore) GetClient(ctx context.Context, tenantID, id string) (*gatehouse.Client, error) {
	if err := s.check("GetClient", tenantID, id); err != nil {
		return nil, err
	}
	return s.Store.GetClient(ctx, tenantID, id)
}

func (s *TextStore) GetClientByClientID(ctx context.Context, clientID string) (*gatehouse.Client, error) {
	if err := s.check("GetClientByClientID", clientID); err != nil {
		return nil, err
	}
	return s.Store.GetClientByClientID(ctx, clientID)
}

func (s *TextStore) CreateAuthRequest(ctx context.Context, r *gatehouse.AuthRequest) error {
	values := []string{r.ID, r.TenantID, r.Client, r.ClientID, r.RedirectURI, r.ResponseMode, r.State, r.Nonce,
		r.CodeChallenge, r.CodeChallengeMethod, r.LoginHint, r.UILocales, r.ACRValues, r.Issuer, r.IDTokenHintSubject}
	values = append(values, r.Scopes...)
	values = append(values, r.Prompt...)
	if err := s.check("CreateAuthRequest", values...); err != nil {
		return err
	}
	if r.MaxAge < math.MinInt32 || r.MaxAge > math.MaxInt32 {
		return s.refuse("CreateAuthRequest", fmt.Sprintf("max_age %d", r.MaxAge))
	}
	return s.Store.CreateAuthRequest(ctx, r)
}

func (s *TextStore) GetAuthRequest(ctx context.Context, tenantID, id string, now time.Time) (*gatehouse.AuthRequest, error) {
	if err := s.check("GetAuthRequest", tenantID, id); err != nil {
		return nil, err
	}
	return s.Store.GetAuthRequest(ctx, tenantID, id, now)
}

func (s *TextStore) GetSession(ctx context.Context, tenantID, id string) (*gatehouse.Session, error) {
	if err := s.check("GetSession", tenantID, id); err != nil {
		return nil, err
	}
	return s.Store.GetSession(ctx, tenantID, id)
}

func (s *TextStore) CreateSession(ctx context.Context, sess *gatehouse.Session) error {
	if err := s.check("CreateSession", append([]string{sess.IP, sess.UserAgent, sess.ACR}, sess.AMR...)...); err != nil {
		return err
	}
	return s.Store.CreateSession(ctx, sess)
}

func (s *TextStore) PutConsent(ctx context.Context, c *gatehouse.Consent) error {
	if err := s.check("PutConsent", c.Scopes...); err != nil {
		return err
	}
	return s.Store.PutConsent(ctx, c)
}

func (s *TextStore) RevokeConsent(ctx context.Context, tenantID, userID, client string, at time.Time) error {
	if err := s.check("RevokeConsent", tenantID, userID, client); err != nil {
		return err
	}
	return s.Store.RevokeConsent(ctx, tenantID, userID, client, at)
}

func (s *TextStore) CreateJWTCredential(ctx context.Context, c *gatehouse.JWTCredential) error {
	if err := s.check("CreateJWTCredential", append([]string{c.Name}, c.AllowedClientIDs...)...); err != nil {
		return err
	}
	return s.Store.CreateJWTCredential(ctx, c)
}

func (s *TextStore) GetJWTCredential(ctx context.Context, tenantID, id string) (*gatehouse.JWTCredential, error) {
	if err := s.check("GetJWTCredential", tenantID, id); err != nil {
		return nil, err
	}
	return s.Store.GetJWTCredential(ctx, tenantID, id)
}

func (s *TextStore) AppendAuditEvents(ctx context.Context, events []*gatehouse.AuditEvent) error {
	for _, ev := range events {
		values := []string{ev.Actor, ev.Action, ev.Target, ev.Result, ev.IP, ev.UserAgent}
		for k, v := range ev.Details {
			values = append(values, k, v)
		}
		if err := s.check("AppendAuditEvents "+ev.Action, values...); err != nil {
			return err
		}
	}
	return s.Store.AppendAuditEvents(ctx, events)
}
