// Package memory implements the verifykit store interfaces in process
// memory, safe for concurrent use. It is the embedded default and suits a
// single server process; processes behind a load balancer share
// store/sqlstore instead.
//
// Every operation holds one mutex for its whole length, so each is atomic:
// the checks and the writes of Commit, SignIn and DeletePrimary happen with
// no other operation in between. Methods are kept as plain store.Method
// values in maps, copied in and out, so that callers never alias stored
// state.
//
// # Bounds
//
// Session records (attempt counts and consumption) live until their session
// expires and are purged as new ones arrive. Their number is bounded by
// Config.MaxSessions: when the bound is reached and nothing has expired,
// Attempt fails with store.ErrFull rather than forgetting a record early,
// because forgetting a consumed session would allow its replay.
//
// A session is live while the wall-clock reading of Config.Now is before
// its expiry; monotonic clock readings are not used (the expiries
// verify.Service passes, decoded from the auth_session, have none).
package memory

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/verifykit/verifykit/store"
)

// defaultMaxSessions is the default bound on session records.
const defaultMaxSessions = 1 << 20

// Config configures a Store.
type Config struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxSessions bounds the session records held at once. Default
	// 1<<20; range [1, 1<<30].
	MaxSessions int
}

// Store is an in-memory store.Store, also implementing store.Purger and
// the optional store interfaces of the engines.
type Store struct {
	now         func() time.Time
	maxSessions int

	mu           sync.Mutex
	sessions     expiring[session] // by session id
	methods      map[string]store.Method
	bySub        map[string]map[string]struct{} // subject → ids of its methods
	byCred       map[string]string              // credential id → method id
	pushTickets  expiring[store.PushTicket]     // by hash (push.go)
	pushTxs      expiring[store.PushTransaction]
	nonces       expiring[struct{}]    // used nonces, DPoP proof jtis (nonce.go)
	serverNonces map[int64]serverNonce // DPoP server nonces by period
}

// session is what is kept of a session until it expires.
type session struct {
	attempts int
	consumed bool
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Purger = (*Store)(nil)

	_ store.AttemptRefunder = (*Store)(nil)
)

// New returns an empty Store.
func New(cfg Config) (*Store, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = defaultMaxSessions
	}
	if cfg.MaxSessions < 1 || cfg.MaxSessions > 1<<30 {
		return nil, fmt.Errorf("memory: MaxSessions %d out of range [1, %d]", cfg.MaxSessions, 1<<30)
	}
	return &Store{
		now:         cfg.Now,
		maxSessions: cfg.MaxSessions,
		methods:     make(map[string]store.Method),
		bySub:       make(map[string]map[string]struct{}),
		byCred:      make(map[string]string),
	}, nil
}

// session returns the live record of sid, or nil; with create set it
// creates a missing one, failing with store.ErrFull at the bound when no
// record has expired. A session is live while the wall-clock reading of
// the clock is before its expiry. s.mu must be held.
func (s *Store) session(sid string, expires time.Time, create bool) (*session, error) {
	now := s.now().Round(0)
	if r := s.sessions.get(sid, now); r != nil {
		return &r.v, nil
	}
	if !create {
		return nil, nil
	}
	r, err := s.sessions.add(sid, session{}, expires.Round(0), now, s.maxSessions)
	if err != nil {
		return nil, err
	}
	return &r.v, nil
}

// consume marks sid consumed, creating its record if need be. s.mu must be
// held.
func (s *Store) consume(r *session, sid string, expires time.Time) error {
	if r == nil {
		var err error
		if r, err = s.session(sid, expires, true); err != nil {
			return err
		}
	}
	r.consumed = true
	return nil
}

// Purge removes expired session records, push tickets and nonces.
func (s *Store) Purge(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	return s.sessions.purge(now.Round(0)) + s.pushTickets.purge(now) + s.pushTxs.purge(now) + s.nonces.purge(now), nil
}

// Attempt implements store.Store.
func (s *Store) Attempt(ctx context.Context, sid string, expires time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.session(sid, expires, true)
	if err != nil {
		return 0, err
	}
	if r.consumed {
		return 0, store.ErrConsumed
	}
	r.attempts++
	return r.attempts, nil
}

// RefundAttempt implements store.AttemptRefunder.
func (s *Store) RefundAttempt(ctx context.Context, sid string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.session(sid, time.Time{}, false)
	if err != nil {
		return err
	}
	if r != nil && !r.consumed && r.attempts > 0 {
		r.attempts--
	}
	return nil
}

