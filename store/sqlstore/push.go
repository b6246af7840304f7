package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/verifykit/verifykit/store"
)

// maxPushHash bounds a push ticket hash (a SHA-256 is 32 bytes).
const maxPushHash = 64

const pushColumns = `hash, subject, method_id, expires_at, redeemed, device_identifier, device_name,
    device_service, device_token, device_token_key_id, device_public_key, enrolled_at`

func pushAAD(hash []byte) []byte {
	return aad("verifykit_push_tickets", "device_token", hex.EncodeToString(hash))
}

// CreatePushTicket implements store.PushDevices with one conditional
// upsert: a new hash is inserted, an expired ticket with the same hash is
// replaced, an unexpired one is kept (ErrExists).
func (s *Store) CreatePushTicket(ctx context.Context, t store.PushTicket) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch {
	case len(t.Hash) == 0 || len(t.Hash) > maxPushHash:
		return fmt.Errorf("sqlstore: push ticket hash of %d bytes out of range [1, %d]", len(t.Hash), maxPushHash)
	case !validKey(t.Subject) || !validKey(t.MethodID):
		return fmt.Errorf("sqlstore: push ticket subject or method id invalid or longer than %d bytes", MaxIDLength)
	}
	err := s.write(ctx, false, func(q querier) error {
		var h []byte
		return q.QueryRowContext(ctx, `
INSERT INTO verifykit_push_tickets AS p (hash, subject, method_id, expires_at, redeemed)
VALUES ($1, $2, $3, $4, false)
ON CONFLICT (hash) DO UPDATE SET
    subject = excluded.subject, method_id = excluded.method_id, expires_at = excluded.expires_at,
    redeemed = false, device_identifier = NULL, device_name = NULL, device_service = NULL,
    device_token = NULL, device_token_key_id = NULL, device_public_key = NULL, enrolled_at = NULL
WHERE p.expires_at <= $5
RETURNING hash`, t.Hash, t.Subject, t.MethodID, micros(t.Expires), micros(s.now())).Scan(&h)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrExists
	}
	if err != nil {
		return fail(ctx, "create push ticket", err)
	}
	return nil
}

// RedeemPushTicket implements store.PushDevices with one conditional
// update (WHERE NOT redeemed AND unexpired): of concurrent redemptions,
// from any number of processes, exactly one changes the row.
func (s *Store) RedeemPushTicket(ctx context.Context, hash []byte, d store.PushDevice) (store.PushTicket, error) {
	if err := ctx.Err(); err != nil {
		return store.PushTicket{}, err
	}
	if len(hash) == 0 || len(hash) > maxPushHash {
		return store.PushTicket{}, store.ErrNotFound
	}
	for _, f := range []string{d.Identifier, d.Name, d.Service, d.Token} {
		if len(f) > MaxIDLength {
			return store.PushTicket{}, fmt.Errorf("sqlstore: push device field longer than %d bytes", MaxIDLength)
		}
	}
	if len(d.PublicKey) > MaxIDLength*8 {
		return store.PushTicket{}, fmt.Errorf("sqlstore: push device public key longer than %d bytes", MaxIDLength*8)
	}
	token, tokenKey, err := s.keys.seal([]byte(d.Token), pushAAD(hash))
	if err != nil {
		return store.PushTicket{}, err
	}
	var t store.PushTicket
	err = s.write(ctx, false, func(q querier) error {
		row := q.QueryRowContext(ctx, `
UPDATE verifykit_push_tickets
SET redeemed = true, device_identifier = $3, device_name = $4, device_service = $5,
    device_token = $6, device_token_key_id = $7, device_public_key = $8, enrolled_at = $9
WHERE hash = $1 AND expires_at > $2 AND redeemed = false
RETURNING `+pushColumns, hash, micros(s.now()), []byte(d.Identifier), []byte(d.Name), []byte(d.Service),
			token, tokenKey, nonNil(d.PublicKey), micros(d.EnrolledAt))
		var err error
		t, err = s.scanPush(row)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Nothing changed: tell a missing or expired ticket from a
		// redeemed one.
		var redeemed bool
		err = q.QueryRowContext(ctx, `SELECT redeemed FROM verifykit_push_tickets WHERE hash = $1 AND expires_at > $2`,
			hash, micros(s.now())).Scan(&redeemed)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return err
		case redeemed:
			return store.ErrConsumed
		default: // redeemed and expired between the two statements
			return store.ErrNotFound
		}
	})
	if err != nil {
		return store.PushTicket{}, fail(ctx, "redeem push ticket", err)
	}
	return t, nil
}

// PushTicket implements store.PushDevices.
func (s *Store) PushTicket(ctx context.Context, hash []byte) (store.PushTicket, error) {
	if err := ctx.Err(); err != nil {
		return store.PushTicket{}, err
	}
	if len(hash) == 0 || len(hash) > maxPushHash {
		return store.PushTicket{}, store.ErrNotFound
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+pushColumns+` FROM verifykit_push_tickets WHERE hash = $1 AND expires_at > $2`,
		hash, micros(s.now()))
	t, err := s.scanPush(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.PushTicket{}, store.ErrNotFound
	}
	if err != nil {
		return store.PushTicket{}, fail(ctx, "push ticket", err)
	}
	return t, nil
}

// scanPush reads one row of pushColumns and opens its device token.
func (s *Store) scanPush(r scanner) (store.PushTicket, error) {
	var (
		t                    store.PushTicket
		expires              int64
		redeemed             bool
		ident, name, service []byte
		token, pub           []byte
		tokenKey             sql.NullString
		enrolled             sql.NullInt64
	)
	if err := r.Scan(&t.Hash, &t.Subject, &t.MethodID, &expires, &redeemed, &ident, &name, &service,
		&token, &tokenKey, &pub, &enrolled); err != nil {
		return store.PushTicket{}, err
	}
	t.Expires = time.UnixMicro(expires).UTC()
	if !redeemed {
		return t, nil
	}
	pt, err := s.keys.open(tokenKey.String, token, pushAAD(t.Hash))
	if err != nil {
		return store.PushTicket{}, fmt.Errorf("push ticket device token: %w", err)
	}
	t.Device = &store.PushDevice{
		Identifier: string(ident), Name: string(name), Service: string(service), Token: string(pt),
		PublicKey: pub, EnrolledAt: time.UnixMicro(enrolled.Int64).UTC(),
	}
	return t, nil
}
