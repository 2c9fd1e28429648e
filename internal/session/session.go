// Package session keeps the web pages' sign-in sessions on the server: the
// browser holds only a random 256-bit id in a cookie; who the session is,
// how it was established and the API token the pages act with stay here.
//
// Sessions live in memory, bounded in number: they survive nothing more
// than the process (a restart signs everyone out), and replicas behind a
// load balancer need sticky sessions.
package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync"
	"time"
)

// Method is how a session's subject was established.
type Method string

// The ways to sign in.
const (
	// MethodOIDC: the council's OpenID Connect provider (authorization
	// code with PKCE).
	MethodOIDC Method = "oidc"
	// MethodEmailCode: a one-time code sent to an email address.
	MethodEmailCode Method = "email_code"
	// MethodSMSCode: a one-time code sent by SMS to a phone number.
	MethodSMSCode Method = "sms_code"
	// MethodBearer: an API bearer token pasted by an operator (only when
	// the installation allows it; never offered to people).
	MethodBearer Method = "bearer"
)

// Defaults of Options.
const (
	DefaultIdle     = 30 * time.Minute
	DefaultAbsolute = 12 * time.Hour
	DefaultMax      = 100_000
)

// Session is one signed-in browser.
type Session struct {
	// ID is the cookie's value: 256 random bits, base64url.
	ID string
	// Subject is the account: the provider's "sub", or "email:…" /
	// "phone:…" (a keyed hash of the verified address, never the address).
	Subject string
	Method  Method
	// Role and Council are what the subject acts as ("citizen" for any
	// account that was granted nothing else).
	Role    string
	Council string
	// Token is the API bearer token the pages call the API with on the
	// session's behalf; it never reaches the browser.
	Token string
	// CSRF is the seed of the session's form tokens.
	CSRF string
	// Created and Seen bound the session: it ends Idle after Seen or
	// Absolute after Created, whichever comes first.
	Created, Seen time.Time
	// NotAfter, if set, ends it earlier (when a pasted token expires).
	NotAfter time.Time
}

// expires is when s ends if it is not used again.
func (s Session) expires(o Options) time.Time {
	end := s.Created.Add(o.Absolute)
	if idle := s.Seen.Add(o.Idle); idle.Before(end) {
		end = idle
	}
	if !s.NotAfter.IsZero() && s.NotAfter.Before(end) {
		end = s.NotAfter
	}
	return end
}

// Options bound the sessions of a Store.
type Options struct {
	// Idle ends a session not used for this long (default 30 minutes).
	Idle time.Duration
	// Absolute ends every session this long after sign-in (default 12 h).
	Absolute time.Duration
	// Max is how many sessions are kept; when full, expired ones are
	// dropped, then the one closest to its end (default 100,000).
	Max int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Store holds the sessions. It is safe for concurrent use; its zero value
// is not: use New.
type Store struct {
	o  Options
	mu sync.Mutex
	// byKey is keyed by the SHA-256 of the id, so that the map's lookup
	// time says nothing about the ids it holds.
	byKey map[[32]byte]*Session
}

// ErrNoSession: the id names no session in force.
var ErrNoSession = errors.New("session: no such session")

// New returns an empty store.
func New(o Options) *Store {
	if o.Idle <= 0 {
		o.Idle = DefaultIdle
	}
	if o.Absolute <= 0 {
		o.Absolute = DefaultAbsolute
	}
	if o.Max <= 0 {
		o.Max = DefaultMax
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{o: o, byKey: map[[32]byte]*Session{}}
}

// Absolute is the longest a session lives.
func (st *Store) Absolute() time.Duration { return st.o.Absolute }

// Idle is how long a session lives unused.
func (st *Store) Idle() time.Duration { return st.o.Idle }

// NewID returns 256 random bits, base64url: a session id, or any other
// secret the pages hand out (state, nonce, CSRF seed).
func NewID() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func key(id string) [32]byte { return sha256.Sum256([]byte(id)) }

// Create stores a new session for s's subject under a fresh id (whatever
// s.ID said: an id is never chosen by the browser, so a session cannot be
// fixed) and returns it.
func (st *Store) Create(s Session) Session {
	now := st.o.Now()
	s.ID, s.CSRF = NewID(), NewID()
	s.Created, s.Seen = now, now
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.byKey) >= st.o.Max {
		st.evictLocked(now)
	}
	c := s
	st.byKey[key(s.ID)] = &c
	return s
}

// evictLocked drops the expired sessions, and if none was, the one that
// would end first.
func (st *Store) evictLocked(now time.Time) {
	var first [32]byte
	var firstEnd time.Time
	dropped := false
	for k, s := range st.byKey {
		end := s.expires(st.o)
		if !now.Before(end) {
			delete(st.byKey, k)
			dropped = true
			continue
		}
		if firstEnd.IsZero() || end.Before(firstEnd) {
			first, firstEnd = k, end
		}
	}
	if !dropped && !firstEnd.IsZero() {
		delete(st.byKey, first)
	}
}

// Get returns the session of id if it is in force, and marks it used.
func (st *Store) Get(id string) (Session, error) {
	if id == "" {
		return Session{}, ErrNoSession
	}
	now := st.o.Now()
	k := key(id)
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.byKey[k]
	if !ok {
		return Session{}, ErrNoSession
	}
	if !now.Before(s.expires(st.o)) {
		delete(st.byKey, k)
		return Session{}, ErrNoSession
	}
	s.Seen = now
	return *s, nil
}

// Delete ends the session of id (signing out); unknown ids are ignored.
func (st *Store) Delete(id string) {
	st.mu.Lock()
	delete(st.byKey, key(id))
	st.mu.Unlock()
}

// Len is the number of sessions held (some may have expired unseen).
func (st *Store) Len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.byKey)
}
