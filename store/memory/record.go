package memory

import (
	"encoding/binary"
	"time"

	"github.com/verifykit/verifykit/store"
)

// The records below are what a Store retains per session and per method.
// They are laid out so that the garbage collector, which must visit every
// pointer of the live heap on each cycle, has few to visit: no pointer in
// a session record, one pointer-free buffer per method.

// wall is the wall-clock reading of a time.Time: seconds and nanoseconds
// since the Unix epoch, with no location and no monotonic reading. Unlike
// UnixNano, which holds only the years 1678 to 2262, its int64 seconds
// hold every date a clock or an auth_session can carry (the zero
// time.Time included).
type wall struct {
	sec  int64
	nsec int32 // [0, 1e9)
}

func wallOf(t time.Time) wall { return wall{sec: t.Unix(), nsec: int32(t.Nanosecond())} }

// before reports whether w is before u, as time.Time.Before does for times
// without monotonic readings.
func (w wall) before(u wall) bool { return w.sec < u.sec || w.sec == u.sec && w.nsec < u.nsec }

// sessionRecord is what is kept of a session, by session id in
// Store.sessions, until it expires. It holds no pointer.
type sessionRecord struct {
	expires  wall
	attempts int
	consumed bool
}

// expiryEntry is a session in the expiry heap. Entries are not removed
// when their record is dropped or replaced (lazy deletion): an entry is
// stale when Store.sessions has no record of sid, or one with another
// expiry. Every record has an entry with its sid and expiry.
type expiryEntry struct {
	expires wall
	sid     string
}

// expiryHeap is a min-heap of entries by expiry, of values rather than
// pointers (container/heap would box each pushed and popped entry).
type expiryHeap []expiryEntry

func (h *expiryHeap) push(e expiryEntry) {
	*h = append(*h, e)
	h.up(len(*h) - 1)
}

// pop removes and returns the entry that expires first; h is not empty.
func (h *expiryHeap) pop() expiryEntry {
	old := *h
	last := len(old) - 1
	e := old[0]
	old[0], old[last] = old[last], expiryEntry{} // release the sid
	*h = old[:last]
	h.down(0)
	return e
}

func (h expiryHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h expiryHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h[i].expires.before(h[p].expires) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (h expiryHeap) down(i int) {
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if r := c + 1; r < len(h) && h[r].expires.before(h[c].expires) {
			c = r
		}
		if !h[c].expires.before(h[i].expires) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// methodRecord is a stored method, by method id (its ID) in
// Store.methods. Besides the key, it holds one pointer, to a buffer the
// garbage collector marks without scanning.
type methodRecord struct {
	// data holds Subject, Type, Attrs, Secret and CredentialID, in this
	// order, each as the uvarint of its length plus one (zero for a nil
	// slice) followed by its bytes. It is never modified once written, so
	// copies of a record may share it.
	data    []byte
	counter int64
	version int64
	created wall
	// createdIn is how CreatedAt is rebuilt from created.
	createdIn uint8
	// typ is the index plus one of Type in Store.types, or zero when Type
	// is not interned (it is in data either way).
	typ uint8
}

// How CreatedAt is rebuilt from methodRecord.created.
const (
	createdUTC   = iota // time.Unix(…).UTC(): in UTC, no monotonic reading
	createdLocal        // time.Unix(…): in time.Local, no monotonic reading
	createdExact        // Store.createdAt holds it: another location, or a monotonic reading
)

// encodeCreated returns how a methodRecord holds t. It checks with ==,
// which compares the location and monotonic reading as well as the
// instant, that the rebuilt time is t itself: a Get returns the very
// CreatedAt its method was committed with.
func encodeCreated(t time.Time) (wall, uint8) {
	w := wallOf(t)
	u := time.Unix(w.sec, int64(w.nsec))
	switch {
	case u.UTC() == t:
		return w, createdUTC
	case u == t:
		return w, createdLocal
	}
	return w, createdExact
}

// pack returns m's variable-length fields but ID, laid out as
// methodRecord.data, in a new buffer of the exact size.
func pack(m store.Method) []byte {
	n := 0
	for _, l := range [...]int{len(m.Subject), len(m.Type), len(m.Attrs), len(m.Secret), len(m.CredentialID)} {
		n += uvarintLen(uint64(l)+1) + l
	}
	b := make([]byte, 0, n)
	b = appendField(b, m.Subject, false)
	b = appendField(b, m.Type, false)
	b = appendField(b, m.Attrs, m.Attrs == nil)
	b = appendField(b, m.Secret, m.Secret == nil)
	return appendField(b, m.CredentialID, m.CredentialID == nil)
}

func appendField[T string | []byte](b []byte, f T, isNil bool) []byte {
	if isNil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(f))+1)
	return append(b, f...)
}

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

// methodFields are the fields of methodRecord.data, sub-slices of it:
// never to be modified or handed to callers.
type methodFields struct {
	subject, typ, attrs, secret, credentialID []byte
}

func (r methodRecord) fields() methodFields {
	var f methodFields
	b := r.data
	f.subject, b = nextField(b)
	f.typ, b = nextField(b)
	f.attrs, b = nextField(b)
	f.secret, b = nextField(b)
	f.credentialID, _ = nextField(b)
	return f
}

// nextField splits the first field of a methodRecord.data suffix from the
// rest; the field is nil if it was a nil slice.
func nextField(b []byte) (field, rest []byte) {
	n, k := binary.Uvarint(b) // k > 0: pack wrote b
	b = b[k:]
	if n == 0 {
		return nil, b
	}
	return b[: n-1 : n-1], b[n-1:]
}

// ownedBy reports whether r is a method of subject.
func (r methodRecord) ownedBy(subject string) bool {
	f, _ := nextField(r.data)
	return string(f) == subject
}