// Commit implements store.Methods.
func (s *Store) Commit(ctx context.Context, c store.Commit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Check everything before changing anything: both writes or neither.
	r, err := s.session(c.SessionID, c.SessionExpires, false)
	if err != nil {
		return err
	}
	if r != nil && r.consumed {
		return store.ErrConsumed
	}
	m := c.Method
	old, exists := s.methods[m.ID]
	switch {
	case c.Replace == 0 && exists:
		return store.ErrExists
	case c.Replace != 0 && (!exists || old.Subject != m.Subject):
		return store.ErrNotFound
	case c.Replace != 0 && old.Version != c.Replace:
		return store.ErrConflict
	}
	if len(m.CredentialID) > 0 {
		if owner, taken := s.byCred[string(m.CredentialID)]; taken && owner != m.ID {
			return store.ErrDuplicateCredential
		}
	}
	if c.Replace == 0 && c.MaxMethods > 0 && len(s.bySub[m.Subject]) >= c.MaxMethods {
		return store.ErrLimit
	}
	if err := s.consume(r, c.SessionID, c.SessionExpires); err != nil {
		return err
	}
	if exists && len(old.CredentialID) > 0 {
		delete(s.byCred, string(old.CredentialID))
	}
	if !exists { // a replacement keeps its id and subject
		ids := s.bySub[m.Subject]
		if ids == nil {
			ids = make(map[string]struct{})
			s.bySub[m.Subject] = ids
		}
		ids[m.ID] = struct{}{}
	}
	m.Version = c.Replace + 1
	s.methods[m.ID] = clone(m)
	if len(m.CredentialID) > 0 {
		s.byCred[string(m.CredentialID)] = m.ID
	}
	return nil
}

// Get implements store.Methods.
func (s *Store) Get(ctx context.Context, subject, id string) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.methods[id]
	if !ok || m.Subject != subject {
		return store.Method{}, store.ErrNotFound
	}
	return clone(m), nil
}

// List implements store.Methods.
func (s *Store) List(ctx context.Context, subject string) ([]store.Method, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var ms []store.Method // nil when the subject has none
	if ids := s.bySub[subject]; len(ids) > 0 {
		ms = make([]store.Method, 0, len(ids))
		for id := range ids {
			ms = append(ms, clone(s.methods[id]))
		}
	}
	s.mu.Unlock()
	slices.SortFunc(ms, func(a, b store.Method) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ms, nil
}

// ByCredentialID implements store.Methods.
func (s *Store) ByCredentialID(ctx context.Context, credentialID []byte) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byCred[string(credentialID)]
	if !ok || len(credentialID) == 0 {
		return store.Method{}, store.ErrNotFound
	}
	return clone(s.methods[id]), nil
}

// Update implements store.Methods.
func (s *Store) Update(ctx context.Context, m store.Method) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.methods[m.ID]
	if !ok || old.Subject != m.Subject {
		return store.Method{}, store.ErrNotFound
	}
	if old.Version != m.Version {
		return store.Method{}, store.ErrConflict
	}
	old.Attrs = bytes.Clone(m.Attrs)
	old.Secret = bytes.Clone(m.Secret)
	old.Version++
	s.methods[m.ID] = old
	return clone(old), nil
}

// SignIn implements store.Methods.
func (s *Store) SignIn(ctx context.Context, in store.SignIn) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Check everything before changing anything: both writes or neither.
	r, err := s.session(in.SessionID, in.SessionExpires, false)
	if err != nil {
		return store.Method{}, err
	}
	if r != nil && r.consumed {
		return store.Method{}, store.ErrConsumed
	}
	m, ok := s.methods[in.MethodID]
	switch {
	case !ok || m.Subject != in.Subject:
		return store.Method{}, store.ErrNotFound
	case in.Version != 0 && m.Version != in.Version:
		return store.Method{}, store.ErrConflict
	case in.Counter > 0 && in.Counter <= m.Counter:
		return store.Method{}, store.ErrStale
	}
	if err := s.consume(r, in.SessionID, in.SessionExpires); err != nil {
		return store.Method{}, err
	}
	if in.Attrs != nil {
		m.Attrs = bytes.Clone(in.Attrs)
	}
	if in.Secret != nil {
		m.Secret = bytes.Clone(in.Secret)
	}
	if in.Counter > 0 {
		m.Counter = in.Counter
	}
	m.Version++
	s.methods[m.ID] = m
	return clone(m), nil
}

// Delete implements store.Methods.
func (s *Store) Delete(ctx context.Context, subject, id string) error {
	return s.delete(ctx, subject, id, false, nil)
}

// DeletePrimary implements store.Methods.
func (s *Store) DeletePrimary(ctx context.Context, subject, id string, primaries []string) error {
	return s.delete(ctx, subject, id, true, primaries)
}

// delete removes the method id of subject; when guard is set, only if
// another method of subject has an id in primaries.
func (s *Store) delete(ctx context.Context, subject, id string, guard bool, primaries []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.methods[id]
	if !ok || m.Subject != subject {
		return store.ErrNotFound
	}
	ids := s.bySub[subject]
	if guard && !slices.ContainsFunc(primaries, func(other string) bool {
		_, mine := ids[other]
		return other != id && mine
	}) {
		return store.ErrLastPrimary
	}
	delete(s.methods, id)
	delete(ids, id)
	if len(ids) == 0 {
		delete(s.bySub, subject)
	}
	if len(m.CredentialID) > 0 {
		delete(s.byCred, string(m.CredentialID))
	}
	return nil
}

// AdvanceCounter implements store.Methods.
func (s *Store) AdvanceCounter(ctx context.Context, subject, id string, n int64) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.methods[id]
	if !ok || m.Subject != subject {
		return false, store.ErrNotFound
	}
	if n <= m.Counter {
		return false, nil
	}
	m.Counter = n
	s.methods[id] = m
	return true, nil
}

// clone copies m's byte slices, so that callers cannot alias stored state.
func clone(m store.Method) store.Method {
	m.Attrs = bytes.Clone(m.Attrs)
	m.Secret = bytes.Clone(m.Secret)
	m.CredentialID = bytes.Clone(m.CredentialID)
	return m
}
