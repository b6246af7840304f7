// Package sqlstore implements the verifykit store interfaces on
// database/sql, for PostgreSQL (through pgx's stdlib driver) and SQLite
// (through modernc.org/sqlite, pure Go: CGO_ENABLED=0 builds work), so that
// many server processes share the attempts, single use and methods that
// keep enrollment safe.
//
//	s, err := sqlstore.Open(ctx, sqlstore.Config{
//		Driver: sqlstore.DriverPostgres,
//		DSN:    "postgres://verifykit@db.internal/app?sslmode=verify-full",
//		Keys:   []sqlstore.Key{{ID: "2026-07", Secret: key}}, // 32 random bytes
//	})
//
// # Atomicity
//
// The operations the store contract requires to be atomic are atomic in
// the database, not in Go (store package, "Atomicity"):
//   - Attempt is one INSERT … ON CONFLICT DO UPDATE … RETURNING: the row is
//     locked while it is counted, and an expired record restarts at one;
//   - Commit is one transaction: a conditional upsert consumes the session
//     (it changes no row when a live record is consumed already, which is
//     ErrConsumed), then the method is inserted (ON CONFLICT (id) DO
//     NOTHING: ErrExists) or replaced (UPDATE … WHERE version = Replace);
//     the unique index on credential_id refuses a duplicate credential
//     (ErrDuplicateCredential) and the rollback returns the session
//     unconsumed;
//   - SignIn is one transaction: the same conditional upsert consumes the
//     session, then one UPDATE … WHERE subject, version (when given) and
//     counter < n (when given) writes the method; when it changes no row
//     the transaction rolls back, the session unconsumed;
//   - DeletePrimary is one transaction holding the subject (PostgreSQL: a
//     transaction-scoped advisory lock on it, also taken by a Commit with
//     MaxMethods; SQLite: the write lock): the subject's ids are read, the
//     guard checked and the method deleted;
//   - Update is UPDATE … WHERE version = v.
//
// On PostgreSQL the transactions run at READ COMMITTED: the statements
// above lock the rows they change and unique indexes decide races between
// processes. Serialization failures (40001) and deadlocks (40P01) are
// retried a bounded number of times. On SQLite every write transaction is
// BEGIN IMMEDIATE (the write lock is taken before the first read), writes
// of one process queue in Go, and processes sharing the file wait up to
// the busy timeout. Unique violations are recognized by SQLSTATE 23505 and
// SQLite's extended result codes, never by message text.
//
// # Time
//
// Every expiry is evaluated with Config.Now, the library's clock, and
// stored as Unix microseconds; the database server's now() is never used
// (SECURITY-CHECKLIST ST-11). Processes sharing a database must keep their
// clocks synchronized, as they must for the auth_sessions they seal.
// Expired session records stay until Purge deletes them; run it
// periodically (examples/server does).
//
// # Security
//
// Method secrets (TOTP keys, keyed hashes of codes, password hashes) are
// sealed with AES-256-GCM before they reach the database: a random 96-bit
// nonce per write, the key id stored beside the ciphertext, and the
// table, column, method id and subject as associated data, so that a
// ciphertext copied into another row or another user's row does not open.
// A secret that does not open (altered, truncated, moved, or under a key
// no longer in the ring) fails closed with ErrDecrypt, an internal error
// that callers report as such (HTTP 500), never as a method. Nothing
// secret is logged or put in error messages.
//
// Keys rotate without downtime: put the new key first in Config.Keys (it
// seals every new and updated row), keep the old ones (they open the rows
// they sealed), run Rotate to re-seal the old rows, then drop the old
// keys. Random nonces bound each key to 2^32 seals (NIST SP 800-38D §8.3):
// rotate well before.
//
// Session ids, method ids and subjects are stored as given (they are not
// secret: the auth_session that carries a session id is sealed), attrs as
// the JSON bytes package verify encodes (names, phone numbers, e-mail
// addresses: personal data, not secrets). Every query is parameterised;
// ids that are not valid UTF-8, contain NUL or exceed 1024 bytes are
// refused on write and never found on read; credential ids are at most
// 1023 bytes (WebAuthn §5.8.3), attrs and secrets at most 1 MiB each.
//
// # Storage
//
// The schema is created by embedded, numbered migrations (migrations/),
// applied by Open in one transaction, serialized between processes (a
// PostgreSQL advisory lock; SQLite's write lock), recorded in
// verifykit_schema_migrations, and reversible with Migrate. Tables:
// verifykit_sessions (attempts and consumption per session id),
// verifykit_methods (confirmed methods; unique indexes on id and on
// credential_id across all subjects), verifykit_push_tickets (push
// enrollment tickets by hash, store.PushDevices; the device's push token
// sealed like method secrets, bound to its ticket) and verifykit_nonces
// (single-use nonces, store.Nonces). Redemption of a push ticket and use
// of a nonce are single conditional statements, single across processes. To isolate verifykit in PostgreSQL,
// give its role its own schema and set search_path in the DSN.
package sqlstore
