package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	// The two drivers Open knows: pgx's database/sql driver registers "pgx",
	// modernc.org/sqlite (pure Go, no cgo) registers "sqlite".
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// Driver names for Config.Driver and Migrate.
const (
	// DriverPostgres is PostgreSQL through github.com/jackc/pgx/v5/stdlib.
	DriverPostgres = "pgx"
	// DriverSQLite is SQLite through modernc.org/sqlite (pure Go).
	DriverSQLite = "sqlite"
)

type dialect int

const (
	postgres dialect = iota + 1
	sqlite
)

func parseDriver(name string) (dialect, error) {
	switch name {
	case DriverPostgres, "pgx/v5", "postgres":
		return postgres, nil
	case DriverSQLite:
		return sqlite, nil
	case "":
		return 0, fmt.Errorf("sqlstore: Config.Driver is required (%q or %q)", DriverPostgres, DriverSQLite)
	default:
		return 0, fmt.Errorf("sqlstore: driver %q not supported (%q or %q)", name, DriverPostgres, DriverSQLite)
	}
}

func (d dialect) dir() string {
	if d == postgres {
		return "postgres"
	}
	return "sqlite"
}

func (d dialect) driverName() string {
	if d == postgres {
		return DriverPostgres
	}
	return DriverSQLite
}

// querier is what *sql.Tx and *sql.Conn have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in one transaction and commits it if fn returns nil.
//
// On PostgreSQL it is a READ COMMITTED transaction, whatever the server's
// default_transaction_isolation: the statements that carry the contract
// lock the rows they change (INSERT … ON CONFLICT DO UPDATE, UPDATE …
// WHERE) and unique indexes decide races, so no stronger isolation is
// needed; and a statement that follows an advisory lock (lockSubject) must
// see what the lock's previous holder committed, which a REPEATABLE READ
// snapshot taken before the lock would not. Serialization failures and
// deadlocks are retried by the caller.
//
// On SQLite it is BEGIN IMMEDIATE on one connection: the database's write
// lock is taken before the first read, so no two writers interleave,
// within this process or across processes sharing the file.
func inTx(ctx context.Context, db *sql.DB, d dialect, fn func(q querier) error) error {
	if d == postgres {
		tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			_ = tx.Rollback()
			return err
		}
		return tx.Commit()
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	// COMMIT and ROLLBACK run even if ctx is cancelled meanwhile, so that
	// the connection never returns to the pool inside a transaction.
	bg := context.WithoutCancel(ctx)
	if err := fn(conn); err != nil {
		if _, rerr := conn.ExecContext(bg, "ROLLBACK"); rerr != nil {
			discard(conn)
		}
		return err
	}
	if _, err := conn.ExecContext(bg, "COMMIT"); err != nil {
		if _, rerr := conn.ExecContext(bg, "ROLLBACK"); rerr != nil {
			discard(conn)
		}
		return err
	}
	return nil
}

// discard makes database/sql close conn instead of reusing it, when its
// transaction state is unknown.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// Driver error classification by code, never by message text.
type (
	sqlStater   interface{ SQLState() string } // *pgconn.PgError
	sqliteCoder interface{ Code() int }        // *sqlite.Error
)

const (
	sqliteBusy             = 5
	sqliteLocked           = 6
	sqliteConstraint       = 19
	sqliteConstraintPK     = sqliteConstraint | 6<<8 // SQLITE_CONSTRAINT_PRIMARYKEY
	sqliteConstraintUnique = sqliteConstraint | 8<<8 // SQLITE_CONSTRAINT_UNIQUE
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

// isUniqueViolation reports whether err is a unique-index violation.
func isUniqueViolation(err error) bool {
	var pe sqlStater
	if errors.As(err, &pe) {
		return pe.SQLState() == pgUniqueViolation
	}
	var se sqliteCoder
	if errors.As(err, &se) {
		return se.Code() == sqliteConstraintUnique || se.Code() == sqliteConstraintPK
	}
	return false
}

// isRetryable reports whether a transaction that failed with err may be
// run again as a whole: a serialization failure or deadlock on
// PostgreSQL, a busy database on SQLite.
func isRetryable(err error) bool {
	var pe sqlStater
	if errors.As(err, &pe) {
		s := pe.SQLState()
		return s == pgSerializationFailure || s == pgDeadlockDetected
	}
	var se sqliteCoder
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqliteBusy || c == sqliteLocked
	}
	return false
}

// sqliteDSN adds to dsn the connection settings the store relies on,
// unless dsn sets them: a busy timeout, so that processes sharing the file
// wait for its write lock instead of failing, and WAL, so that readers do
// not block the writer.
func sqliteDSN(dsn string) string {
	var add []string
	lower := strings.ToLower(dsn)
	if !strings.Contains(lower, "busy_timeout") && !strings.Contains(lower, "_timeout=") {
		add = append(add, "_pragma=busy_timeout(10000)")
	}
	if !strings.Contains(lower, "journal_mode") && !strings.Contains(lower, "_journal=") && !isMemoryDSN(dsn) {
		add = append(add, "_pragma=journal_mode(WAL)")
	}
	if len(add) == 0 {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(add, "&")
}

// isMemoryDSN reports whether dsn names an in-memory SQLite database,
// which exists once per connection.
func isMemoryDSN(dsn string) bool {
	return dsn == ":memory:" || strings.HasPrefix(dsn, ":memory:?") ||
		strings.HasPrefix(dsn, "file::memory:") || strings.Contains(dsn, "mode=memory")
}
