package login

import (
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/internal/secret"
	"github.com/gatehouse-id/gatehouse/token"
)

// Browser sessions. The cookie holds a random handle (token.NewHandle);
// the store keeps its SHA-256 and the session's facts: user, auth_time,
// amr, sid. A session ends at the first of its absolute lifetime and its
// idle timeout; both are folded into the row's ExpiresAt, which every use
// moves forward (at most once per sessionTouchEvery) but never past the
// absolute end.
const (
	// sessionCookieSecure is the cookie's name on https issuers: the
	// __Host- prefix makes browsers insist on Secure, Path=/ and no
	// Domain, so no other host or path can plant or shadow it.
	sessionCookieSecure = "__Host-gatehouse_session"
	// sessionCookieDev is its name on plain-http loopback issuers (local
	// development), where a Secure cookie would not be sent.
	sessionCookieDev = "gatehouse_session"

	sessionLifetime   = 14 * 24 * time.Hour
	sessionIdle       = 24 * time.Hour
	sessionTouchEvery = 5 * time.Minute
)

// amrPassword is the amr value of a password sign-in (RFC 8176 §2).
const amrPassword = "pwd"

// secureIssuer reports whether the issuer is served over https.
func secureIssuer(iss gatehouse.Issuer) bool { return strings.HasPrefix(iss.URL, "https://") }

func cookieName(iss gatehouse.Issuer) string {
	if secureIssuer(iss) {
		return sessionCookieSecure
	}
	return sessionCookieDev
}

// sessionCookie returns the browser's session handle, "" when it sent none
// or one that cannot be ours (a handle is 43 characters of base64url).
func sessionCookie(r *http.Request, iss gatehouse.Issuer) string {
	c, err := r.Cookie(cookieName(iss))
	if err != nil || len(c.Value) != 43 {
		return ""
	}
	for i := 0; i < len(c.Value); i++ {
		b := c.Value[i]
		if !(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
			return ""
		}
	}
	return c.Value
}

// sessionExpiry is when a session used at now ends: after the idle
// timeout, but never after its absolute lifetime.
func sessionExpiry(created, now time.Time) time.Time {
	end := created.Add(sessionLifetime)
	if idle := now.Add(sessionIdle); idle.Before(end) {
		return idle
	}
	return end
}

// currentSession returns the browser's active session, or nil when it has
// none (no cookie, unknown, revoked, expired or idle too long). It records
// the use, at most once per sessionTouchEvery. Only a store failure is an
// error.
func (l *Login) currentSession(r *http.Request, iss gatehouse.Issuer) (*gatehouse.Session, error) {
	v := sessionCookie(r, iss)
	if v == "" {
		return nil, nil
	}
	now := l.clock()
	s, err := l.store.GetSessionByToken(r.Context(), token.HashHandle(v), now)
	if gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !s.Active(now) {
		return nil, nil
	}
	if now.Sub(s.LastSeenAt) >= sessionTouchEvery {
		exp := sessionExpiry(s.CreatedAt, now)
		if err := l.store.TouchSession(r.Context(), s.TenantID, s.ID, now, exp); err != nil {
			// The session stays usable until its recorded expiry; a
			// missed touch only shortens it.
			l.log.WarnContext(r.Context(), "touch session", "err", err)
		} else {
			s.LastSeenAt, s.ExpiresAt = now, exp
		}
	}
	return s, nil
}

// startSession signs the browser in as user: it ends the session the
// browser had (so a session planted before sign-in is never promoted:
// no session fixation), creates a new one with a new handle and sets the
// cookie.
func (l *Login) startSession(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, user *gatehouse.User, amr []string) (*gatehouse.Session, error) {
	now := l.clock()
	if v := sessionCookie(r, iss); v != "" {
		old, err := l.store.GetSessionByToken(r.Context(), token.HashHandle(v), now)
		if err == nil {
			if err := l.store.RevokeSession(r.Context(), old.TenantID, old.ID, now); err != nil {
				return nil, err
			}
		} else if !gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
			return nil, err
		}
	}
	value, hash := token.NewHandle()
	ip := ""
	if a := l.remoteIP(r); a.IsValid() {
		ip = a.String()
	}
	s := &gatehouse.Session{
		ID:         secret.NewID(),
		TokenHash:  hash,
		TenantID:   user.TenantID,
		UserID:     user.ID,
		AuthTime:   now,
		AMR:        amr,
		IP:         ip,
		UserAgent:  userAgent(r),
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  sessionExpiry(now, now),
	}
	if err := l.store.CreateSession(r.Context(), s); err != nil {
		return nil, err
	}
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName(iss),
		Value:    value,
		Path:     "/",
		Expires:  now.Add(sessionLifetime),
		Secure:   secureIssuer(iss),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	return s, nil
}

// clearSessionCookie tells the browser to forget its session handle.
func clearSessionCookie(w http.ResponseWriter, iss gatehouse.Issuer) {
	http.SetCookie(w, &http.Cookie{
		Name:     cookieName(iss),
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		Secure:   secureIssuer(iss),
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// endSession revokes the session and clears the cookie.
func (l *Login) endSession(w http.ResponseWriter, r *http.Request, iss gatehouse.Issuer, s *gatehouse.Session) error {
	if err := l.store.RevokeSession(r.Context(), s.TenantID, s.ID, l.clock()); err != nil &&
		!gatehouse.IsCode(err, gatehouse.ENOTFOUND) {
		return err
	}
	clearSessionCookie(w, iss)
	return nil
}
