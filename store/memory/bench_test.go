package memory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
)

// benchMethods is the number of methods the store of BenchmarkMethods
// holds: 25,000 users with 4 TOTP-shaped methods each (a 20-byte id, a
// 25-byte subject, a 24-byte secret, 40 bytes of attrs).
const (
	benchUsers   = 25_000
	benchPerUser = 4
	benchMethods = benchUsers * benchPerUser
)

func benchMethod(u, k int, created time.Time) store.Method {
	return store.Method{
		ID: fmt.Sprintf("totp|dev_%06d_%04d", u, k), Subject: fmt.Sprintf("auth0|%019d", u), Type: "totp",
		CreatedAt: created,
		Attrs:     fmt.Appendf(nil, `{"name":"Authenticator %09d_%05d"}`, u, k),
		Secret:    fmt.Appendf(nil, "secret-%011d_%05d", u, k),
	}
}

// BenchmarkMethods measures the store's method operations of the
// user-visible routes on a store holding 100,000 methods: List (every
// Start and GET /authentication-methods), Get (GET, PATCH, every confirm
// of a replacement) and Commit (every confirm; each iteration also deletes
// the method it saved, so that the store stays at 100,000 methods).
func BenchmarkMethods(b *testing.B) {
	ctx := context.Background()
	clock := storetest.NewClock(storetest.Epoch)
	s, err := memory.New(memory.Config{Now: clock.Now})
	require.NoError(b, err)
	for u := range benchUsers {
		for k := range benchPerUser {
			m := benchMethod(u, k, storetest.Epoch.Add(time.Duration(k)*time.Second))
			require.NoError(b, s.Commit(ctx, store.Commit{
				SessionID: "enroll " + m.ID, SessionExpires: clock.Now().Add(time.Second), Method: m,
			}))
		}
	}
	clock.Advance(time.Minute) // the enrollments' sessions have expired
	subs := make([]string, benchUsers)
	for u := range subs {
		subs[u] = fmt.Sprintf("auth0|%019d", u)
	}

	// Each sub-benchmark runs -count times on this store; i carries on
	// from one run to the next.
	i := 0
	b.Run("List", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ms, err := s.List(ctx, subs[i%benchUsers])
			if err != nil || len(ms) != benchPerUser {
				b.Fatal(len(ms), err)
			}
			i += 7919 // a prime: users in a scattered order
		}
	})
	b.Run("Get", func(b *testing.B) {
		ids := make([]string, benchUsers)
		for u := range ids {
			ids[u] = fmt.Sprintf("totp|dev_%06d_%04d", u, u%benchPerUser)
		}
		b.ReportAllocs()
		for b.Loop() {
			u := i % benchUsers
			if _, err := s.Get(ctx, subs[u], ids[u]); err != nil {
				b.Fatal(err)
			}
			i += 7919
		}
	})
	b.Run("Commit", func(b *testing.B) {
		const ring = 4096 // session ids reused after 4.096s, when expired
		var sids [ring]string
		ms := make([]store.Method, ring)
		for k := range ring {
			sids[k] = fmt.Sprintf("sid_%018d", k)
			ms[k] = benchMethod((k*7919)%benchUsers, benchPerUser+k, clock.Now())
		}
		b.ReportAllocs()
		for b.Loop() {
			k := i % ring
			i++
			clock.Advance(time.Millisecond)
			m := ms[k]
			if err := s.Commit(ctx, store.Commit{SessionID: sids[k], SessionExpires: clock.Now().Add(time.Second), Method: m}); err != nil {
				b.Fatal(err)
			}
			if err := s.Delete(ctx, m.Subject, m.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}
