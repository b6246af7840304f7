package sqlstore_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/sqlstore"
	"github.com/verifykit/verifykit/store/storetest"
)

// The store rows of SECURITY-CHECKLIST section K (ST-*) on SQLite and
// PostgreSQL, and the rows on secrets at rest, one test each. ST-01 is also
// TestConformance: the shared suite on both backends.

// ST-06: attempt counters are atomic and windowed by the session's expiry.
//
// 1 000 parallel increments of one session's counter count 1 000,
// with two stores (two processes) sharing the database; the count
// resets once the session expires on the injected clock.
//
// ST-01 is TestConformance: the shared suite on both backends.
func TestParallelAttemptsAcrossProcessesAreAllCounted(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		dsn := b.dsn(t)
		stores := []*sqlstore.Store{open(t, b, dsn, clock.Now), open(t, b, dsn, clock.Now)}
		const n = 1000
		exp := clock.Now().Add(time.Minute)
		seen := make([]atomic.Bool, n+1)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				k, err := stores[i%2].Attempt(ctx, "sid", exp)
				if err == nil && (k < 1 || k > n || seen[k].Swap(true)) {
					err = fmt.Errorf("count %d out of range or seen twice", k)
				}
				if err != nil {
					errs <- err
				}
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		k, err := stores[0].Attempt(ctx, "sid", exp)
		require.NoError(t, err)
		assert.Equal(t, n+1, k)
		clock.Advance(time.Minute)
		k, err = stores[1].Attempt(ctx, "sid", clock.Now().Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, 1, k, "the count resets after the window")
	})
}

// ST-02: consuming an auth_session is atomic: one of concurrent commits wins.
//
// Single use across processes: 100 concurrent commits of one
// session through two stores on one database, exactly one wins.
func TestConcurrentCommitsAcrossProcessesHaveOneWinner(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		dsn := b.dsn(t)
		stores := []*sqlstore.Store{open(t, b, dsn, clock.Now), open(t, b, dsn, clock.Now)}
		var wins, consumed atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 100 {
			wg.Go(func() {
				<-start
				err := stores[i%2].Commit(ctx, commit("one", sampleMethod("u", fmt.Sprint("totp|", i)), clock.Now()))
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, store.ErrConsumed):
					consumed.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load())
		assert.Equal(t, int32(99), consumed.Load())
		ms, err := stores[0].List(ctx, "u")
		require.NoError(t, err)
		assert.Len(t, ms, 1)
	})
}

// ST-03: the TOTP last-step update is a compare-and-set.
//
// A TOTP sign-in advances the stored step in SignIn's conditional update
// (counter < step): of 40 concurrent sign-ins to step s through two
// stores, each with its own session, exactly one succeeds and the others
// fail with ErrStale; step s-1 after s is stale.
func TestTOTPStepAdvanceIsCompareAndSetAcrossProcesses(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		dsn := b.dsn(t)
		stores := []*sqlstore.Store{open(t, b, dsn, clock.Now), open(t, b, dsn, clock.Now)}
		m := sampleMethod("u", "totp|dev")
		m.Counter = 100
		require.NoError(t, stores[0].Commit(ctx, commit("sid", m, clock.Now())))
		signIn := func(s *sqlstore.Store, sid string, step int64) error {
			_, err := s.SignIn(ctx, store.SignIn{SessionID: sid, SessionExpires: clock.Now().Add(5 * time.Minute), Subject: "u", MethodID: m.ID, Counter: step})
			return err
		}
		var wins, stale atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 40 {
			wg.Go(func() {
				<-start
				switch err := signIn(stores[i%2], fmt.Sprintf("sid-%d", i), 101); {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, store.ErrStale):
					stale.Add(1)
				default:
					assert.NoError(t, err)
				}
			})
		}
		close(start)
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load())
		assert.Equal(t, int32(39), stale.Load())
		assert.ErrorIs(t, signIn(stores[1], "sid-late", 100), store.ErrStale, "step s-1 after s")
	})
}

