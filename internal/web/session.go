package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"

	"github.com/gosqlguard/gosqlguard/internal/auth"
	"github.com/gosqlguard/gosqlguard/internal/clock"
)

// Sessions are kept in memory: a restart logs everyone out, which is
// acceptable for a daemon's admin page and keeps tokens out of any file.
const (
	// sessionCookie holds the session's random ID.
	sessionCookie = "gsg_session"
	// sessionTTL is how long a session lives after its last request.
	sessionTTL = 12 * time.Hour
	// maxSessions bounds memory; past it the session closest to expiry is
	// dropped (an attacker cannot create sessions without a valid token,
	// except in unauthenticated mode, which serves localhost only).
	maxSessions = 10000
)

// session is one logged-in browser. principal and csrf never change after
// creation; expires and flash are guarded by the store's mutex.
type session struct {
	principal auth.Principal
	csrf      string
	expires   time.Time
	flash     *flash
}

// flash is a one-shot message shown on the next page a session loads, after
// a POST redirected there.
type flash struct {
	Kind      string // ok | error | info
	Message   string
	RequestID string
	Verify    *verifyView // results of a verify run, shown on the backup page
}

// sessionStore maps the SHA-256 of session IDs to sessions. Hashing the key
// keeps the lookup's timing independent of the secret ID.
type sessionStore struct {
	mu    sync.Mutex
	m     map[[sha256.Size]byte]*session
	clock clock.Clock
}

func newSessionStore(clk clock.Clock) *sessionStore {
	return &sessionStore{m: map[[sha256.Size]byte]*session{}, clock: clk}
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails on Linux
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func sessionKey(id string) [sha256.Size]byte { return sha256.Sum256([]byte(id)) }

// create starts a session for p and returns its ID (the cookie value).
func (s *sessionStore) create(p auth.Principal) (string, *session) {
	id := randomToken()
	sess := &session{principal: p, csrf: randomToken()}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	sess.expires = now.Add(sessionTTL)
	if len(s.m) >= maxSessions {
		s.sweepLocked(now)
	}
	if len(s.m) >= maxSessions {
		var oldest [sha256.Size]byte
		var first time.Time
		for k, v := range s.m {
			if first.IsZero() || v.expires.Before(first) {
				oldest, first = k, v.expires
			}
		}
		delete(s.m, oldest)
	}
	s.m[sessionKey(id)] = sess
	return id, sess
}

// get returns the live session with ID id and extends its life, or nil.
func (s *sessionStore) get(id string) *session {
	if id == "" {
		return nil
	}
	k := sessionKey(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.m[k]
	if sess == nil {
		return nil
	}
	now := s.clock.Now()
	if !now.Before(sess.expires) {
		delete(s.m, k)
		return nil
	}
	sess.expires = now.Add(sessionTTL)
	return sess
}

// delete ends the session with ID id.
func (s *sessionStore) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, sessionKey(id))
}

func (s *sessionStore) sweepLocked(now time.Time) {
	for k, v := range s.m {
		if !now.Before(v.expires) {
			delete(s.m, k)
		}
	}
}

// setFlash stores a message for the session's next page.
func (s *sessionStore) setFlash(sess *session, f *flash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess.flash = f
}

// takeFlash returns the session's message and forgets it.
func (s *sessionStore) takeFlash(sess *session) *flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := sess.flash
	sess.flash = nil
	return f
}

// validCSRF compares a form's token with the session's in constant time.
func (sess *session) validCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(sess.csrf)) == 1
}
