package memory

import (
	"container/heap"
	"time"

	"github.com/verifykit/verifykit/store"
)

// expiring holds values by key until they expire, at most max of them
// live: adding drops the expired ones first, and a live one is never
// dropped early (forgetting a consumed session or a used nonce would allow
// its replay). Store.mu guards it.
type expiring[V any] struct {
	max   int
	byKey map[string]*entry[V]
	order entryHeap[V] // by expiry
}

type entry[V any] struct {
	key     string
	expires time.Time
	v       V
}

// get returns the value of key live at now, or nil.
func (e *expiring[V]) get(key string, now time.Time) *V {
	if r := e.byKey[key]; r != nil && now.Before(r.expires) {
		return &r.v
	}
	return nil
}

// getOrAdd returns the value of key live at now; if there is none, it adds
// v under key until expires and reports added. A v that has expired at now
// already is not kept; when max values are live, getOrAdd fails with
// store.ErrFull.
func (e *expiring[V]) getOrAdd(key string, v V, expires, now time.Time) (_ *V, added bool, _ error) {
	if r := e.get(key, now); r != nil {
		return r, false, nil
	}
	if !now.Before(expires) {
		return &v, true, nil
	}
	e.purge(now)
	if len(e.byKey) >= e.max {
		return nil, false, store.ErrFull
	}
	if e.byKey == nil {
		e.byKey = make(map[string]*entry[V])
	}
	r := &entry[V]{key: key, expires: expires.Round(0), v: v}
	e.byKey[key] = r
	heap.Push(&e.order, r)
	return &r.v, true, nil
}

// purge drops the entries expired at now and reports how many. Each key
// has one entry in order: getOrAdd adds a key only after purge has dropped
// its expired entry.
func (e *expiring[V]) purge(now time.Time) int {
	n := 0
	for len(e.order) > 0 && !now.Before(e.order[0].expires) {
		delete(e.byKey, heap.Pop(&e.order).(*entry[V]).key)
		n++
	}
	return n
}

// entryHeap orders entries by expiry (container/heap).
type entryHeap[V any] []*entry[V]

func (h entryHeap[V]) Len() int           { return len(h) }
func (h entryHeap[V]) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h entryHeap[V]) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *entryHeap[V]) Push(x any)        { *h = append(*h, x.(*entry[V])) }

func (h *entryHeap[V]) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return r
}