// ST-05: a credential id is unique across all users.
//
// A global unique index on credential_id: another user's duplicate
// is a unique violation mapped to ErrDuplicateCredential, and the
// index is what refuses it (a direct INSERT fails too).
func TestDuplicateCredentialIDIsRefusedByTheUniqueIndex(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		s := open(t, b, b.dsn(t), clock.Now)
		a := sampleMethod("user-a", "passkey|a")
		a.CredentialID = []byte{0xca, 0xfe}
		require.NoError(t, s.Commit(ctx, commit("sid-a", a, clock.Now())))
		other := sampleMethod("user-b", "passkey|b")
		other.CredentialID = []byte{0xca, 0xfe}
		require.ErrorIs(t, s.Commit(ctx, commit("sid-b", other, clock.Now())), store.ErrDuplicateCredential)
		_, err := s.DB().Exec(`INSERT INTO verifykit_methods (id, subject, type, created_at, attrs, credential_id, counter, version)
				VALUES ('x', 'user-c', 'passkey', 0, $1, $2, 0, 1)`, []byte("{}"), []byte{0xca, 0xfe})
		require.Error(t, err, "the database itself refuses the duplicate")
	})
}

// ST-07: queries are parameterised and no forgeable tokens exist.
//
// Every query is parameterised: ids that are SQL are stored and
// found literally, and match nothing else. (The store has no
// pagination tokens.)
func TestQueriesAreParameterised(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		s := open(t, b, b.dsn(t), clock.Now)
		evil := "x'); DROP TABLE verifykit_methods; --"
		require.NoError(t, s.Commit(ctx, commit(evil, sampleMethod(evil, evil), clock.Now())))
		require.NoError(t, s.Commit(ctx, commit("sid", sampleMethod("u", "plain"), clock.Now())))
		got, err := s.Get(ctx, evil, evil)
		require.NoError(t, err)
		assert.Equal(t, evil, got.ID)
		for _, id := range []string{"x' OR '1'='1", "plain' --", "%", "_lain"} {
			_, err := s.Get(ctx, "u", id)
			assert.ErrorIs(t, err, store.ErrNotFound, id)
		}
		ms, err := s.List(ctx, "' OR 1=1 --")
		require.NoError(t, err)
		assert.Empty(t, ms)
		for _, bad := range []string{"\xff\xfe", "a\x00b", string(make([]byte, 1025)) /* longer than the 1024-byte id limit */} {
			_, err := s.Get(ctx, "u", bad)
			assert.ErrorIs(t, err, store.ErrNotFound, "an id the store cannot hold is not found")
			assert.ErrorIs(t, s.Delete(ctx, bad, "plain"), store.ErrNotFound)
			err = s.Commit(ctx, commit("sid-bad", sampleMethod("u", bad), clock.Now()))
			require.Error(t, err)
			assert.False(t, isStoreSentinel(err))
			n, err := s.Attempt(ctx, "sid-bad", clock.Now().Add(time.Minute))
			require.NoError(t, err)
			assert.Equal(t, 1, n, "a refused commit consumes nothing")
			_, err = s.DB().Exec(`DELETE FROM verifykit_sessions WHERE sid = 'sid-bad'`)
			require.NoError(t, err)
		}
	})
}

