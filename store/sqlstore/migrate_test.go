package sqlstore_test

import (
	"database/sql"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/sqlstore"
	"github.com/verifykit/verifykit/store/storetest"
)

// uniqueIndexes returns the unique indexes of the verifykit tables, by
// name, as the database's catalog reports them.
func uniqueIndexes(t *testing.T, b backend, db *sql.DB) map[string]bool {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'verifykit_%' AND sql LIKE 'CREATE UNIQUE INDEX%'`
	if b.driver == sqlstore.DriverPostgres {
		q = `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename LIKE 'verifykit_%' AND indexdef LIKE 'CREATE UNIQUE INDEX%'`
	}
	rows, err := db.Query(q)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		out[name] = true
	}
	require.NoError(t, rows.Err())
	return out
}

func tableExists(t *testing.T, b backend, db *sql.DB, table string) bool {
	t.Helper()
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if b.driver == sqlstore.DriverPostgres {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	require.NoError(t, db.QueryRow(q, table).Scan(&n))
	return n == 1
}

// testMigrationsReversible is SECURITY-CHECKLIST ST-12: migrations are
// idempotent and reversible (up → down → up), with the unique indexes in
// place after each up and enforced.
func testMigrationsReversible(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		clock := storetest.NewClock(storetest.Epoch)
		dsn := b.dsn(t)
		s := open(t, b, dsn, clock.Now)
		db := s.DB()
		want := []string{"verifykit_methods_credential_id"}
		if b.driver == sqlstore.DriverPostgres { // SQLite's primary keys are not CREATE UNIQUE INDEX
			want = append(want, "verifykit_methods_pkey", "verifykit_sessions_pkey")
		}
		for round := range 2 {
			v, err := sqlstore.CurrentSchemaVersion(ctx, db, b.driver)
			require.NoError(t, err)
			assert.Equal(t, sqlstore.SchemaVersion, v)
			idx := uniqueIndexes(t, b, db)
			for _, name := range want {
				assert.True(t, idx[name], "round %d: unique index %s exists", round, name)
			}

			require.NoError(t, sqlstore.Migrate(ctx, db, b.driver, 0), "down")
			for _, table := range []string{"verifykit_methods", "verifykit_sessions", "verifykit_schema_migrations"} {
				assert.False(t, tableExists(t, b, db, table), "round %d: %s dropped", round, table)
			}
			require.NoError(t, sqlstore.Migrate(ctx, db, b.driver, 0), "down again is a no-op")
			require.NoError(t, sqlstore.Migrate(ctx, db, b.driver, sqlstore.SchemaVersion), "up")
			require.NoError(t, sqlstore.Migrate(ctx, db, b.driver, sqlstore.SchemaVersion), "up again is a no-op")
		}
		a := sampleMethod("u1", "passkey|1")
		a.CredentialID = []byte("cred")
		require.NoError(t, s.Commit(ctx, commit("s1", a, clock.Now())))
		dup := sampleMethod("u2", "passkey|2")
		dup.CredentialID = []byte("cred")
		require.ErrorIs(t, s.Commit(ctx, commit("s2", dup, clock.Now())), store.ErrDuplicateCredential, "the re-created index is enforced")
	})
}

func TestMigrations(t *testing.T) {

	t.Run("IdempotentOpen", func(t *testing.T) {
		// Processes starting together migrate once: concurrent Opens of a
		// fresh database all succeed and record each migration once.
		forEach(t, func(t *testing.T, b backend) {
			dsn := b.dsn(t)
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					s, err := sqlstore.Open(ctx, sqlstore.Config{Driver: b.driver, DSN: dsn, Keys: testKeys})
					if assert.NoError(t, err) {
						assert.NoError(t, s.Close())
					}
				})
			}
			wg.Wait()
			s := open(t, b, dsn, nil)
			var n int
			require.NoError(t, s.DB().QueryRow(`SELECT COUNT(*) FROM verifykit_schema_migrations`).Scan(&n))
			assert.Equal(t, sqlstore.SchemaVersion, n)
		})
	})

	t.Run("NewerSchemaRefused", func(t *testing.T) {
		forEach(t, func(t *testing.T, b backend) {
			dsn := b.dsn(t)
			s := open(t, b, dsn, nil)
			_, err := s.DB().Exec(`INSERT INTO verifykit_schema_migrations (version, applied_at) VALUES (99, 0)`)
			require.NoError(t, err)
			_, err = sqlstore.Open(ctx, sqlstore.Config{Driver: b.driver, DSN: dsn, Keys: testKeys})
			require.ErrorContains(t, err, "schema version 99 is newer")
			require.Error(t, sqlstore.Migrate(ctx, s.DB(), b.driver, 0), "nor migrated down by an older build")
		})
	})

	t.Run("OutOfRange", func(t *testing.T) {
		s := open(t, backends[0], sqliteDB(t), nil)
		for _, v := range []int{-1, sqlstore.SchemaVersion + 1} {
			assert.ErrorContains(t, sqlstore.Migrate(ctx, s.DB(), sqlstore.DriverSQLite, v), "out of range")
		}
		assert.ErrorContains(t, sqlstore.Migrate(ctx, s.DB(), "mysql", 1), "not supported")
	})
}
