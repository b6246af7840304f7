package memory_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
)

// BenchmarkGCLiveHeap measures what the state a Store retains costs the
// garbage collector. The store holds gcMethods TOTP-shaped methods (a
// 20-byte id, a 25-byte subject, a 24-byte secret, 40 bytes of attrs),
// each with the consumed session record of the confirm that saved it, as
// a server's store does after that many confirms; each iteration is one
// forced full collection (runtime.GC), whose time is mostly the marking
// of that state. It also reports the heap objects and bytes the store
// retains per method: runtime.MemStats HeapObjects and HeapAlloc after a
// collection, less their values before the store was filled.
func BenchmarkGCLiveHeap(b *testing.B) {
	const gcMethods = 100_000
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := memory.New(memory.Config{Now: clock.Now})
	require.NoError(b, err)
	for i := range gcMethods {
		id := fmt.Sprintf("totp|dev_%011d", i)
		m := store.Method{
			ID: id, Subject: fmt.Sprintf("auth0|%019d", i), Type: "totp",
			CreatedAt: storetest.Epoch.Add(time.Duration(i) * time.Millisecond),
			Attrs:     fmt.Appendf(nil, `{"name":"Authenticator %015d"}`, i),
			Secret:    fmt.Appendf(nil, "secret-%017d", i),
		}
		require.NoError(b, s.Commit(ctx, store.Commit{
			SessionID: fmt.Sprintf("sid_%018d", i), SessionExpires: clock.Now().Add(5 * time.Minute), Method: m,
		}))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportAllocs()
	for b.Loop() {
		runtime.GC()
	}
	runtime.KeepAlive(s)
	// After the loop: b.Loop's first call resets the reported metrics.
	b.ReportMetric(float64(int64(after.HeapObjects)-int64(before.HeapObjects))/gcMethods, "objects/method")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/gcMethods, "heapB/method")
}

// BenchmarkAttemptCommit is the store's part of an enrollment confirm: an
// attempt on a new session, then the commit that consumes it and saves a
// TOTP-shaped method, then a Get of the method; a Delete after it keeps the
// number of methods steady. The clock moves 1ms per iteration and sessions
// expire after a second, so about 1,000 are live and expired ones are
// purged as new ones arrive (MaxSessions is 2,000).
func BenchmarkAttemptCommit(b *testing.B) {
	const ring = 4096 // ids reused after 4.096s, when their session has expired
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch)
	s, err := memory.New(memory.Config{Now: clock.Now, MaxSessions: 2000})
	require.NoError(b, err)
	var sids, ids, subs [ring]string
	for i := range ring {
		sids[i], ids[i], subs[i] = fmt.Sprintf("sid_%018d", i), fmt.Sprintf("totp|dev_%011d", i), fmt.Sprintf("auth0|%019d", i)
	}
	attrs, secret := []byte(`{"name":"Authenticator 000000000000001"}`), []byte("secret-00000000000000001")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := i % ring
		i++
		clock.Advance(time.Millisecond)
		exp := clock.Now().Add(time.Second)
		if _, err := s.Attempt(ctx, sids[k], exp); err != nil {
			b.Fatal(err)
		}
		m := store.Method{ID: ids[k], Subject: subs[k], Type: "totp", CreatedAt: clock.Now(), Attrs: attrs, Secret: secret}
		if err := s.Commit(ctx, store.Commit{SessionID: sids[k], SessionExpires: exp, Method: m}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Get(ctx, subs[k], ids[k]); err != nil {
			b.Fatal(err)
		}
		if err := s.Delete(ctx, subs[k], ids[k]); err != nil {
			b.Fatal(err)
		}
	}
}