// ST-08: secrets at rest are AEAD-sealed, and one that does not open fails closed.
//
// Secrets are sealed with AES-256-GCM and a key id; a corrupt,
// truncated, moved or unknown-key secret fails closed with
// ErrDecrypt (an internal error: HTTP 500), never a panic, never
// a method.
func TestSecretsAreSealedAndFailClosed(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		for _, tc := range []struct {
			name   string
			mutate func(t *testing.T, s *sqlstore.Store)
		}{
			{"flipped byte", func(t *testing.T, s *sqlstore.Store) {
				var ct []byte
				require.NoError(t, s.DB().QueryRow(`SELECT secret FROM verifykit_methods WHERE id = 'victim'`).Scan(&ct))
				ct[len(ct)/2] ^= 1
				corrupt(t, s, `secret = $1 WHERE id = 'victim'`, ct)
			}},
			{"truncated", func(t *testing.T, s *sqlstore.Store) {
				corrupt(t, s, `secret = $1 WHERE id = 'victim'`, []byte{1, 2, 3})
			}},
			{"empty", func(t *testing.T, s *sqlstore.Store) {
				corrupt(t, s, `secret = $1 WHERE id = 'victim'`, []byte{})
			}},
			{"moved from another row", func(t *testing.T, s *sqlstore.Store) {
				var ct []byte
				require.NoError(t, s.DB().QueryRow(`SELECT secret FROM verifykit_methods WHERE id = 'other'`).Scan(&ct))
				corrupt(t, s, `secret = $1 WHERE id = 'victim'`, ct)
			}},
			{"moved to another subject", func(t *testing.T, s *sqlstore.Store) {
				corrupt(t, s, `subject = 'user-2' WHERE id = 'victim'`)
			}},
			{"unknown key id", func(t *testing.T, s *sqlstore.Store) {
				corrupt(t, s, `secret_key_id = 'k9' WHERE id = 'victim'`)
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t, b, b.dsn(t), clock.Now)
				require.NoError(t, s.Commit(ctx, commit("s1", sampleMethod("user-1", "victim"), clock.Now())))
				require.NoError(t, s.Commit(ctx, commit("s2", sampleMethod("user-1", "other"), clock.Now())))
				tc.mutate(t, s)
				subject := "user-1"
				if tc.name == "moved to another subject" {
					subject = "user-2"
				}
				m, err := s.Get(ctx, subject, "victim")
				require.ErrorIs(t, err, sqlstore.ErrDecrypt)
				assert.False(t, isStoreSentinel(err), "a decryption failure is internal, not a client outcome")
				assert.Empty(t, m.Secret)
				_, err = s.List(ctx, subject)
				require.ErrorIs(t, err, sqlstore.ErrDecrypt, "List fails closed")
				_, err = s.Get(ctx, "user-1", "other")
				require.NoError(t, err, "other rows still open")
			})
		}
	})
}

// ST-11: expiry follows the library's injected clock, never the database's now().
//
// Expiry follows the injected clock, never the database's now():
// with the library's clock an hour behind and a year ahead of the
// server, sessions expire exactly when the library's clock says.
func TestExpiryFollowsTheLibraryClockNotTheDatabase(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		for _, offset := range []time.Duration{-time.Hour, 5 * time.Minute, 365 * 24 * time.Hour} {
			clock := storetest.NewClock(time.Now().Add(offset).Truncate(time.Millisecond))
			s := open(t, b, b.dsn(t), clock.Now)
			exp := clock.Now().Add(time.Minute)
			for want := 1; want <= 2; want++ {
				n, err := s.Attempt(ctx, "sid", exp)
				require.NoError(t, err)
				assert.Equal(t, want, n, "offset %v", offset)
			}
			clock.Advance(time.Minute - time.Microsecond)
			n, err := s.Attempt(ctx, "sid", exp)
			require.NoError(t, err)
			assert.Equal(t, 3, n, "offset %v: live until the library's clock reaches expiry", offset)
			purged, err := s.Purge(ctx)
			require.NoError(t, err)
			assert.Zero(t, purged, "offset %v: not purged before expiry", offset)
			clock.Advance(time.Microsecond)
			n, err = s.Attempt(ctx, "sid", exp.Add(time.Minute))
			require.NoError(t, err)
			assert.Equal(t, 1, n, "offset %v: expired at the library's expiry", offset)
		}
	})
}

// ST-12: migrations are idempotent and reversible.
func TestMigrationsAreReversibleAndIdempotent(t *testing.T) {
	testMigrationsReversible(t)
}

