package memory

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/storetest"
)

// fullStore is what Store and refStore both implement.
type fullStore interface {
	store.Store
	store.Purger
	store.AttemptRefunder
}

var _ fullStore = (*refStore)(nil)

// TestMatchesReference runs random sequences of operations on a Store and
// on refStore, the layout it replaced, with one clock, and requires every
// result to be identical (reflect.DeepEqual: a CreatedAt's location and
// monotonic reading, and nil versus empty slices, included). Returned and
// passed slices are overwritten after each call, so that any aliasing of
// stored state shows as a later difference. After each operation the
// Store's own invariants are checked.
func TestMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name             string
		seeds, ops       int
		maxSessions, sid int
		purge            bool
	}{
		{"small", 300, 300, 6, 12, true}, // ErrFull, purges, replays
		// Never full nor purged: stale expiry entries pile up until the
		// heap is rebuilt.
		{"compaction", 20, 3000, 500, 60, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(tc.seeds) {
				matchReference(t, seed, tc.ops, tc.maxSessions, tc.sid, tc.purge)
				if t.Failed() {
					return
				}
			}
		})
	}
}

func matchReference(t *testing.T, seed uint64, ops, maxSessions, sids int, purge bool) {
	ctx := context.Background()
	rnd := rand.New(rand.NewPCG(seed, 1))
	clock := storetest.NewClock(storetest.Epoch)
	s, err := New(Config{Now: clock.Now, MaxSessions: maxSessions})
	require.NoError(t, err)
	ref, err := newRef(Config{Now: clock.Now, MaxSessions: maxSessions})
	require.NoError(t, err)

	mono := time.Now() // a monotonic reading
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	pick := func(n int) int { return rnd.IntN(n) }
	bytesOf := func() []byte {
		switch pick(5) {
		case 0:
			return nil
		case 1:
			return []byte{}
		case 2:
			return []byte(strings.Repeat("x", 200)) // a two-byte length
		}
		return fmt.Appendf(nil, `{"n":%d}`, pick(100))
	}
	createdAt := func() time.Time {
		return [...]time.Time{
			storetest.Epoch, storetest.Epoch.Add(time.Duration(pick(5)) * time.Second), storetest.Epoch.Add(time.Nanosecond),
			storetest.Epoch.In(time.Local), storetest.Epoch.In(zone), mono, mono.Add(time.Second), {},
			time.Date(1500, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(1<<40, 5),
		}[pick(11)]
	}
	expires := func() time.Time {
		switch pick(8) {
		case 0:
			return time.Time{}
		case 1:
			return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
		case 2:
			return clock.Now().In(zone)
		}
		return clock.Now().Add(time.Duration(pick(12)-2) * time.Second / 2)
	}
	method := func() store.Method {
		m := store.Method{
			ID: fmt.Sprint("m", pick(8)), Subject: fmt.Sprint("u", pick(3)),
			Type:      [...]string{"totp", "passkey", "", fmt.Sprint("type-", pick(200))}[pick(4)],
			CreatedAt: createdAt(), Attrs: bytesOf(), Secret: bytesOf(),
			Counter: int64(pick(20)), Version: int64(pick(4)),
		}
		switch pick(4) {
		case 0:
			m.CredentialID = []byte{}
		case 1:
			m.CredentialID = fmt.Appendf(nil, "cred-%d", pick(3))
		}
		return m
	}
	copyMethod := func(m store.Method) store.Method {
		m.Attrs, m.Secret, m.CredentialID = bytes.Clone(m.Attrs), bytes.Clone(m.Secret), bytes.Clone(m.CredentialID)
		return m
	}

	for i := range ops {
		sid := fmt.Sprint("s", pick(sids))
		var (
			desc string
			call func(st fullStore) []any
		)
		switch pick(13) {
		case 0, 1, 2:
			exp := expires()
			desc = fmt.Sprintf("Attempt(%s, %v)", sid, exp)
			call = func(st fullStore) []any { n, err := st.Attempt(ctx, sid, exp); return []any{n, err} }
		case 3:
			desc = fmt.Sprintf("RefundAttempt(%s)", sid)
			call = func(st fullStore) []any { return []any{st.RefundAttempt(ctx, sid)} }
		case 4, 5:
			c := store.Commit{SessionID: sid, SessionExpires: expires(), Method: method(),
				Replace: int64([...]int{0, 0, 0, 1, 2, 3}[pick(6)]), MaxMethods: [...]int{0, 0, 2, 3}[pick(4)]}
			desc = fmt.Sprintf("Commit(%+v)", c)
			call = func(st fullStore) []any {
				cc := c
				cc.Method = copyMethod(c.Method)
				err := st.Commit(ctx, cc)
				scribble(cc.Method)
				return []any{err}
			}
		case 6:
			m := method()
			desc = fmt.Sprintf("Get(%s, %s)", m.Subject, m.ID)
			call = func(st fullStore) []any { got, err := st.Get(ctx, m.Subject, m.ID); return []any{got, err} }
		case 7:
			sub := fmt.Sprint("u", pick(4))
			desc = fmt.Sprintf("List(%s)", sub)
			call = func(st fullStore) []any { got, err := st.List(ctx, sub); return []any{got, err} }
		case 8:
			cred := method().CredentialID
			desc = fmt.Sprintf("ByCredentialID(%q)", cred)
			call = func(st fullStore) []any { got, err := st.ByCredentialID(ctx, cred); return []any{got, err} }
		case 9:
			m := method()
			desc = fmt.Sprintf("Update(%+v)", m)
			call = func(st fullStore) []any {
				mm := copyMethod(m)
				got, err := st.Update(ctx, mm)
				scribble(mm)
				return []any{got, err}
			}
		case 10:
			m := method()
			desc = fmt.Sprintf("Delete(%s, %s)", m.Subject, m.ID)
			call = func(st fullStore) []any { return []any{st.Delete(ctx, m.Subject, m.ID)} }
		case 11:
			m, n := method(), int64(pick(25)-2)
			desc = fmt.Sprintf("AdvanceCounter(%s, %s, %d)", m.Subject, m.ID, n)
			call = func(st fullStore) []any { ok, err := st.AdvanceCounter(ctx, m.Subject, m.ID, n); return []any{ok, err} }
		default:
			if pick(3) == 0 && purge {
				desc = "Purge"
				call = func(st fullStore) []any { n, err := st.Purge(ctx); return []any{n, err} }
				break
			}
			d := time.Duration(pick(5)) * time.Second / 2
			if pick(4) == 0 {
				d = time.Nanosecond
			}
			desc = fmt.Sprintf("clock +%v", d)
			call = func(fullStore) []any { return nil }
			clock.Advance(d)
		}
		got, want := call(s), call(ref)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d, op %d, %s:\n got %#v\nwant %#v", seed, i, desc, got, want)
		}
		for _, v := range append(got, want...) {
			switch v := v.(type) {
			case store.Method:
				scribble(v)
			case []store.Method:
				for _, m := range v {
					scribble(m)
				}
			}
		}
		checkInvariants(t, s)
		if t.Failed() {
			t.Fatalf("seed %d, op %d, %s: invariants broken", seed, i, desc)
		}
	}
}

