// Package memory implements the verifykit store interfaces in process
// memory, safe for concurrent use. It is the embedded default and suits a
// single server process; processes behind a load balancer share
// store/sqlstore instead.
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
// its expiry, to the nanosecond; monotonic clock readings are not used
// (the expiries verify.Service passes, decoded from the auth_session, have
// none).
//
// # Memory
//
// What the store retains is laid out for the garbage collector, whose
// marking work grows with the pointers and objects it must visit: a
// session record holds no pointer besides its map key, and its entry in
// the expiry heap is a value; a method's variable-length fields are packed
// into one pointer-free buffer, which the collector marks without scanning.
// BenchmarkGCLiveHeap measures it.
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

// DefaultMaxSessions is the default bound on session records.
const DefaultMaxSessions = 1 << 20

// Config configures a Store.
type Config struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxSessions bounds the session records held at once. Default
	// DefaultMaxSessions; range [1, 1<<30].
	MaxSessions int
}

// Store is an in-memory store.Store, also implementing store.Purger and
// the optional store interfaces of the engines.
type Store struct {
	now         func() time.Time
	maxSessions int

	mu       sync.Mutex
	sessions map[string]sessionRecord // by session id
	// expiry has an entry for each record of sessions, and stale entries
	// of records since dropped or replaced (record.go).
	expiry  expiryHeap
	methods map[string]methodRecord // by method id
	// createdAt holds the CreatedAt of the methods whose methodRecord
	// cannot rebuild it exactly (record.go), by method id.
	createdAt map[string]time.Time
	types     []string            // method types interned for methodRecord.typ
	bySub     map[string][]string // subject → ids of its methods, for List
	byCred    map[string]string   // credential id → method id
	push      pushTickets         // push-notification tickets (push.go)
	nonces    nonces              // used nonces, DPoP proof jtis (nonce.go)
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
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.MaxSessions < 1 || cfg.MaxSessions > 1<<30 {
		return nil, fmt.Errorf("memory: MaxSessions %d out of range [1, %d]", cfg.MaxSessions, 1<<30)
	}
	return &Store{
		now:         cfg.Now,
		maxSessions: cfg.MaxSessions,
		sessions:    make(map[string]sessionRecord),
		methods:     make(map[string]methodRecord),
		createdAt:   make(map[string]time.Time),
		bySub:       make(map[string][]string),
		byCred:      make(map[string]string),
	}, nil
}

// session returns the live record of sid, creating it when create is set;
// ok reports whether there is one. A caller that changes the record writes
// it back to s.sessions. s.mu must be held.
func (s *Store) session(sid string, expires time.Time, create bool) (r sessionRecord, ok bool, err error) {
	now := wallOf(s.now())
	if r, ok := s.sessions[sid]; ok && now.before(r.expires) {
		return r, true, nil
	} else if ok {
		delete(s.sessions, sid) // its expiry entry is stale now
	}
	if !create {
		return sessionRecord{}, false, nil
	}
	if len(s.sessions) >= s.maxSessions {
		s.purge(now)
		if len(s.sessions) >= s.maxSessions {
			return sessionRecord{}, false, store.ErrFull
		}
	}
	r = sessionRecord{expires: wallOf(expires)}
	s.sessions[sid] = r
	s.expiry.push(expiryEntry{expires: r.expires, sid: sid})
	s.compactExpiry()
	return r, true, nil
}

// purge drops the session records expired at now and reports how many,
// skipping stale expiry entries. s.mu must be held.
func (s *Store) purge(now wall) int {
	n := 0
	for len(s.expiry) > 0 && !now.before(s.expiry[0].expires) {
		e := s.expiry.pop()
		if r, ok := s.sessions[e.sid]; ok && r.expires == e.expires {
			delete(s.sessions, e.sid)
			n++
		}
	}
	return n
}

// compactExpiry rebuilds the expiry heap from the session records when
// stale entries make up more than half of it, so that they cannot grow
// without bound; session calls it after each push, so the rebuild's cost
// is spread over at least as many pushes as it keeps entries. s.mu must
// be held.
func (s *Store) compactExpiry() {
	const slack = 64 // no rebuild while the heap is small
	if len(s.expiry) <= 2*len(s.sessions)+slack {
		return
	}
	h := s.expiry[:0]
	for sid, r := range s.sessions {
		h = append(h, expiryEntry{expires: r.expires, sid: sid})
	}
	clear(s.expiry[len(h):]) // release the stale session ids
	h.init()
	s.expiry = h
}

