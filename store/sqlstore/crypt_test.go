package sqlstore_test

import (
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store/sqlstore"
	"github.com/verifykit/verifykit/store/storetest"
)

func keyIDOf(t *testing.T, db *sql.DB, id string) string {
	t.Helper()
	var k string
	require.NoError(t, db.QueryRow(`SELECT secret_key_id FROM verifykit_methods WHERE id = $1`, id).Scan(&k))
	return k
}

// TestKeyRotation: new rows are sealed under the first key, old rows
// still open under theirs, Rotate re-seals them, and then the old key can
// leave the ring.
func TestKeyRotation(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		dsn := b.dsn(t)
		k1, k2 := testKey("2026-01", 1), testKey("2026-07", 99)

		s1 := open(t, b, dsn, clock.Now, k1)
		for _, id := range []string{"old-1", "old-2"} {
			require.NoError(t, s1.Commit(ctx, commit("sid-"+id, sampleMethod("u", id), clock.Now())))
		}

		s2 := open(t, b, dsn, clock.Now, k2, k1)
		require.NoError(t, s2.Commit(ctx, commit("sid-new", sampleMethod("u", "new"), clock.Now())))
		assert.Equal(t, "2026-01", keyIDOf(t, s2.DB(), "old-1"))
		assert.Equal(t, "2026-07", keyIDOf(t, s2.DB(), "new"), "new rows use the current key")
		ms, err := s2.List(ctx, "u")
		require.NoError(t, err)
		require.Len(t, ms, 3, "old rows still open")
		for _, m := range ms {
			assert.Equal(t, "secret of "+m.ID, string(m.Secret))
		}

		// An update re-seals under the current key.
		m, err := s2.Get(ctx, "u", "old-2")
		require.NoError(t, err)
		_, err = s2.Update(ctx, m)
		require.NoError(t, err)
		assert.Equal(t, "2026-07", keyIDOf(t, s2.DB(), "old-2"))

		only2 := open(t, b, dsn, clock.Now, k2)
		_, err = only2.Get(ctx, "u", "old-1")
		require.ErrorIs(t, err, sqlstore.ErrDecrypt, "a row under a key no longer in the ring fails closed")
		_, err = only2.Rotate(ctx)
		require.ErrorIs(t, err, sqlstore.ErrDecrypt, "the new ring alone cannot rotate old rows")

		n, err := s2.Rotate(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, n, "one row was still under the old key")
		assert.Equal(t, "2026-07", keyIDOf(t, s2.DB(), "old-1"))
		n, err = s2.Rotate(ctx)
		require.NoError(t, err)
		assert.Zero(t, n)

		ms, err = only2.List(ctx, "u")
		require.NoError(t, err, "after rotation the old key can go")
		require.Len(t, ms, 3)
		for _, m := range ms {
			assert.Equal(t, "secret of "+m.ID, string(m.Secret))
		}
	})
}

func TestConfig(t *testing.T) {
	dsn := sqliteDB(t)
	var zero sqlstore.Key
	zero.ID = "zero"
	for _, tc := range []struct {
		name string
		cfg  sqlstore.Config
		want string
	}{
		{"no driver", sqlstore.Config{DSN: dsn, Keys: testKeys}, "Driver is required"},
		{"unknown driver", sqlstore.Config{Driver: "mysql", DSN: dsn, Keys: testKeys}, `driver "mysql" not supported`},
		{"no keys", sqlstore.Config{Driver: "sqlite", DSN: dsn}, "Keys is empty"},
		{"zero key", sqlstore.Config{Driver: "sqlite", DSN: dsn, Keys: []sqlstore.Key{zero}}, "all zero"},
		{"empty key id", sqlstore.Config{Driver: "sqlite", DSN: dsn, Keys: []sqlstore.Key{testKey("", 1)}}, "length 0 out of range [1, 64]"},
		{"bad key id", sqlstore.Config{Driver: "sqlite", DSN: dsn, Keys: []sqlstore.Key{testKey("a b", 1)}}, "outside [A-Za-z0-9._-]"},
		{"duplicate key id", sqlstore.Config{Driver: "sqlite", DSN: dsn, Keys: []sqlstore.Key{testKey("a", 1), testKey("a", 2)}}, "appears twice"},
		{"no dsn", sqlstore.Config{Driver: "sqlite", Keys: testKeys}, "DSN or Config.DB is required"},
		{"conns", sqlstore.Config{Driver: "sqlite", DSN: dsn, Keys: testKeys, MaxOpenConns: 2000}, "MaxOpenConns 2000 out of range [1, 1024]"},
		{"unreachable", sqlstore.Config{Driver: "pgx", DSN: "postgres://nobody@127.0.0.1:1/x?connect_timeout=2", Keys: testKeys}, "connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlstore.Open(ctx, tc.cfg)
			require.ErrorContains(t, err, tc.want)
			assert.Nil(t, s)
		})
	}
}

// TestSharedDB: a *sql.DB of the host is used and left open.
func TestSharedDB(t *testing.T) {
	db, err := sql.Open(sqlstore.DriverSQLite, sqliteDB(t)+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer db.Close()
	s, err := sqlstore.Open(ctx, sqlstore.Config{Driver: sqlstore.DriverSQLite, DB: db, Keys: testKeys})
	require.NoError(t, err)
	n, err := s.Attempt(ctx, "sid", storetest.Epoch.Add(1e12))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.NoError(t, s.Close())
	require.NoError(t, db.Ping(), "Close leaves a shared DB open")
}

// TestSQLiteMemory: an in-memory database works (one connection).
func TestSQLiteMemory(t *testing.T) {
	clock := storetest.NewClock(storetest.Epoch)
	s, err := sqlstore.Open(ctx, sqlstore.Config{Driver: sqlstore.DriverSQLite, DSN: ":memory:", Keys: testKeys, Now: clock.Now})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Commit(ctx, commit("sid", sampleMethod("u", "m"), clock.Now())))
	_, err = s.Get(ctx, "u", "m")
	require.NoError(t, err)
}
