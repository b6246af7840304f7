package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/verifykit/verifykit/store"
)

// Limits of Config (stated in its field comments) and of stored values
// (stated in the package documentation).
const (
	defaultMaxOpenConns = 16
	maxMaxOpenConns     = 1024
	// maxIDLength bounds session ids, method ids, subjects and types, in
	// bytes. Longer values are refused on write and not found on read.
	maxIDLength = 1024
	// maxCredentialIDLength bounds credential ids (WebAuthn's limit is
	// 1023 bytes, §5.8.3).
	maxCredentialIDLength = 1023
	// maxValueLength bounds Attrs and Secret.
	maxValueLength = 1 << 20
	// maxRetries bounds how often one operation is run again after a
	// serialization failure, deadlock or busy database.
	maxRetries = 5
)

// Config configures a Store. It is validated by Open and not used
// afterwards.
type Config struct {
	// Driver is DriverPostgres ("pgx") or DriverSQLite ("sqlite").
	// Required: it selects the SQL dialect, also when DB is set.
	Driver string
	// DSN is the data source opened with Driver: a PostgreSQL URL or
	// keyword/value string ("postgres://user@host/db?sslmode=verify-full"),
	// or an SQLite file name ("/var/lib/app/verifykit.db"). To SQLite DSNs
	// Open adds busy_timeout(10000) and journal_mode(WAL) unless they set
	// their own. Required unless DB is set.
	DSN string
	// DB, when set, is used instead of opening DSN; Close leaves it open.
	// For SQLite, set a busy timeout on its connections (see DSN).
	DB *sql.DB
	// Keys is the key ring for the secret columns: the first key seals new
	// and updated rows, every key opens the rows it sealed (rotation: put a
	// new key first, keep the old ones until Rotate has re-sealed their
	// rows). Required: secrets are never stored in the clear.
	Keys []Key
	// Now is the clock every expiry is evaluated with; nil means time.Now.
	// The database server's clock is never used (SECURITY-CHECKLIST ST-11).
	Now func() time.Time
	// MaxOpenConns bounds the connections of a store opened from DSN.
	// Default 16 (1 for an in-memory SQLite database, which exists once per
	// connection); range [1, 1024]. Ignored when DB is set.
	MaxOpenConns int
}

// Store implements store.Store, store.Purger, store.PushDevices and
// store.Nonces on database/sql. It is
// safe for concurrent use, by many goroutines and many processes sharing
// one database.
type Store struct {
	db   *sql.DB
	own  bool // db was opened by Open: Close closes it
	d    dialect
	keys *keyRing
	now  func() time.Time
	// wsem serializes this process's SQLite writers, so that they queue in
	// Go (honouring their contexts) instead of in SQLite's busy handler.
	wsem chan struct{}
}

var (
	_ store.Store       = (*Store)(nil)
	_ store.Purger      = (*Store)(nil)
	_ store.PushDevices = (*Store)(nil)
	_ store.Nonces      = (*Store)(nil)

	_ store.AttemptRefunder = (*Store)(nil)
)