// Purge removes expired session records.
func (s *Store) Purge(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	return s.purge(wallOf(now)) + s.purgePush(now) + s.purgeNonces(now), nil
}

// Attempt implements store.Sessions.
func (s *Store) Attempt(ctx context.Context, sid string, expires time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, _, err := s.session(sid, expires, true)
	if err != nil {
		return 0, err
	}
	if r.consumed {
		return 0, store.ErrConsumed
	}
	r.attempts++
	s.sessions[sid] = r
	return r.attempts, nil
}

// RefundAttempt implements store.AttemptRefunder.
func (s *Store) RefundAttempt(ctx context.Context, sid string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok, err := s.session(sid, time.Time{}, false)
	if err != nil {
		return err
	}
	if ok && !r.consumed && r.attempts > 0 {
		r.attempts--
		s.sessions[sid] = r
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
	r, ok, err := s.session(c.SessionID, c.SessionExpires, false)
	if err != nil {
		return err
	}
	if ok && r.consumed {
		return store.ErrConsumed
	}
	m := c.Method
	old, exists := s.methods[m.ID]
	switch {
	case c.Replace == 0 && exists:
		return store.ErrExists
	case c.Replace != 0 && !exists, c.Replace != 0 && !old.ownedBy(m.Subject):
		return store.ErrNotFound
	case c.Replace != 0 && old.version != c.Replace:
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
	if !ok {
		if r, _, err = s.session(c.SessionID, c.SessionExpires, true); err != nil {
			return err
		}
	}
	r.consumed = true
	s.sessions[c.SessionID] = r
	if exists { // a replacement keeps its id and subject
		m.ID = s.storedID(m.Subject, m.ID)
		if cred := old.fields().credentialID; len(cred) > 0 {
			delete(s.byCred, string(cred))
		}
	} else {
		s.bySub[m.Subject] = append(s.bySub[m.Subject], m.ID)
	}
	m.Version = c.Replace + 1
	s.put(m)
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
	r, ok := s.methods[id]
	if !ok || !r.ownedBy(subject) {
		return store.Method{}, store.ErrNotFound
	}
	return s.method(id, subject, r), nil
}

// List implements store.Methods.
func (s *Store) List(ctx context.Context, subject string) ([]store.Method, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var ms []store.Method // nil when the subject has none, as before
	if ids := s.bySub[subject]; len(ids) > 0 {
		ms = make([]store.Method, 0, len(ids))
		for _, id := range ids {
			ms = append(ms, s.method(id, subject, s.methods[id]))
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
	r := s.methods[id]
	return s.method(id, string(r.fields().subject), r), nil
}

// Update implements store.Methods.
func (s *Store) Update(ctx context.Context, m store.Method) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.methods[m.ID]
	if !ok || !r.ownedBy(m.Subject) {
		return store.Method{}, store.ErrNotFound
	}
	if r.version != m.Version {
		return store.Method{}, store.ErrConflict
	}
	id := s.storedID(m.Subject, m.ID)
	up := s.method(id, m.Subject, r)
	up.Attrs, up.Secret = m.Attrs, m.Secret // put copies them
	up.Version++
	s.put(up)
	return s.method(id, m.Subject, s.methods[id]), nil
}

// Delete implements store.Methods.
func (s *Store) Delete(ctx context.Context, subject, id string) error {
	return s.delete(ctx, subject, id, nil)
}

// DeletePrimary implements store.Methods.
func (s *Store) DeletePrimary(ctx context.Context, subject, id string, primaries []string) error {
	if primaries == nil {
		primaries = []string{} // guarded: nil means no guard to delete
	}
	return s.delete(ctx, subject, id, primaries)
}

// delete removes the method id of subject; when primaries is not nil, only
// if another method of subject has an id in primaries.
func (s *Store) delete(ctx context.Context, subject, id string, primaries []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.methods[id]
	if !ok || !r.ownedBy(subject) {
		return store.ErrNotFound
	}
	ids := s.bySub[subject]
	if primaries != nil && !slices.ContainsFunc(ids, func(other string) bool {
		return other != id && slices.Contains(primaries, other)
	}) {
		return store.ErrLastPrimary
	}
	delete(s.methods, id)
	delete(s.createdAt, id)
	if i := slices.Index(ids, id); i >= 0 { // List does not depend on the order
		last := len(ids) - 1
		ids[i], ids[last] = ids[last], ""
		if last == 0 {
			delete(s.bySub, subject)
		} else {
			s.bySub[subject] = ids[:last]
		}
	}
	if cred := r.fields().credentialID; len(cred) > 0 {
		delete(s.byCred, string(cred))
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
	r, ok := s.methods[id]
	if !ok || !r.ownedBy(subject) {
		return false, store.ErrNotFound
	}
	if n <= r.counter {
		return false, nil
	}
	r.counter = n
	s.methods[s.storedID(subject, id)] = r
	return true, nil
}

// SignIn implements store.Methods.
func (s *Store) SignIn(ctx context.Context, in store.SignIn) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Check everything before changing anything: both writes or neither.
	r, ok, err := s.session(in.SessionID, in.SessionExpires, false)
	if err != nil {
		return store.Method{}, err
	}
	if ok && r.consumed {
		return store.Method{}, store.ErrConsumed
	}
	old, exists := s.methods[in.MethodID]
	switch {
	case !exists || !old.ownedBy(in.Subject):
		return store.Method{}, store.ErrNotFound
	case in.Version != 0 && old.version != in.Version:
		return store.Method{}, store.ErrConflict
	case in.Counter > 0 && in.Counter <= old.counter:
		return store.Method{}, store.ErrStale
	}
	if !ok {
		if r, _, err = s.session(in.SessionID, in.SessionExpires, true); err != nil {
			return store.Method{}, err
		}
	}
	r.consumed = true
	s.sessions[in.SessionID] = r
	id := s.storedID(in.Subject, in.MethodID)
	m := s.method(id, in.Subject, old)
	if in.Attrs != nil {
		m.Attrs = in.Attrs // put copies it
	}
	if in.Secret != nil {
		m.Secret = in.Secret
	}
	if in.Counter > 0 {
		m.Counter = in.Counter
	}
	m.Version++
	s.put(m)
	return s.method(id, in.Subject, s.methods[id]), nil
}

// storedID returns the copy of id, a method of subject, that s.bySub
// holds. Writing an existing key of a map replaces the key's string with
// the one written, so writes to s.methods use it to keep one copy of each
// id. s.mu must be held.
func (s *Store) storedID(subject, id string) string {
	if i := slices.Index(s.bySub[subject], id); i >= 0 {
		return s.bySub[subject][i]
	}
	return id
}

// put stores m as a methodRecord under m.ID, copying its byte slices.
// s.mu must be held.
func (s *Store) put(m store.Method) {
	r := methodRecord{data: pack(m), counter: m.Counter, version: m.Version, typ: s.internType(m.Type)}
	r.created, r.createdIn = encodeCreated(m.CreatedAt)
	if r.createdIn == createdExact {
		s.createdAt[m.ID] = m.CreatedAt
	} else {
		delete(s.createdAt, m.ID)
	}
	s.methods[m.ID] = r
}

// method returns r, the method id of subject, as a store.Method whose
// byte slices are copies, so that callers cannot alias stored state.
// s.mu must be held.
func (s *Store) method(id, subject string, r methodRecord) store.Method {
	f := r.fields()
	m := store.Method{
		ID: id, Subject: subject,
		Attrs: bytes.Clone(f.attrs), Secret: bytes.Clone(f.secret), CredentialID: bytes.Clone(f.credentialID),
		Counter: r.counter, Version: r.version,
	}
	if r.typ != 0 {
		m.Type = s.types[r.typ-1]
	} else {
		m.Type = string(f.typ)
	}
	switch t := time.Unix(r.created.sec, int64(r.created.nsec)); r.createdIn {
	case createdUTC:
		m.CreatedAt = t.UTC()
	case createdLocal:
		m.CreatedAt = t
	default:
		m.CreatedAt = s.createdAt[id]
	}
	return m
}

// maxTypes bounds s.types, so that a caller committing ever new method
// types cannot grow it without bound; the types past it are read from
// methodRecord.data.
const maxTypes = 64

// internType returns the index plus one of t in s.types, adding t while
// there is room, or zero. s.mu must be held.
func (s *Store) internType(t string) uint8 {
	if i := slices.Index(s.types, t); i >= 0 {
		return uint8(i + 1)
	}
	if len(s.types) == maxTypes {
		return 0
	}
	s.types = append(s.types, strings.Clone(t))
	return uint8(len(s.types))
}
