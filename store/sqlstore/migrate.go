package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SchemaVersion is the schema version this package reads and writes: the
// number of its last migration. Open migrates an older schema up to it and
// refuses a newer one.
const SchemaVersion = 5

//go:embed migrations
var migrationFS embed.FS

type migration struct {
	version  int
	name     string
	up, down string
}

// migrations returns the embedded migrations of d, in version order, and
// checks that they are numbered 1..n with an up and a down each.
func migrations(d dialect) ([]migration, error) {
	dir := path.Join("migrations", d.dir())
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrations: %w", err)
	}
	byVersion := map[int]*migration{}
	for _, e := range entries {
		name := e.Name()
		var up bool
		switch {
		case strings.HasSuffix(name, ".up.sql"):
			up = true
		case strings.HasSuffix(name, ".down.sql"):
		default:
			return nil, fmt.Errorf("sqlstore: migrations: unexpected file %s", name)
		}
		num, rest, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("sqlstore: migrations: bad file name %s", name)
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migrations: %w", err)
		}
		m := byVersion[v]
		if m == nil {
			m = &migration{version: v, name: strings.SplitN(rest, ".", 2)[0]}
			byVersion[v] = m
		}
		if up {
			m.up = string(b)
		} else {
			m.down = string(b)
		}
	}
	ms := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		if m.up == "" || m.down == "" {
			return nil, fmt.Errorf("sqlstore: migration %d lacks its up or down file", m.version)
		}
		ms = append(ms, *m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlstore: migrations: version %d missing", i+1)
		}
	}
	if len(ms) != SchemaVersion {
		return nil, fmt.Errorf("sqlstore: %d migrations embedded, SchemaVersion is %d", len(ms), SchemaVersion)
	}
	return ms, nil
}

// Migrate moves the verifykit schema in db to version: up from an older
// schema, down from a newer one (down to 0 drops every verifykit table,
// and with them every stored method). driver is DriverPostgres or
// DriverSQLite. All steps run in one transaction: either the schema is at
// version afterwards or it is unchanged. On PostgreSQL concurrent callers
// are serialized by a transaction-scoped advisory lock, on SQLite by the
// write lock of BEGIN IMMEDIATE, so that processes starting together
// migrate once. Migrating to the current version is a no-op.
//
// Open migrates up to SchemaVersion by itself; call Migrate to roll back.
func Migrate(ctx context.Context, db *sql.DB, driver string, version int) error {
	d, err := parseDriver(driver)
	if err != nil {
		return err
	}
	if version < 0 || version > SchemaVersion {
		return fmt.Errorf("sqlstore: schema version %d out of range [0, %d]", version, SchemaVersion)
	}
	_, err = migrate(ctx, db, d, version, time.Now)
	return err
}

// CurrentSchemaVersion returns the verifykit schema version of db: 0 when
// no migration has been applied.
func CurrentSchemaVersion(ctx context.Context, db *sql.DB, driver string) (int, error) {
	d, err := parseDriver(driver)
	if err != nil {
		return 0, err
	}
	var v int
	err = inTx(ctx, db, d, func(q querier) error {
		var err error
		v, err = schemaVersion(ctx, q)
		return err
	})
	return v, err
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS verifykit_schema_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    applied_at BIGINT  NOT NULL
)`

// migrationLock is the first key of the PostgreSQL advisory lock that
// serializes migrations; the second is a hash of the current schema, so
// that schemas in one database migrate independently.
const migrationLock = 0x766b6d67 // "vkmg"

func schemaVersion(ctx context.Context, q querier) (int, error) {
	if _, err := q.ExecContext(ctx, createMigrationsTable); err != nil {
		return 0, fmt.Errorf("sqlstore: create verifykit_schema_migrations: %w", err)
	}
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(version) FROM verifykit_schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlstore: read schema version: %w", err)
	}
	return int(v.Int64), nil
}

// migrate brings db to version target and returns the version it found.
func migrate(ctx context.Context, db *sql.DB, d dialect, target int, now func() time.Time) (int, error) {
	ms, err := migrations(d)
	if err != nil {
		return 0, err
	}
	var from int
	err = inTx(ctx, db, d, func(q querier) error {
		if d == postgres {
			if _, err := q.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(COALESCE(current_schema(), '')))`, migrationLock); err != nil {
				return fmt.Errorf("sqlstore: migration lock: %w", err)
			}
		}
		v, err := schemaVersion(ctx, q)
		if err != nil {
			return err
		}
		from = v
		if v > len(ms) {
			return fmt.Errorf("sqlstore: database schema version %d is newer than this build's %d", v, len(ms))
		}
		for ; v < target; v++ {
			m := ms[v]
			if _, err := q.ExecContext(ctx, m.up); err != nil {
				return fmt.Errorf("sqlstore: migration %d (%s) up: %w", m.version, m.name, err)
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO verifykit_schema_migrations (version, applied_at) VALUES ($1, $2)`,
				m.version, now().UnixMicro()); err != nil {
				return fmt.Errorf("sqlstore: record migration %d: %w", m.version, err)
			}
		}
		for ; v > target; v-- {
			m := ms[v-1]
			if _, err := q.ExecContext(ctx, m.down); err != nil {
				return fmt.Errorf("sqlstore: migration %d (%s) down: %w", m.version, m.name, err)
			}
			if _, err := q.ExecContext(ctx, `DELETE FROM verifykit_schema_migrations WHERE version = $1`, m.version); err != nil {
				return fmt.Errorf("sqlstore: record migration %d down: %w", m.version, err)
			}
		}
		if target == 0 {
			if _, err := q.ExecContext(ctx, `DROP TABLE verifykit_schema_migrations`); err != nil {
				return fmt.Errorf("sqlstore: drop verifykit_schema_migrations: %w", err)
			}
		}
		return nil
	})
	return from, err
}