// scribble overwrites m's byte slices, as a caller may.
func scribble(m store.Method) {
	for _, b := range [][]byte{m.Attrs, m.Secret, m.CredentialID} {
		for i := range b {
			b[i] = '#'
		}
	}
}

// checkInvariants checks the invariants of s's records.
func checkInvariants(t *testing.T, s *Store) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.LessOrEqual(t, len(s.sessions), s.maxSessions)
	assert.LessOrEqual(t, len(s.expiry), 2*s.maxSessions+64+1, "stale expiry entries are bounded")
	entries := make(map[expiryEntry]bool, len(s.expiry))
	for i, e := range s.expiry {
		entries[e] = true
		if i > 0 {
			assert.False(t, e.expires.before(s.expiry[(i-1)/2].expires), "heap order at %d", i)
		}
	}
	for sid, r := range s.sessions {
		assert.True(t, entries[expiryEntry{expires: r.expires, sid: sid}], "session %s has an expiry entry", sid)
	}
	n := 0
	for sub, ids := range s.bySub {
		assert.NotEmpty(t, ids, "no empty id list is kept")
		for _, id := range ids {
			r, ok := s.methods[id]
			if assert.True(t, ok, "listed method %s exists", id) {
				assert.True(t, r.ownedBy(sub), "method %s of %s", id, sub)
			}
		}
		n += len(ids)
	}
	assert.Equal(t, len(s.methods), n, "every method is listed once")
	for cred, id := range s.byCred {
		assert.Equal(t, cred, string(s.methods[id].fields().credentialID))
	}
	for id := range s.createdAt {
		assert.Equal(t, uint8(createdExact), s.methods[id].createdIn, "createdAt of %s is needed", id)
	}
	assert.LessOrEqual(t, len(s.types), maxTypes)
}

