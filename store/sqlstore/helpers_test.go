package sqlstore_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/peer"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/sqlstore"
	"github.com/verifykit/verifykit/store/storetest"
)

// PostgresEnv names the environment variable holding the DSN of the real
// PostgreSQL server the tests use (.ci/services start sets it up).
const PostgresEnv = "VERIFYKIT_POSTGRES_DSN"

// missingPeer skips t on a laptop without the peer, and fails it in CI.
func missingPeer(t testing.TB, msg string) {
	t.Helper()
	peer.Missing(t, "%s", msg)
}

func testKey(id string, b byte) sqlstore.Key {
	k := sqlstore.Key{ID: id}
	for i := range k.Secret {
		k.Secret[i] = b + byte(i)
	}
	return k
}

var testKeys = []sqlstore.Key{testKey("k1", 1)}

// backend is one database the tests run against.
type backend struct {
	name   string
	driver string
	// dsn returns the DSN of a fresh, empty database (or schema) that is
	// dropped when t ends; several stores may open it.
	dsn func(t testing.TB) string
}

var backends = []backend{
	{"sqlite", sqlstore.DriverSQLite, sqliteDB},
	{"postgres", sqlstore.DriverPostgres, postgresSchema},
}

func sqliteDB(t testing.TB) string {
	return filepath.Join(t.TempDir(), "verifykit.db")
}

// postgresSchema creates a schema of its own in the test database and
// returns a DSN whose search_path is that schema, so that tests and
// packages running in parallel never see each other's tables.
func postgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		missingPeer(t, PostgresEnv+" is not set: run `.ci/services start` and eval \"$(.ci/services env)\"")
	}
	db, err := sql.Open(sqlstore.DriverPostgres, base)
	require.NoError(t, err)
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "vk_test_" + hex.EncodeToString(b[:])
	_, err = db.Exec(`CREATE SCHEMA ` + schema)
	require.NoError(t, err, "create schema in %s", PostgresEnv)
	t.Cleanup(func() {
		_, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		require.NoError(t, err)
		require.NoError(t, db.Close())
	})
	u, err := url.Parse(base)
	require.NoError(t, err, "%s must be a postgres:// URL", PostgresEnv)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// open opens a store on dsn with keys and clock now, closed when t ends.
func open(t testing.TB, b backend, dsn string, now func() time.Time, keys ...sqlstore.Key) *sqlstore.Store {
	t.Helper()
	if len(keys) == 0 {
		keys = testKeys
	}
	s, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: b.driver, DSN: dsn, Keys: keys, Now: now})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// forEach runs f as a subtest per backend.
func forEach(t *testing.T, f func(t *testing.T, b backend)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

// sampleMethod returns a sample method of subject with id.
func sampleMethod(subject, id string) store.Method {
	return store.Method{
		ID: id, Subject: subject, Type: "totp",
		CreatedAt: storetest.Epoch.Truncate(time.Millisecond),
		Attrs:     []byte(`{"name":"` + id + `"}`),
		Secret:    []byte("secret of " + id),
	}
}

// pushTicket returns a sample ticket for subject named name, expiring in
// five minutes on clock.
func pushTicket(name, subject string, clock *storetest.Clock) store.PushTicket {
	h := sha256.Sum256([]byte(name))
	return store.PushTicket{
		Hash: h[:], Subject: subject, MethodID: "push-notification|dev_" + name,
		Expires: clock.Now().Add(5 * time.Minute).Truncate(time.Millisecond),
		Secret:  []byte("totp secret of " + name),
	}
}

// pushDevice returns a sample device named name.
func pushDevice(name string, clock *storetest.Clock) store.PushDevice {
	th := sha256.Sum256([]byte("device token " + name))
	return store.PushDevice{
		Identifier: "device-" + name, Name: "Phone " + name, Service: "FCM", Token: "token-" + name,
		PublicKey:  []byte(`{"kty":"EC","crv":"P-256","x":"` + name + `","y":"y"}`),
		TokenHash:  th[:],
		EnrolledAt: clock.Now().Truncate(time.Millisecond),
	}
}

// nonceKey returns a sample nonce key named name: a SHA-256 digest, as
// callers pass.
func nonceKey(name string) []byte {
	h := sha256.Sum256([]byte("nonce|" + name))
	return h[:]
}
