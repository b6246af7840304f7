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