// ST-10: the context is honoured and no write is partial.
//
// A call blocked behind another writer's lock returns the
// context's error when its deadline passes, and writes nothing.
func TestBlockedCallReturnsAtItsDeadlineAndWritesNothing(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		s := open(t, b, b.dsn(t), clock.Now)
		require.NoError(t, s.Commit(ctx, commit("sid-0", sampleMethod("u", "m"), clock.Now())))
		// Another process holds the write lock (SQLite) or the row
		// lock of session "sid" (PostgreSQL).
		conn, err := s.DB().Conn(ctx)
		require.NoError(t, err)
		defer conn.Close()
		lock := `BEGIN IMMEDIATE`
		if b.driver == sqlstore.DriverPostgres {
			lock = `BEGIN; INSERT INTO verifykit_sessions (sid, expires_at, attempts, consumed) VALUES ('sid', 0, 0, false)`
		}
		_, err = conn.ExecContext(ctx, lock)
		require.NoError(t, err)
		dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		err = s.Commit(dctx, commit("sid", sampleMethod("u", "m2"), clock.Now()))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		_, err = conn.ExecContext(ctx, `ROLLBACK`)
		require.NoError(t, err)
		_, err = s.Get(ctx, "u", "m2")
		assert.ErrorIs(t, err, store.ErrNotFound, "nothing written")
		n, err := s.Attempt(ctx, "sid", clock.Now().Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, 1, n, "the session was not consumed")
	})
}

// PU-01: a push binding ticket is single use and stored only as a hash.
//
// A push ticket is redeemed once across processes: 50 devices
// redeeming one ticket through two stores on one database, one
// wins. The row holds the ticket's hash only, and the device's
// push token sealed.
func TestPushTicketIsRedeemedOnceAcrossProcesses(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		dsn := b.dsn(t)
		stores := []*sqlstore.Store{open(t, b, dsn, clock.Now), open(t, b, dsn, clock.Now)}
		tk := pushTicket("ticket-plaintext", "alice", clock)
		tk.MethodID = "push-notification|dev_1" // the sample's id is named after the ticket
		require.NoError(t, stores[0].CreatePushTicket(ctx, tk))
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 50 {
			wg.Go(func() {
				<-start
				d := pushDevice(fmt.Sprint("dev", i), clock)
				d.Token = fmt.Sprint("push-token-secret-", i)
				_, err := stores[i%2].RedeemPushTicket(ctx, tk.Hash, d)
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, store.ErrConsumed):
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load())
		got, err := stores[1].PushTicket(ctx, tk.Hash)
		require.NoError(t, err)
		require.NotNil(t, got.Device)
		assert.Contains(t, got.Device.Token, "push-token-secret-")
		var raw [][]byte
		rows, err := stores[0].DB().Query(`SELECT subject, method_id, device_identifier, device_token FROM verifykit_push_tickets`)
		require.NoError(t, err)
		for rows.Next() {
			var a, b, c, d []byte
			require.NoError(t, rows.Scan(&a, &b, &c, &d))
			raw = append(raw, a, b, c, d)
		}
		require.NoError(t, rows.Close())
		assertAbsent(t, raw, []byte("ticket-plaintext"), []byte("push-token-secret"))
	})
}

// TO-12: the TOTP secret is encrypted at rest.
//
// The TOTP secret is ciphertext in the SQL row: neither its bytes
// nor its base32 form appear in any column.
func TestTOTPSecretIsNotInTheRow(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		s := open(t, b, b.dsn(t), clock.Now)
		key := []byte("12345678901234567890") // RFC 6238 test key
		m := sampleMethod("user-1", "totp|dev_1")
		m.Secret = key
		require.NoError(t, s.Commit(ctx, commit("sid", m, clock.Now())))
		b32 := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(key)
		assertAbsent(t, rawRows(t, s.DB()), key, []byte(b32), []byte(hex.EncodeToString(key)), key[:8])
		got, err := s.Get(ctx, "user-1", m.ID)
		require.NoError(t, err)
		assert.Equal(t, key, got.Secret)
	})
}