// TestExpiryCompaction: a session dropped on expiry leaves a stale entry
// in the expiry heap; however many there are, the heap is rebuilt before
// it holds more than twice the records plus its slack.
func TestExpiryCompaction(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch)
	s, err := New(Config{Now: clock.Now})
	require.NoError(t, err)
	for i := range 10 { // ten records that stay live
		_, err := s.Attempt(ctx, fmt.Sprint("live-", i), clock.Now().Add(time.Hour))
		require.NoError(t, err)
	}
	longest := 0
	for range 10_000 {
		n, err := s.Attempt(ctx, "again", clock.Now().Add(time.Nanosecond))
		require.NoError(t, err)
		require.Equal(t, 1, n, "the previous record expired")
		clock.Advance(time.Nanosecond)
		require.LessOrEqual(t, len(s.expiry), 2*len(s.sessions)+64)
		longest = max(longest, len(s.expiry))
	}
	assert.Equal(t, 2*11+64, longest, "rebuilt when over the bound")
	checkInvariants(t, s)
	n, err := s.Purge(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "only the last record of \"again\" was left to purge")
	assert.Len(t, s.sessions, 10)
}

// TestMethodRecord: every field of a method comes back from its record
// exactly, whatever its length, nil-ness and time.
func TestMethodRecord(t *testing.T) {
	ctx := context.Background()
	long := bytes.Repeat([]byte{0xff}, 1<<14) // a three-byte length
	for _, tc := range []struct {
		name string
		m    store.Method
	}{
		{"empty", store.Method{ID: "a"}},
		{"nil and empty", store.Method{ID: "a", Subject: "u", Type: "totp", Attrs: []byte{}, Secret: nil, CredentialID: []byte{}}},
		{"long", store.Method{ID: "a", Subject: string(long), Type: string(long[:300]), Attrs: long, Secret: long[:127], CredentialID: long[:128], Counter: -1}},
		{"utc", store.Method{ID: "a", Subject: "u", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}},
		{"local", store.Method{ID: "a", Subject: "u", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.Local)}},
		{"zone", store.Method{ID: "a", Subject: "u", CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", -3600))}},
		{"monotonic", store.Method{ID: "a", Subject: "u", CreatedAt: time.Now()}},
		{"before 1678", store.Method{ID: "a", Subject: "u", CreatedAt: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)}},
		{"after 2262", store.Method{ID: "a", Subject: "u", CreatedAt: time.Unix(1<<62, 999999999).UTC()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Config{})
			require.NoError(t, err)
			want := tc.m
			want.Version = 1
			require.NoError(t, s.Commit(ctx, store.Commit{SessionID: "sid", SessionExpires: time.Now().Add(time.Minute), Method: tc.m}))
			got, err := s.Get(ctx, tc.m.Subject, tc.m.ID)
			require.NoError(t, err)
			assert.True(t, reflect.DeepEqual(want, got), "got %#v\nwant %#v", got, want)
			assert.True(t, got.CreatedAt == want.CreatedAt, "the same time.Time, location and monotonic reading included")
		})
	}
}

// TestInternTypes: past maxTypes distinct types, types are read from the
// records.
func TestInternTypes(t *testing.T) {
	ctx := context.Background()
	s, err := New(Config{})
	require.NoError(t, err)
	exp := time.Now().Add(time.Minute)
	for i := range maxTypes + 10 {
		m := store.Method{ID: fmt.Sprint("m", i), Subject: "u", Type: fmt.Sprint("type-", i)}
		require.NoError(t, s.Commit(ctx, store.Commit{SessionID: fmt.Sprint("s", i), SessionExpires: exp, Method: m}))
	}
	assert.Len(t, s.types, maxTypes)
	ms, err := s.List(ctx, "u")
	require.NoError(t, err)
	require.Len(t, ms, maxTypes+10)
	for _, m := range ms {
		assert.Equal(t, "type-"+strings.TrimPrefix(m.ID, "m"), m.Type)
	}
}
