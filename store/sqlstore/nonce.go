package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/verifykit/verifykit/store"
)

// UseNonce implements store.Nonces with one conditional upsert: a new key
// is inserted, an expired record of the key is replaced, a live one is
// kept and the use refused (ErrConsumed). Of concurrent uses of one key,
// from any number of processes, exactly one inserts.
func (s *Store) UseNonce(ctx context.Context, key []byte, expires time.Time) error {
	if len(key) == 0 || len(key) > store.MaxNonceKey {
		return fmt.Errorf("sqlstore: nonce key of %d bytes out of range [1, %d]", len(key), store.MaxNonceKey)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.write(ctx, false, func(q querier) error {
		var k []byte
		return q.QueryRowContext(ctx, `
INSERT INTO verifykit_nonces AS n (nonce, expires_at) VALUES ($1, $2)
ON CONFLICT (nonce) DO UPDATE SET expires_at = excluded.expires_at
WHERE n.expires_at <= $3
RETURNING nonce`, key, micros(expires), micros(s.now())).Scan(&k)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrConsumed
	}
	if err != nil {
		return fail(ctx, "use nonce", err)
	}
	return nil
}

var _ store.ServerNonces = (*Store)(nil)

// ServerNonce implements store.ServerNonces: an insert that keeps the row
// of period when there is a live one (ON CONFLICT … WHERE expired), then a
// read of the row, in one transaction. Of concurrent calls for one period,
// from any number of processes, all read the row inserted first.
func (s *Store) ServerNonce(ctx context.Context, period int64, candidate []byte, expires time.Time) ([]byte, error) {
	if len(candidate) == 0 || len(candidate) > store.MaxNonceKey {
		return nil, fmt.Errorf("sqlstore: server nonce of %d bytes out of range [1, %d]", len(candidate), store.MaxNonceKey)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var v []byte
	err := s.write(ctx, true, func(q querier) error {
		if _, err := q.ExecContext(ctx, `
INSERT INTO verifykit_server_nonces AS n (period, nonce, expires_at) VALUES ($1, $2, $3)
ON CONFLICT (period) DO UPDATE SET nonce = excluded.nonce, expires_at = excluded.expires_at
WHERE n.expires_at <= $4`, period, candidate, micros(expires), micros(s.now())); err != nil {
			return err
		}
		return q.QueryRowContext(ctx, `SELECT nonce FROM verifykit_server_nonces WHERE period = $1`, period).Scan(&v)
	})
	if err != nil {
		return nil, fail(ctx, "server nonce", err)
	}
	return v, nil
}
