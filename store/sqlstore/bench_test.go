package sqlstore_test

import (
	"encoding/base32"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
)

// benchStores returns a fresh store of each kind, with clock now.
func benchStores(b *testing.B) []struct {
	name string
	open func(b *testing.B, now func() time.Time) store.Store
} {
	return []struct {
		name string
		open func(b *testing.B, now func() time.Time) store.Store
	}{
		{"memory", func(b *testing.B, now func() time.Time) store.Store {
			s, err := memory.New(memory.Config{Now: now})
			require.NoError(b, err)
			return s
		}},
		{"sqlite", func(b *testing.B, now func() time.Time) store.Store {
			return open(b, backends[0], sqliteDB(b), now)
		}},
		{"sqlite-sync-normal", func(b *testing.B, now func() time.Time) store.Store {
			// WAL with synchronous=NORMAL: no fsync per commit; a power
			// loss may roll back the last commits (never corrupts).
			return open(b, backends[0], sqliteDB(b)+"?_pragma=synchronous(NORMAL)", now)
		}},
		{"postgres", func(b *testing.B, now func() time.Time) store.Store {
			return open(b, backends[1], postgresSchema(b), now)
		}},
	}
}

// BenchmarkAttemptCommit is the store's share of one successful confirm:
// count the attempt, then consume the session and save the method (with a
// sealed secret on the SQL stores), one enrollment per iteration.
func BenchmarkAttemptCommit(b *testing.B) {
	for _, bs := range benchStores(b) {
		b.Run(bs.name, func(b *testing.B) {
			clock := storetest.NewClock(storetest.Epoch)
			s := bs.open(b, clock.Now)
			exp := clock.Now().Add(5 * time.Minute)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				sid := fmt.Sprint("sid-", i)
				if _, err := s.Attempt(ctx, sid, exp); err != nil {
					b.Fatal(err)
				}
				m := sampleMethod(fmt.Sprint("user-", i), fmt.Sprint("totp|dev_", i))
				if err := s.Commit(ctx, store.Commit{SessionID: sid, SessionExpires: exp, Method: m}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTOTPConfirm is a successful TOTP confirm through verify.Service
// on each store: unseal the auth_session (iron), bind, count the attempt,
// check the code, and commit (consume + save, secret sealed at rest).
// Enrollments are started in batches with the timer stopped, one user
// each.
func BenchmarkTOTPConfirm(b *testing.B) {
	for _, bs := range benchStores(b) {
		b.Run(bs.name, func(b *testing.B) {
			clock := storetest.NewClock(time.Unix(1_700_000_000, 0))
			st := bs.open(b, clock.Now)
			engine, err := otp.NewTOTP(otp.TOTPConfig{Issuer: "Bench", Now: clock.Now})
			require.NoError(b, err)
			sealer, err := session.NewSealer(session.Config{
				Keys: []session.Key{{ID: "k1", Password: "bench-password-0123456789-abcdefghijklmnop"}}, Now: clock.Now,
			})
			require.NoError(b, err)
			svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{engine}, Sealer: sealer, Store: st, Now: clock.Now})
			require.NoError(b, err)
			b32 := base32.StdEncoding.WithPadding(base32.NoPadding)
			type pending struct {
				sub  verify.Subject
				en   *verify.Enrollment
				code string
			}
			var (
				todo []pending
				n    int
			)
			b.ReportAllocs()
			for b.Loop() {
				if len(todo) == 0 {
					b.StopTimer()
					for range 500 {
						n++
						sub := verify.Subject{ID: fmt.Sprintf("auth0|user%d", n)}
						en, err := svc.Start(ctx, sub, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{})
						require.NoError(b, err)
						secret, err := b32.DecodeString(en.ManualInputCode)
						require.NoError(b, err)
						code, err := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}.Code(clock.Now())
						require.NoError(b, err)
						todo = append(todo, pending{sub, en, code})
					}
					b.StartTimer()
				}
				p := todo[len(todo)-1]
				todo = todo[:len(todo)-1]
				if _, err := svc.Verify(ctx, p.sub, p.en.ID, verify.VerifyRequest{AuthSession: p.en.AuthSession, OTPCode: &p.code}, verify.Client{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTOTPConfirmParallel is BenchmarkTOTPConfirm with 16 concurrent
// confirms per core (32 on two cores): the throughput of one process.
// All b.N enrollments are started before the timer starts.
func BenchmarkTOTPConfirmParallel(b *testing.B) {
	for _, bs := range benchStores(b) {
		b.Run(bs.name, func(b *testing.B) {
			clock := storetest.NewClock(time.Unix(1_700_000_000, 0))
			st := bs.open(b, clock.Now)
			engine, err := otp.NewTOTP(otp.TOTPConfig{Issuer: "Bench", Now: clock.Now})
			require.NoError(b, err)
			sealer, err := session.NewSealer(session.Config{
				Keys: []session.Key{{ID: "k1", Password: "bench-password-0123456789-abcdefghijklmnop"}}, Now: clock.Now,
			})
			require.NoError(b, err)
			svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{engine}, Sealer: sealer, Store: st, Now: clock.Now})
			require.NoError(b, err)
			b32 := base32.StdEncoding.WithPadding(base32.NoPadding)
			type pending struct {
				sub verify.Subject
				req verify.VerifyRequest
				id  string
			}
			todo := make(chan pending, b.N)
			for i := range b.N {
				sub := verify.Subject{ID: fmt.Sprintf("auth0|user%d", i)}
				en, err := svc.Start(ctx, sub, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{})
				require.NoError(b, err)
				secret, err := b32.DecodeString(en.ManualInputCode)
				require.NoError(b, err)
				code, err := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}.Code(clock.Now())
				require.NoError(b, err)
				todo <- pending{sub, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}, en.ID}
			}
			b.ReportAllocs()
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					p := <-todo
					if _, err := svc.Verify(ctx, p.sub, p.id, p.req, verify.Client{}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
