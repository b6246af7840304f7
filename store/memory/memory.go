// Package memory implements the verifykit store interfaces in process
// memory, safe for concurrent use. It is the embedded default and suits a
// single server process; processes behind a load balancer share
// store/sqlstore instead.
//
// Every operation holds one mutex for its whole length, so each is atomic:
// the checks and the writes of Commit, SignIn and DeletePrimary happen with
// no other operation in between. Records are plain values in maps, copied
// in and out, so that callers never alias stored state.
//
// # Bounds
//
// Session records (attempt counts and consumption), push tickets, push
// transactions and used nonces live until they expire, each kind bounded
// by Config.MaxSessions: when the bound is reached and nothing has expired,
// a new record fails with store.ErrFull rather than forgetting one early,
// because forgetting a consumed session or a used nonce would allow its
// replay. Expired records are dropped as new ones arrive, or by Purge.
//
// A record is live while the wall-clock reading of Config.Now is before
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
	// MaxSessions bounds the session records held at once, and likewise
	// each other kind of expiring record. Default 1<<20; range [1, 1<<30].
	MaxSessions int
}

// Store is an in-memory store.Store, also implementing store.Purger,
// store.AttemptRefunder and the optional store interfaces of the engines.
type Store struct {
	clock func() time.Time

	mu           sync.Mutex
	sessions     expiring[session]       // by session id
	methods      map[string]store.Method // by id
	bySub        map[string][]string     // subject → ids of its methods
	byCred       map[string]string       // credential id (never empty) → method id
	pushTickets  expiring[store.PushTicket]
	pushTxs      expiring[store.PushTransaction]
	nonces       expiring[struct{}] // used nonces, DPoP proof jtis
	serverNonces expiring[[]byte]   // DPoP server nonces by period
}

// session is what is kept of a session until it expires.
type session struct {
	attempts int
	consumed bool
}

var (
	_ store.Store           = (*Store)(nil)
	_ store.Purger          = (*Store)(nil)
	_ store.AttemptRefunder = (*Store)(nil)
	_ store.PushDevices     = (*Store)(nil)
	_ store.Nonces          = (*Store)(nil)
	_ store.ServerNonces    = (*Store)(nil)
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
		clock:        cfg.Now,
		sessions:     expiring[session]{max: cfg.MaxSessions},
		methods:      make(map[string]store.Method),
		bySub:        make(map[string][]string),
		byCred:       make(map[string]string),
		pushTickets:  expiring[store.PushTicket]{max: cfg.MaxSessions},
		pushTxs:      expiring[store.PushTransaction]{max: cfg.MaxSessions},
		nonces:       expiring[struct{}]{max: cfg.MaxSessions},
		serverNonces: expiring[[]byte]{max: maxServerNonces},
	}, nil
}

// now is the wall-clock reading of the clock.
func (s *Store) now() time.Time { return s.clock().Round(0) }

// consumed reports whether sid is live and consumed. s.mu must be held.
func (s *Store) consumed(sid string) bool {
	r := s.sessions.get(sid, s.now())
	return r != nil && r.consumed
}

// consume marks sid consumed, creating its record if need be. s.mu must be
// held.
func (s *Store) consume(sid string, expires time.Time) error {
	r, _, err := s.sessions.getOrAdd(sid, session{}, expires, s.now())
	if err == nil {
		r.consumed = true
	}
	return err
}

// method returns the method id of subject, or store.ErrNotFound. s.mu must
// be held.
func (s *Store) method(subject, id string) (store.Method, error) {
	if m, ok := s.methods[id]; ok && m.Subject == subject {
		return m, nil
	}
	return store.Method{}, store.ErrNotFound
}

// Purge implements store.Purger: it removes every expired record.
func (s *Store) Purge(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	return s.sessions.purge(now) + s.pushTickets.purge(now) + s.pushTxs.purge(now) +
		s.nonces.purge(now) + s.serverNonces.purge(now), nil
}

// Attempt implements store.Store.
func (s *Store) Attempt(ctx context.Context, sid string, expires time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, _, err := s.sessions.getOrAdd(sid, session{}, expires, s.now())
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
	if r := s.sessions.get(sid, s.now()); r != nil && !r.consumed && r.attempts > 0 {
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
	if s.consumed(c.SessionID) {
		return store.ErrConsumed
	}
	m := c.Method
	old, exists := s.methods[m.ID]
	owner, taken := s.byCred[string(m.CredentialID)]
	switch {
	case c.Replace == 0 && exists:
		return store.ErrExists
	case c.Replace != 0 && (!exists || old.Subject != m.Subject):
		return store.ErrNotFound
	case c.Replace != 0 && old.Version != c.Replace:
		return store.ErrConflict
	case taken && owner != m.ID:
		return store.ErrDuplicateCredential
	case c.Replace == 0 && c.MaxMethods > 0 && len(s.bySub[m.Subject]) >= c.MaxMethods:
		return store.ErrLimit
	}
	if err := s.consume(c.SessionID, c.SessionExpires); err != nil {
		return err
	}
	if exists { // a replacement keeps its id and subject
		delete(s.byCred, string(old.CredentialID))
	} else {
		s.bySub[m.Subject] = append(s.bySub[m.Subject], m.ID)
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
	m, err := s.method(subject, id)
	return clone(m), err
}

// List implements store.Methods.
func (s *Store) List(ctx context.Context, subject string) ([]store.Method, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var ms []store.Method // nil when the subject has none
	for _, id := range s.bySub[subject] {
		ms = append(ms, clone(s.methods[id]))
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
	if !ok {
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
	old, err := s.method(m.Subject, m.ID)
	if err != nil {
		return store.Method{}, err
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
	if s.consumed(in.SessionID) {
		return store.Method{}, store.ErrConsumed
	}
	m, err := s.method(in.Subject, in.MethodID)
	switch {
	case err != nil:
		return store.Method{}, err
	case in.Version != 0 && m.Version != in.Version:
		return store.Method{}, store.ErrConflict
	case in.Counter > 0 && in.Counter <= m.Counter:
		return store.Method{}, store.ErrStale
	}
	if err := s.consume(in.SessionID, in.SessionExpires); err != nil {
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
	m, err := s.method(subject, id)
	if err != nil {
		return err
	}
	ids := s.bySub[subject]
	if guard && !slices.ContainsFunc(primaries, func(other string) bool {
		return other != id && slices.Contains(ids, other)
	}) {
		return store.ErrLastPrimary
	}
	delete(s.methods, id)
	delete(s.byCred, string(m.CredentialID))
	i := slices.Index(ids, id)
	if ids = slices.Delete(ids, i, i+1); len(ids) == 0 {
		delete(s.bySub, subject)
	} else {
		s.bySub[subject] = ids
	}
	return nil
}

// clone copies m's byte slices, so that callers cannot alias stored state.
func clone(m store.Method) store.Method {
	m.Attrs = bytes.Clone(m.Attrs)
	m.Secret = bytes.Clone(m.Secret)
	m.CredentialID = bytes.Clone(m.CredentialID)
	return m
}