// Open validates cfg, connects, migrates the schema up to SchemaVersion
// and returns the Store.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	d, err := parseDriver(cfg.Driver)
	if err != nil {
		return nil, err
	}
	keys, err := newKeyRing(cfg.Keys)
	if err != nil {
		return nil, err
	}
	if cfg.MaxOpenConns < 0 || cfg.MaxOpenConns > maxMaxOpenConns {
		return nil, fmt.Errorf("sqlstore: MaxOpenConns %d out of range [1, %d]", cfg.MaxOpenConns, maxMaxOpenConns)
	}
	s := &Store{db: cfg.DB, d: d, keys: keys, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if d == sqlite {
		s.wsem = make(chan struct{}, 1)
	}
	if s.db == nil {
		if cfg.DSN == "" {
			return nil, errors.New("sqlstore: Config.DSN or Config.DB is required")
		}
		dsn, conns := cfg.DSN, cfg.MaxOpenConns
		if conns == 0 {
			conns = defaultMaxOpenConns
		}
		if d == sqlite {
			if isMemoryDSN(dsn) {
				conns = 1
			}
			dsn = sqliteDSN(dsn)
		}
		if s.db, err = sql.Open(d.driverName(), dsn); err != nil {
			return nil, fmt.Errorf("sqlstore: open: %w", err)
		}
		s.own = true
		s.db.SetMaxOpenConns(conns)
		s.db.SetMaxIdleConns(conns)
		s.db.SetConnMaxIdleTime(5 * time.Minute)
	} else if cfg.DSN != "" {
		return nil, errors.New("sqlstore: set Config.DSN or Config.DB, not both")
	}
	if err := s.connect(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlstore: connect: %w", err)
	}
	if err := s.retry(ctx, func() error {
		_, err := migrate(ctx, s.db, d, SchemaVersion, s.now)
		return err
	}); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database if Open opened it.
func (s *Store) Close() error {
	if s.own {
		return s.db.Close()
	}
	return nil
}

// DB returns the store's database handle.
func (s *Store) DB() *sql.DB { return s.db }

// lockWrite takes this process's SQLite write slot; release gives it back.
func (s *Store) lockWrite(ctx context.Context) (release func(), err error) {
	if s.wsem == nil {
		return func() {}, nil
	}
	select {
	case s.wsem <- struct{}{}:
		return func() { <-s.wsem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// retry runs fn until it succeeds, fails with an error that is not
// retryable, or has run maxRetries+1 times.
func (s *Store) retry(ctx context.Context, fn func() error) error {
	var err error
	for range maxRetries + 1 {
		if err = ctx.Err(); err != nil {
			return err
		}
		if err = fn(); err == nil || !isRetryable(err) {
			break
		}
	}
	return err
}

// connect opens the first connection, waiting out a busy database: SQLite
// answers SQLITE_BUSY at once, without its busy handler, when connections
// of several processes switch a fresh file to WAL together, so a retryable
// error is retried with a growing pause (10 ms to 320 ms, about 2.5 s in
// all) until ctx ends.
func (s *Store) connect(ctx context.Context) error {
	pause := 10 * time.Millisecond
	for {
		err := s.db.PingContext(ctx)
		if err == nil || !isRetryable(err) || pause > 320*time.Millisecond {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		pause *= 2
	}
}

// write runs fn as a write: in a transaction when tx is set, serialized
// with the process's other SQLite writes, retried when retryable.
func (s *Store) write(ctx context.Context, tx bool, fn func(q querier) error) error {
	return s.retry(ctx, func() error {
		release, err := s.lockWrite(ctx)
		if err != nil {
			return err
		}
		defer release()
		if tx {
			return inTx(ctx, s.db, s.d, fn)
		}
		return fn(s.db)
	})
}

// fail wraps err for op, reporting the context's error when the context
// ended (so that errors.Is(err, context.Canceled) holds whatever the
// driver made of it). Sentinels keep matching with errors.Is.
func fail(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !isSentinel(err) {
		return fmt.Errorf("sqlstore: %s: %w", op, cerr)
	}
	return fmt.Errorf("sqlstore: %s: %w", op, err)
}

func isSentinel(err error) bool {
	for _, s := range []error{store.ErrNotFound, store.ErrConsumed, store.ErrExists,
		store.ErrDuplicateCredential, store.ErrConflict, store.ErrFull, store.ErrLimit, store.ErrStale, store.ErrLastPrimary} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// validKey reports whether v can be stored as an id: bounded, valid UTF-8
// (PostgreSQL TEXT refuses anything else) and without NUL.
func validKey(v string) bool {
	if len(v) == 0 || len(v) > maxIDLength || !utf8.ValidString(v) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] == 0 {
			return false
		}
	}
	return true
}

func micros(t time.Time) int64 { return t.UnixMicro() }

// Attempt implements store.Store with one upsert: a new or expired
// record starts at one attempt, a live one counts up, a consumed one
// refuses.
func (s *Store) Attempt(ctx context.Context, sid string, expires time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !validKey(sid) {
		return 0, fmt.Errorf("sqlstore: attempt: session id invalid or longer than %d bytes", maxIDLength)
	}
	var (
		n        int
		consumed bool
	)
	err := s.write(ctx, false, func(q querier) error {
		return q.QueryRowContext(ctx, `
INSERT INTO verifykit_sessions AS s (sid, expires_at, attempts, consumed)
VALUES ($1, $2, 1, false)
ON CONFLICT (sid) DO UPDATE SET
    attempts   = CASE WHEN s.expires_at <= $3 THEN 1 WHEN s.consumed THEN s.attempts ELSE s.attempts + 1 END,
    consumed   = CASE WHEN s.expires_at <= $3 THEN false ELSE s.consumed END,
    expires_at = CASE WHEN s.expires_at <= $3 THEN excluded.expires_at ELSE s.expires_at END
RETURNING attempts, consumed`, sid, micros(expires), micros(s.now())).Scan(&n, &consumed)
	})
	if err != nil {
		return 0, fail(ctx, "attempt", err)
	}
	if consumed {
		return 0, store.ErrConsumed
	}
	return n, nil
}

// RefundAttempt implements store.AttemptRefunder: one conditional update.
func (s *Store) RefundAttempt(ctx context.Context, sid string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validKey(sid) {
		return fmt.Errorf("sqlstore: refund attempt: session id invalid or longer than %d bytes", maxIDLength)
	}
	err := s.write(ctx, false, func(q querier) error {
		_, err := q.ExecContext(ctx, `
UPDATE verifykit_sessions SET attempts = attempts - 1
WHERE sid = $1 AND consumed = false AND attempts > 0 AND expires_at > $2`, sid, micros(s.now()))
		return err
	})
	if err != nil {
		return fail(ctx, "refund attempt", err)
	}
	return nil
}

// consumeSession marks sid consumed unless a live record says it is
// consumed already. The row stays locked until the transaction ends, so
// of concurrent consumers exactly one proceeds.
const consumeSession = `
INSERT INTO verifykit_sessions AS s (sid, expires_at, attempts, consumed)
VALUES ($1, $2, 0, true)
ON CONFLICT (sid) DO UPDATE SET
    consumed   = true,
    attempts   = CASE WHEN s.expires_at <= $3 THEN 0 ELSE s.attempts END,
    expires_at = CASE WHEN s.expires_at <= $3 THEN excluded.expires_at ELSE s.expires_at END
WHERE s.consumed = false OR s.expires_at <= $3
RETURNING sid`

// methodColumns is the column list every method read selects.
const methodColumns = `id, subject, type, created_at, attrs, secret, secret_key_id, credential_id, counter, version`

// Commit implements store.Methods in one transaction: consume the session
// (a conditional upsert), then insert the method (ON CONFLICT (id) DO
// NOTHING) or replace it (UPDATE … WHERE version = Replace). A unique
// violation of the credential id index, a refused insert or a version
// mismatch rolls the whole transaction back, consumption included.
func (s *Store) Commit(ctx context.Context, c store.Commit) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m := c.Method
	if !validKey(c.SessionID) {
		return fmt.Errorf("sqlstore: commit: session id invalid or longer than %d bytes", maxIDLength)
	}
	if err := checkMethod(m); err != nil {
		return err
	}
	if c.Replace < 0 {
		return fmt.Errorf("sqlstore: commit: Replace %d is negative", c.Replace)
	}
	secret, keyID, err := s.sealSecret(m)
	if err != nil {
		return err
	}
	var cred []byte
	if len(m.CredentialID) > 0 {
		cred = m.CredentialID
	}
	err = s.write(ctx, true, func(q querier) error {
		var sid string
		err := q.QueryRowContext(ctx, consumeSession, c.SessionID, micros(c.SessionExpires), micros(s.now())).Scan(&sid)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrConsumed
		}
		if err != nil {
			return err
		}
		if c.Replace == 0 && c.MaxMethods > 0 {
			if err := s.checkMethodCount(ctx, q, m.Subject, c.MaxMethods); err != nil {
				return err
			}
		}
		if c.Replace == 0 {
			var v int64
			err = q.QueryRowContext(ctx, `
INSERT INTO verifykit_methods (`+methodColumns+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)
ON CONFLICT (id) DO NOTHING
RETURNING version`, m.ID, m.Subject, m.Type, micros(m.CreatedAt), nonNil(m.Attrs), secret, keyID, cred, m.Counter).Scan(&v)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return store.ErrExists
			case isUniqueViolation(err):
				return store.ErrDuplicateCredential
			}
			return err
		}
		res, err := q.ExecContext(ctx, `
UPDATE verifykit_methods
SET type = $4, created_at = $5, attrs = $6, secret = $7, secret_key_id = $8, credential_id = $9,
    counter = $10, version = version + 1
WHERE id = $1 AND subject = $2 AND version = $3`,
			m.ID, m.Subject, c.Replace, m.Type, micros(m.CreatedAt), nonNil(m.Attrs), secret, keyID, cred, m.Counter)
		if isUniqueViolation(err) {
			return store.ErrDuplicateCredential
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		return versionMismatch(ctx, q, m.Subject, m.ID)
	})
	if err != nil {
		return fail(ctx, "commit", err)
	}
	return nil
}

// checkMethodCount fails with store.ErrLimit when subject has max methods
// or more. It runs inside the commit's transaction; on PostgreSQL it first
// takes a transaction-scoped advisory lock on the subject, so that
// concurrent commits for one subject count one after another (SQLite's
// writes are serialized already).
func (s *Store) checkMethodCount(ctx context.Context, q querier, subject string, max int) error {
	if err := s.lockSubject(ctx, q, subject); err != nil {
		return err
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM verifykit_methods WHERE subject = $1`, subject).Scan(&n); err != nil {
		return err
	}
	if n >= max {
		return store.ErrLimit
	}
	return nil
}

// lockSubject takes, on PostgreSQL, a transaction-scoped advisory lock on
// subject, so that the transactions that count or check a subject's
// methods (Commit.MaxMethods, DeletePrimary) run one after another; their
// statements after it see what the transaction before committed (READ
// COMMITTED, inTx). SQLite's write transactions are serialized already.
func (s *Store) lockSubject(ctx context.Context, q querier, subject string) error {
	if s.d != postgres {
		return nil
	}
	_, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('verifykit_methods:' || $1, 0))`, subject)
	return err
}

// versionMismatch tells why a conditional update changed no row:
// ErrNotFound when the method does not exist for subject, else ErrConflict.
func versionMismatch(ctx context.Context, q querier, subject, id string) error {
	var v int64
	err := q.QueryRowContext(ctx, `SELECT version FROM verifykit_methods WHERE id = $1 AND subject = $2`, id, subject).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return err
	default:
		return store.ErrConflict
	}
}

func checkMethod(m store.Method) error {
	switch {
	case !validKey(m.ID):
		return fmt.Errorf("sqlstore: method id invalid or longer than %d bytes", maxIDLength)
	case !validKey(m.Subject):
		return fmt.Errorf("sqlstore: method subject invalid or longer than %d bytes", maxIDLength)
	case !validKey(m.Type):
		return fmt.Errorf("sqlstore: method type invalid or longer than %d bytes", maxIDLength)
	case len(m.CredentialID) > maxCredentialIDLength:
		return fmt.Errorf("sqlstore: credential id of %d bytes longer than %d", len(m.CredentialID), maxCredentialIDLength)
	case len(m.Attrs) > maxValueLength || len(m.Secret) > maxValueLength:
		return fmt.Errorf("sqlstore: method attrs or secret longer than %d bytes", maxValueLength)
	}
	return nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// sealSecret encrypts m.Secret for its row; an empty secret is stored as
// NULL.
func (s *Store) sealSecret(m store.Method) ([]byte, sql.NullString, error) {
	if len(m.Secret) == 0 {
		return nil, sql.NullString{}, nil
	}
	ct, id, err := s.keys.seal(m.Secret, aad("verifykit_methods", "secret", m.ID, m.Subject))
	if err != nil {
		return nil, sql.NullString{}, err
	}
	return ct, sql.NullString{String: id, Valid: true}, nil
}

type scanner interface{ Scan(dest ...any) error }

// scanMethod reads one row of methodColumns and opens its secret.
func (s *Store) scanMethod(r scanner) (store.Method, error) {
	var (
		m       store.Method
		created int64
		secret  []byte
		keyID   sql.NullString
	)
	if err := r.Scan(&m.ID, &m.Subject, &m.Type, &created, &m.Attrs, &secret, &keyID, &m.CredentialID, &m.Counter, &m.Version); err != nil {
		return store.Method{}, err
	}
	m.CreatedAt = time.UnixMicro(created).UTC()
	if len(m.CredentialID) == 0 {
		m.CredentialID = nil
	}
	if secret != nil || keyID.Valid {
		pt, err := s.keys.open(keyID.String, secret, aad("verifykit_methods", "secret", m.ID, m.Subject))
		if err != nil {
			return store.Method{}, fmt.Errorf("method %q: %w", m.ID, err)
		}
		m.Secret = pt
	}
	return m, nil
}

func (s *Store) getMethod(ctx context.Context, op, where string, args ...any) (store.Method, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+methodColumns+` FROM verifykit_methods WHERE `+where, args...)
	m, err := s.scanMethod(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Method{}, store.ErrNotFound
	}
	if err != nil {
		return store.Method{}, fail(ctx, op, err)
	}
	return m, nil
}

// Get implements store.Methods.
func (s *Store) Get(ctx context.Context, subject, id string) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	if !validKey(subject) || !validKey(id) {
		return store.Method{}, store.ErrNotFound
	}
	return s.getMethod(ctx, "get", `id = $1 AND subject = $2`, id, subject)
}

// ByCredentialID implements store.Methods.
func (s *Store) ByCredentialID(ctx context.Context, credentialID []byte) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	if len(credentialID) == 0 || len(credentialID) > maxCredentialIDLength {
		return store.Method{}, store.ErrNotFound
	}
	return s.getMethod(ctx, "by credential id", `credential_id = $1`, credentialID)
}

// List implements store.Methods.
func (s *Store) List(ctx context.Context, subject string) ([]store.Method, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !validKey(subject) {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+methodColumns+` FROM verifykit_methods WHERE subject = $1 ORDER BY created_at, id`, subject)
	if err != nil {
		return nil, fail(ctx, "list", err)
	}
	defer rows.Close()
	var ms []store.Method
	for rows.Next() {
		m, err := s.scanMethod(rows)
		if err != nil {
			return nil, fail(ctx, "list", err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(ctx, "list", err)
	}
	return ms, nil
}

// Update implements store.Methods with a conditional update on version.
func (s *Store) Update(ctx context.Context, m store.Method) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	if !validKey(m.Subject) || !validKey(m.ID) {
		return store.Method{}, store.ErrNotFound
	}
	if len(m.Attrs) > maxValueLength || len(m.Secret) > maxValueLength {
		return store.Method{}, fmt.Errorf("sqlstore: method attrs or secret longer than %d bytes", maxValueLength)
	}
	secret, keyID, err := s.sealSecret(m)
	if err != nil {
		return store.Method{}, err
	}
	var out store.Method
	err = s.write(ctx, true, func(q querier) error {
		row := q.QueryRowContext(ctx, `
UPDATE verifykit_methods SET attrs = $4, secret = $5, secret_key_id = $6, version = version + 1
WHERE id = $1 AND subject = $2 AND version = $3
RETURNING `+methodColumns, m.ID, m.Subject, m.Version, nonNil(m.Attrs), secret, keyID)
		var err error
		out, err = s.scanMethod(row)
		if errors.Is(err, sql.ErrNoRows) {
			return versionMismatch(ctx, q, m.Subject, m.ID)
		}
		return err
	})
	if err != nil {
		return store.Method{}, fail(ctx, "update", err)
	}
	return out, nil
}

// Delete implements store.Methods.
func (s *Store) Delete(ctx context.Context, subject, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validKey(subject) || !validKey(id) {
		return store.ErrNotFound
	}
	var n int64
	err := s.write(ctx, false, func(q querier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM verifykit_methods WHERE id = $1 AND subject = $2`, id, subject)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fail(ctx, "delete", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// SignIn implements store.Methods in one transaction: consume the session
// (the conditional upsert of Commit), then one UPDATE of the method whose
// WHERE carries every condition (subject, version, counter). When it
// changes no row, the reason is read inside the transaction and the whole
// transaction, consumption included, rolls back.
func (s *Store) SignIn(ctx context.Context, in store.SignIn) (store.Method, error) {
	if err := ctx.Err(); err != nil {
		return store.Method{}, err
	}
	if !validKey(in.SessionID) {
		return store.Method{}, fmt.Errorf("sqlstore: sign in: session id invalid or longer than %d bytes", maxIDLength)
	}
	if len(in.Attrs) > maxValueLength || len(in.Secret) > maxValueLength {
		return store.Method{}, fmt.Errorf("sqlstore: sign in: attrs or secret longer than %d bytes", maxValueLength)
	}
	if !validKey(in.Subject) || !validKey(in.MethodID) {
		return store.Method{}, store.ErrNotFound
	}
	var (
		secret []byte
		keyID  sql.NullString
		err    error
	)
	if in.Secret != nil {
		if secret, keyID, err = s.sealSecret(store.Method{ID: in.MethodID, Subject: in.Subject, Secret: in.Secret}); err != nil {
			return store.Method{}, err
		}
	}
	var out store.Method
	err = s.write(ctx, true, func(q querier) error {
		var sid string
		err := q.QueryRowContext(ctx, consumeSession, in.SessionID, micros(in.SessionExpires), micros(s.now())).Scan(&sid)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrConsumed
		}
		if err != nil {
			return err
		}
		row := q.QueryRowContext(ctx, `
UPDATE verifykit_methods SET
    attrs         = CASE WHEN $5 THEN $6 ELSE attrs END,
    secret        = CASE WHEN $7 THEN $8 ELSE secret END,
    secret_key_id = CASE WHEN $7 THEN $9 ELSE secret_key_id END,
    counter       = CASE WHEN CAST($4 AS BIGINT) > 0 THEN CAST($4 AS BIGINT) ELSE counter END,
    version       = version + 1
WHERE id = $1 AND subject = $2
  AND (CAST($3 AS BIGINT) = 0 OR version = CAST($3 AS BIGINT))
  AND (CAST($4 AS BIGINT) <= 0 OR counter < CAST($4 AS BIGINT))
RETURNING `+methodColumns,
			in.MethodID, in.Subject, in.Version, in.Counter,
			in.Attrs != nil, nonNil(in.Attrs), in.Secret != nil, secret, keyID)
		out, err = s.scanMethod(row)
		if errors.Is(err, sql.ErrNoRows) {
			return s.signInRefused(ctx, q, in)
		}
		return err
	})
	if err != nil {
		return store.Method{}, fail(ctx, "sign in", err)
	}
	return out, nil
}

// signInRefused tells why SignIn's update changed no row: ErrNotFound,
// ErrConflict or ErrStale, in that order of precedence.
func (s *Store) signInRefused(ctx context.Context, q querier, in store.SignIn) error {
	var version, counter int64
	err := q.QueryRowContext(ctx, `SELECT version, counter FROM verifykit_methods WHERE id = $1 AND subject = $2`, in.MethodID, in.Subject).Scan(&version, &counter)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case err != nil:
		return err
	case in.Version != 0 && version != in.Version:
		return store.ErrConflict
	case in.Counter > 0 && in.Counter <= counter:
		return store.ErrStale
	default: // the row changed between the update and this read
		return store.ErrConflict
	}
}

// DeletePrimary implements store.Methods in one transaction that holds the
// subject: on PostgreSQL the transaction-scoped advisory lock on the
// subject that Commit.MaxMethods takes (lockSubject), on SQLite the
// database's write lock (BEGIN IMMEDIATE). Under it the subject's method
// ids are read, checked and the method deleted, so concurrent calls for
// one subject run one after another, each seeing the deletes before it.
func (s *Store) DeletePrimary(ctx context.Context, subject, id string, primaries []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validKey(subject) || !validKey(id) {
		return store.ErrNotFound
	}
	err := s.write(ctx, true, func(q querier) error {
		if err := s.lockSubject(ctx, q, subject); err != nil {
			return err
		}
		rows, err := q.QueryContext(ctx, `SELECT id FROM verifykit_methods WHERE subject = $1`, subject)
		if err != nil {
			return err
		}
		found, kept := false, false
		for rows.Next() {
			var other string
			if err := rows.Scan(&other); err != nil {
				rows.Close()
				return err
			}
			if other == id {
				found = true
			} else if slices.Contains(primaries, other) {
				kept = true
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		switch {
		case !found:
			return store.ErrNotFound
		case !kept:
			return store.ErrLastPrimary
		}
		_, err = q.ExecContext(ctx, `DELETE FROM verifykit_methods WHERE id = $1 AND subject = $2`, id, subject)
		return err
	})
	if err != nil {
		return fail(ctx, "delete primary", err)
	}
	return nil
}

// Purge implements store.Purger: it deletes the session records, push
// tickets, push transactions and nonces that have expired by the store's clock. Methods are
// never purged.
func (s *Store) Purge(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	now := micros(s.now())
	err := s.write(ctx, true, func(q querier) error {
		n = 0
		for _, table := range []string{"verifykit_sessions", "verifykit_push_tickets", "verifykit_push_transactions", "verifykit_nonces", "verifykit_server_nonces"} {
			res, err := q.ExecContext(ctx, `DELETE FROM `+table+` WHERE expires_at <= $1`, now)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fail(ctx, "purge", err)
	}
	return int(n), nil
}

// Rotate re-seals, under the current key (Config.Keys[0]), every secret
// sealed under another key, and reports how many it re-sealed. Run it
// after putting a new key first; once it returns, the old keys can be
// removed from the ring. Each row is rewritten with a conditional update,
// so a concurrent Update is never overwritten. A row that no key of the
// ring opens stops the rotation with ErrDecrypt.
func (s *Store) Rotate(ctx context.Context) (int, error) {
	const batch = 100
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		type row struct {
			id, subject, keyID string
			secret             []byte
		}
		var rows []row
		err := func() error {
			rs, err := s.db.QueryContext(ctx, `
SELECT id, subject, secret_key_id, secret FROM verifykit_methods
WHERE secret_key_id IS NOT NULL AND secret_key_id <> $1
ORDER BY id LIMIT `+fmt.Sprint(batch), s.keys.currentID)
			if err != nil {
				return err
			}
			defer rs.Close()
			for rs.Next() {
				var r row
				if err := rs.Scan(&r.id, &r.subject, &r.keyID, &r.secret); err != nil {
					return err
				}
				rows = append(rows, r)
			}
			return rs.Err()
		}()
		if err != nil {
			return total, fail(ctx, "rotate", err)
		}
		if len(rows) == 0 {
			return total, nil
		}
		progress := 0
		for _, r := range rows {
			ad := aad("verifykit_methods", "secret", r.id, r.subject)
			pt, err := s.keys.open(r.keyID, r.secret, ad)
			if err != nil {
				return total, fmt.Errorf("sqlstore: rotate: method %q: %w", r.id, err)
			}
			ct, keyID, err := s.keys.seal(pt, ad)
			if err != nil {
				return total, err
			}
			var n int64
			err = s.write(ctx, false, func(q querier) error {
				res, err := q.ExecContext(ctx, `
UPDATE verifykit_methods SET secret = $1, secret_key_id = $2
WHERE id = $3 AND subject = $4 AND secret_key_id = $5 AND secret = $6`, ct, keyID, r.id, r.subject, r.keyID, r.secret)
				if err != nil {
					return err
				}
				n, err = res.RowsAffected()
				return err
			})
			if err != nil {
				return total, fail(ctx, "rotate", err)
			}
			total += int(n)
			progress += int(n)
		}
		if progress == 0 {
			// Every row of the batch changed under us yet is still sealed
			// under an old key: another process seals with another ring.
			return total, errors.New("sqlstore: rotate: no progress; is another process sealing with an older key ring?")
		}
	}
}