// OT-07: codes are stored only as keyed hashes, sealed at rest.
//
// Whatever an engine keeps as a method secret (here a keyed hash
// of a code) is not in the SQL row, neither is the code.
func TestCodeHashIsNotInTheRow(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		s := open(t, b, b.dsn(t), clock.Now)
		hash := []byte("hmac-sha256:5f2b0c1d9e8a7b6c5d4e3f2a1b0c9d8e")
		m := sampleMethod("user-1", "email|dev_1")
		m.Secret = hash
		require.NoError(t, s.Commit(ctx, commit("sid", m, clock.Now())))
		assertAbsent(t, rawRows(t, s.DB()), hash, []byte("5f2b0c1d"), []byte("483920"))
	})
}

// RC-02: recovery codes are stored hashed, never in plaintext.
//
// A recovery code's stored hash is not in the SQL row, and equal
// secrets seal to different ciphertexts (random nonce per row).
func TestRecoveryCodeHashIsSealedWithAFreshNonce(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		s := open(t, b, b.dsn(t), clock.Now)
		secret := []byte("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo")
		for _, id := range []string{"recovery-code|a", "recovery-code|b"} {
			m := sampleMethod("user-1", id)
			m.Secret = secret
			require.NoError(t, s.Commit(ctx, commit("sid-"+id, m, clock.Now())))
		}
		assertAbsent(t, rawRows(t, s.DB()), secret, []byte("argon2id"), []byte("aGFzaGhhc2hoYXNo"))
		var a, c []byte
		require.NoError(t, s.DB().QueryRow(`SELECT secret FROM verifykit_methods WHERE id = 'recovery-code|a'`).Scan(&a))
		require.NoError(t, s.DB().QueryRow(`SELECT secret FROM verifykit_methods WHERE id = 'recovery-code|b'`).Scan(&c))
		assert.NotEqual(t, a, c)
	})
}

var ctx = context.Background()

func commit(sid string, m store.Method, now time.Time) store.Commit {
	return store.Commit{SessionID: sid, SessionExpires: now.Add(5 * time.Minute), Method: m}
}

// rawRows returns every column of every row of the verifykit tables, as
// the database holds them.
func rawRows(t *testing.T, db *sql.DB) [][]byte {
	t.Helper()
	var out [][]byte
	for _, table := range []string{"verifykit_methods", "verifykit_sessions"} {
		rows, err := db.Query(`SELECT * FROM ` + table)
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			for _, v := range vals {
				out = append(out, fmt.Append(nil, v))
				if b, ok := v.([]byte); ok {
					out = append(out, b)
				}
			}
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
	}
	require.NotEmpty(t, out)
	return out
}

// assertAbsent fails t if any raw column holds any of the needles.
func assertAbsent(t *testing.T, raw [][]byte, needles ...[]byte) {
	t.Helper()
	for _, col := range raw {
		for _, n := range needles {
			assert.False(t, bytes.Contains(col, n), "raw column holds plaintext %q", n)
		}
	}
}

// corrupt runs an UPDATE on the stored row of method id.
func corrupt(t *testing.T, s *sqlstore.Store, set string, args ...any) {
	t.Helper()
	res, err := s.DB().Exec(`UPDATE verifykit_methods SET `+set, args...)
	require.NoError(t, err)
	n, err := res.RowsAffected()
	require.NoError(t, err)
	require.Positive(t, n)
}

// isStoreSentinel reports whether err matches a store sentinel: such an
// error is a client outcome; anything else is an internal failure (500).
func isStoreSentinel(err error) bool {
	for _, s := range []error{store.ErrNotFound, store.ErrConsumed, store.ErrExists,
		store.ErrDuplicateCredential, store.ErrConflict, store.ErrFull} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
