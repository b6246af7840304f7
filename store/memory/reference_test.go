package memory

import (
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/verifykit/verifykit/store"
)

// refStore is the Store of commit cf46295, before its records were laid
// out for the garbage collector: the reference TestMatchesReference holds
// the Store to. Only its session and method code is kept, renamed; the
// rest is verbatim.
type refStore struct {
	now         func() time.Time
	maxSessions int

	mu       sync.Mutex
	sessions map[string]*refSession
	expiry   refHeap                 // sessions by expiry, for purging
	methods  map[string]store.Method // by id
	bySub    map[string]refIDSet     // subject → ids of its methods, for List
	byCred   map[string]string       // credential id → method id
}

// refIDSet is a set of method ids.
type refIDSet map[string]struct{}

type refSession struct {
	sid      string
	expires  time.Time
	attempts int
	consumed bool
	index    int // in expiry heap
}

// newRef returns an empty Store.
func newRef(cfg Config) (*refStore, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxSessions == 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.MaxSessions < 1 || cfg.MaxSessions > 1<<30 {
		return nil, fmt.Errorf("memory: MaxSessions %d out of range [1, %d]", cfg.MaxSessions, 1<<30)
	}
	return &refStore{
		now:         cfg.Now,
		maxSessions: cfg.MaxSessions,
		sessions:    make(map[string]*refSession),
		methods:     make(map[string]store.Method),
		bySub:       make(map[string]refIDSet),
		byCred:      make(map[string]string),
	}, nil
}

// session returns the live record of sid, creating it when create is set.
// s.mu must be held.
func (s *refStore) session(sid string, expires time.Time, create bool) (*refSession, error) {
	now := s.now()
	if r, ok := s.sessions[sid]; ok && now.Before(r.expires) {
		return r, nil
	} else if ok {
		s.drop(r)
	}
	if !create {
		return nil, nil
	}
	if len(s.sessions) >= s.maxSessions {
		s.purge(now)
		if len(s.sessions) >= s.maxSessions {
			return nil, store.ErrFull
		}
	}
	r := &refSession{sid: sid, expires: expires}
	s.sessions[sid] = r
	heap.Push(&s.expiry, r)
	return r, nil
}

func (s *refStore) drop(r *refSession) {
	delete(s.sessions, r.sid)
	heap.Remove(&s.expiry, r.index)
}

func (s *refStore) purge(now time.Time) int {
	n := 0
	for len(s.expiry) > 0 && !now.Before(s.expiry[0].expires) {
		r := heap.Pop(&s.expiry).(*refSession)
		delete(s.sessions, r.sid)
		n++
	}
	return n
}

// Purge removes expired session records.
func (s *refStore) Purge(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	return s.purge(now), nil
}

// Attempt implements store.Sessions.
func (s *refStore) Attempt(ctx context.Context, sid string, expires time.Time) (int, error) {
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
func (s *refStore) RefundAttempt(ctx context.Context, sid string) error {
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
func (s *refStore) Commit(ctx context.Context, c store.Commit) error {
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
	case c.Replace != 0 && !exists, c.Replace != 0 && old.Subject != m.Subject:
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
	if r == nil {
		if r, err = s.session(c.SessionID, c.SessionExpires, true); err != nil {
			return err
		}
	}
	r.consumed = true
	if exists && len(old.CredentialID) > 0 {
		delete(s.byCred, string(old.CredentialID))
	}
	m.Version = c.Replace + 1
	s.methods[m.ID] = refClone(m)
	if !exists { // a replacement keeps its id and subject
		ids := s.bySub[m.Subject]
		if ids == nil {
			ids = refIDSet{}
			s.bySub[m.Subject] = ids
		}
		ids[m.ID] = struct{}{}
	}
	if len(m.CredentialID) > 0 {
		s.byCred[string(m.CredentialID)] = m.ID
	}
	return nil
}

// Get implements store.Methods.
func (s *refStore) Get(ctx context.Context, subject, id string) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.methods[id]
	if !ok || m.Subject != subject {
		return store.Method{}, store.ErrNotFound
	}
	return refClone(m), nil
}

// List implements store.Methods.
func (s *refStore) List(ctx context.Context, subject string) ([]store.Method, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var ms []store.Method // nil when the subject has none, as before
	for id := range s.bySub[subject] {
		ms = append(ms, refClone(s.methods[id]))
	}
	s.mu.Unlock()
	sort.Slice(ms, func(i, j int) bool {
		if !ms[i].CreatedAt.Equal(ms[j].CreatedAt) {
			return ms[i].CreatedAt.Before(ms[j].CreatedAt)
		}
		return ms[i].ID < ms[j].ID
	})
	return ms, nil
}

// ByCredentialID implements store.Methods.
func (s *refStore) ByCredentialID(ctx context.Context, credentialID []byte) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.byCred[string(credentialID)]
	if !ok || len(credentialID) == 0 {
		return store.Method{}, store.ErrNotFound
	}
	return refClone(s.methods[id]), nil
}

// Update implements store.Methods.
func (s *refStore) Update(ctx context.Context, m store.Method) (store.Method, error) {
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
	return refClone(old), nil
}

// Delete implements store.Methods.
func (s *refStore) Delete(ctx context.Context, subject, id string) error {
	return s.delete(ctx, subject, id, nil)
}

// DeletePrimary implements store.Methods.
func (s *refStore) DeletePrimary(ctx context.Context, subject, id string, primaries []string) error {
	if primaries == nil {
		primaries = []string{} // guarded: nil means no guard to delete
	}
	return s.delete(ctx, subject, id, primaries)
}

// delete removes the method id of subject; when primaries is not nil, only
// if another method of subject has an id in primaries.
func (s *refStore) delete(ctx context.Context, subject, id string, primaries []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.methods[id]
	if !ok || m.Subject != subject {
		return store.ErrNotFound
	}
	if primaries != nil && !slices.ContainsFunc(primaries, func(other string) bool {
		_, mine := s.bySub[subject][other]
		return other != id && mine
	}) {
		return store.ErrLastPrimary
	}
	delete(s.methods, id)
	if ids := s.bySub[subject]; ids != nil {
		delete(ids, id)
		if len(ids) == 0 {
			delete(s.bySub, subject)
		}
	}
	if len(m.CredentialID) > 0 {
		delete(s.byCred, string(m.CredentialID))
	}
	return nil
}

// AdvanceCounter implements store.Methods.
func (s *refStore) AdvanceCounter(ctx context.Context, subject, id string, n int64) (bool, error) {
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

// SignIn implements store.Methods.
func (s *refStore) SignIn(ctx context.Context, in store.SignIn) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
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
	if r == nil {
		if r, err = s.session(in.SessionID, in.SessionExpires, true); err != nil {
			return store.Method{}, err
		}
	}
	r.consumed = true
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
	s.methods[in.MethodID] = m
	return refClone(m), nil
}

// clone copies m's byte slices so callers cannot alias stored state.
func refClone(m store.Method) store.Method {
	m.Attrs = bytes.Clone(m.Attrs)
	m.Secret = bytes.Clone(m.Secret)
	m.CredentialID = bytes.Clone(m.CredentialID)
	return m
}

// refHeap orders session records by expiry.
type refHeap []*refSession

func (h refHeap) Len() int           { return len(h) }
func (h refHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h refHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *refHeap) Push(x any) {
	r := x.(*refSession)
	r.index = len(*h)
	*h = append(*h, r)
}
func (h *refHeap) Pop() any {
	old := *h
	r := old[len(old)-1]
	*h = old[:len(old)-1]
	return r
}
