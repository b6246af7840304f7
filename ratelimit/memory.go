package ratelimit

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/verifykit/verifykit/internal/gcra"
	"github.com/verifykit/verifykit/verify"
)

// Bounds of the verify.Limit values Allow accepts.
const (
	// MaxRequests bounds verify.Limit.Requests.
	MaxRequests = gcra.MaxRequests
	// MaxWindow bounds verify.Limit.Window.
	MaxWindow = gcra.MaxWindow
)

// defaultMaxKeys and maxMaxKeys are MemoryConfig.MaxKeys's default and
// upper bound.
const (
	defaultMaxKeys = 1 << 16
	maxMaxKeys     = 1 << 26
)

// ErrLimit is returned (wrapped, with the offending value) by every
// limiter of ratelimit and ratelimit/redislimit for a verify.Limit out of
// range: Requests outside [1, MaxRequests], Window outside (0, MaxWindow],
// or Window/Requests under one nanosecond.
var ErrLimit = gcra.ErrLimit

// MemoryConfig configures a Memory limiter.
type MemoryConfig struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxKeys bounds the keys tracked at once. Default 65536; range
	// [1, 67108864]. When it is reached, idle keys are dropped
	// first, then the key closest to idle (see the package documentation).
	MaxKeys int
}

// Memory is an in-memory verify.Limiter (GCRA, atomic per key, bounded).
// It is safe for concurrent use.
type Memory struct {
	now     func() time.Time
	maxKeys int

	mu   sync.Mutex
	keys map[string]*bucket
	heap tatHeap // buckets by TAT, smallest first
}

type bucket struct {
	key   string
	tat   int64 // theoretical arrival time, Unix nanoseconds
	index int   // in heap
}

var _ verify.Limiter = (*Memory)(nil)

// NewMemory validates cfg and returns an empty limiter.
func NewMemory(cfg MemoryConfig) (*Memory, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = defaultMaxKeys
	}
	if cfg.MaxKeys < 1 || cfg.MaxKeys > maxMaxKeys {
		return nil, fmt.Errorf("ratelimit: MaxKeys %d out of range [1, %d]", cfg.MaxKeys, maxMaxKeys)
	}
	return &Memory{now: cfg.Now, maxKeys: cfg.MaxKeys, keys: make(map[string]*bucket)}, nil
}

// Allow records one request against key under limit and reports the
// decision. It fails only for a limit out of range (ErrLimit) or a done
// context.
func (m *Memory) Allow(ctx context.Context, key string, limit verify.Limit) (verify.RateLimit, error) {
	if err := gcra.Check(limit); err != nil {
		return verify.RateLimit{}, err
	}
	if err := ctx.Err(); err != nil {
		return verify.RateLimit{}, err
	}
	g := gcra.New(limit)

	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now().UnixNano()
	m.evictIdle(now)

	b := m.keys[key]
	tat := now
	if b != nil && b.tat > now {
		tat = b.tat
	}
	if !g.Admits(tat, now) {
		return g.Refused(tat, now), nil // refused: nothing changes
	}
	next := tat + g.Interval
	if b == nil {
		if len(m.keys) >= m.maxKeys {
			// No idle key is left (evictIdle ran): drop the one closest
			// to idle.
			old := heap.Pop(&m.heap).(*bucket)
			delete(m.keys, old.key)
		}
		b = &bucket{key: key, tat: next}
		m.keys[key] = b
		heap.Push(&m.heap, b)
	} else {
		b.tat = next
		heap.Fix(&m.heap, b.index)
	}
	return g.Allowed(next, now), nil
}

// evictIdle drops every key whose TAT is not after now: such a key is in
// the same state as one never seen.
func (m *Memory) evictIdle(now int64) {
	for len(m.heap) > 0 && m.heap[0].tat <= now {
		b := heap.Pop(&m.heap).(*bucket)
		delete(m.keys, b.key)
	}
}

// Len returns the number of keys tracked, idle ones included until the
// next Allow drops them.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}

type tatHeap []*bucket

func (h tatHeap) Len() int           { return len(h) }
func (h tatHeap) Less(i, j int) bool { return h[i].tat < h[j].tat }
func (h tatHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *tatHeap) Push(x any) {
	b := x.(*bucket)
	b.index = len(*h)
	*h = append(*h, b)
}
func (h *tatHeap) Pop() any {
	old := *h
	n := len(old)
	b := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	b.index = -1
	return b
}

// Unlimited returns a verify.Limiter that allows every request, for hosts
// that rate-limit elsewhere (a gateway) or demos run with limits lifted. Its
// decisions report Limit = Remaining = limit.Requests and Reset = now, so
// the rate-limit headers stay well formed. It still rejects a limit out of
// range, like Memory.
func Unlimited(now func() time.Time) verify.Limiter {
	if now == nil {
		now = time.Now
	}
	return unlimited{now: now}
}

type unlimited struct{ now func() time.Time }

func (u unlimited) Allow(ctx context.Context, _ string, limit verify.Limit) (verify.RateLimit, error) {
	if err := gcra.Check(limit); err != nil {
		return verify.RateLimit{}, err
	}
	if err := ctx.Err(); err != nil {
		return verify.RateLimit{}, err
	}
	return verify.RateLimit{Allowed: true, Limit: limit.Requests, Remaining: limit.Requests, Reset: u.now()}, nil
}
