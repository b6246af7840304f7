package memory

import (
	"container/heap"
	"time"

	"github.com/verifykit/verifykit/store"
)

// expiring holds values by key until they expire, at most a bound of them
// live: at the bound the expired ones are purged first, and a live one is
// never dropped early (forgetting a consumed session or a used nonce would
// allow its replay). Its zero value is ready; Store.mu guards it.
type expiring[V any] struct {
	byKey map[string]*entry[V]
	order entryHeap[V] // by expiry
}

type entry[V any] struct {
	key     string
	expires time.Time
	v       V
	index   int // in order
}

// get returns the entry of key live at now, or nil, dropping an expired one.
func (e *expiring[V]) get(key string, now time.Time) *entry[V] {
	r, ok := e.byKey[key]
	if !ok {
		return nil
	}
	if !now.Before(r.expires) {
		delete(e.byKey, key)
		heap.Remove(&e.order, r.index)
		return nil
	}
	return r
}

// add stores v under key, which must not be live, until expires. It fails
// with store.ErrFull when max entries are live at now.
func (e *expiring[V]) add(key string, v V, expires, now time.Time, max int) (*entry[V], error) {
	if e.byKey == nil {
		e.byKey = make(map[string]*entry[V])
	}
	if len(e.byKey) >= max {
		e.purge(now)
		if len(e.byKey) >= max {
			return nil, store.ErrFull
		}
	}
	r := &entry[V]{key: key, expires: expires, v: v}
	e.byKey[key] = r
	heap.Push(&e.order, r)
	return r, nil
}

// purge drops the entries expired at now and reports how many.
func (e *expiring[V]) purge(now time.Time) int {
	n := 0
	for len(e.order) > 0 && !now.Before(e.order[0].expires) {
		r := heap.Pop(&e.order).(*entry[V])
		delete(e.byKey, r.key)
		n++
	}
	return n
}

// entryHeap orders entries by expiry (container/heap).
type entryHeap[V any] []*entry[V]

func (h entryHeap[V]) Len() int           { return len(h) }
func (h entryHeap[V]) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }

func (h entryHeap[V]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *entryHeap[V]) Push(x any) {
	r := x.(*entry[V])
	r.index = len(*h)
	*h = append(*h, r)
}

func (h *entryHeap[V]) Pop() any {
	old := *h
	r := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return r
}
