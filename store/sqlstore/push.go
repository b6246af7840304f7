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
    device_service, device_token, device_token_key_id, device_public_key, enrolled_at,
    secret, secret_key_id, device_token_hash`

func pushAAD(hash []byte) []byte {
	return aad("verifykit_push_tickets", "device_token", hex.EncodeToString(hash))
}

func pushSecretAAD(hash []byte) []byte {
	return aad("verifykit_push_tickets", "secret", hex.EncodeToString(hash))
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
		return fmt.Errorf("sqlstore: push ticket subject or method id invalid or longer than %d bytes", maxIDLength)
	}
	if len(t.Secret) > maxIDLength*8 {
		return fmt.Errorf("sqlstore: push ticket secret longer than %d bytes", maxIDLength*8)
	}
	var secret []byte
	var secretKey sql.NullString
	if t.Secret != nil {
		sealed, id, err := s.keys.seal(t.Secret, pushSecretAAD(t.Hash))
		if err != nil {
			return err
		}
		secret, secretKey = sealed, sql.NullString{String: id, Valid: true}
	}
	err := s.write(ctx, false, func(q querier) error {
		var h []byte
		return q.QueryRowContext(ctx, `
INSERT INTO verifykit_push_tickets AS p (hash, subject, method_id, expires_at, redeemed, secret, secret_key_id)
VALUES ($1, $2, $3, $4, false, $6, $7)
ON CONFLICT (hash) DO UPDATE SET
    subject = excluded.subject, method_id = excluded.method_id, expires_at = excluded.expires_at,
    redeemed = false, device_identifier = NULL, device_name = NULL, device_service = NULL,
    device_token = NULL, device_token_key_id = NULL, device_public_key = NULL, enrolled_at = NULL,
    secret = excluded.secret, secret_key_id = excluded.secret_key_id, device_token_hash = NULL
WHERE p.expires_at <= $5
RETURNING hash`, t.Hash, t.Subject, t.MethodID, micros(t.Expires), micros(s.now()), secret, secretKey).Scan(&h)
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
		if len(f) > maxIDLength {
			return store.PushTicket{}, fmt.Errorf("sqlstore: push device field longer than %d bytes", maxIDLength)
		}
	}
	if len(d.TokenHash) > maxPushHash {
		return store.PushTicket{}, fmt.Errorf("sqlstore: push device token hash longer than %d bytes", maxPushHash)
	}
	if len(d.PublicKey) > maxIDLength*8 {
		return store.PushTicket{}, fmt.Errorf("sqlstore: push device public key longer than %d bytes", maxIDLength*8)
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
    device_token = $6, device_token_key_id = $7, device_public_key = $8, enrolled_at = $9,
    device_token_hash = $10
WHERE hash = $1 AND expires_at > $2 AND redeemed = false
RETURNING `+pushColumns, hash, micros(s.now()), []byte(d.Identifier), []byte(d.Name), []byte(d.Service),
			token, tokenKey, nonNil(d.PublicKey), micros(d.EnrolledAt), d.TokenHash)
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
		secret, tokenHash    []byte
		secretKey            sql.NullString
	)
	if err := r.Scan(&t.Hash, &t.Subject, &t.MethodID, &expires, &redeemed, &ident, &name, &service,
		&token, &tokenKey, &pub, &enrolled, &secret, &secretKey, &tokenHash); err != nil {
		return store.PushTicket{}, err
	}
	t.Expires = time.UnixMicro(expires).UTC()
	if secretKey.Valid {
		pt, err := s.keys.open(secretKey.String, secret, pushSecretAAD(t.Hash))
		if err != nil {
			return store.PushTicket{}, fmt.Errorf("push ticket secret: %w", err)
		}
		t.Secret = pt
	}
	if !redeemed {
		return t, nil
	}
	pt, err := s.keys.open(tokenKey.String, token, pushAAD(t.Hash))
	if err != nil {
		return store.PushTicket{}, fmt.Errorf("push ticket device token: %w", err)
	}
	t.Device = &store.PushDevice{
		Identifier: string(ident), Name: string(name), Service: string(service), Token: string(pt),
		PublicKey: pub, TokenHash: tokenHash, EnrolledAt: time.UnixMicro(enrolled.Int64).UTC(),
	}
	return t, nil
}

// maxReason bounds a push transaction's rejection reason.
const maxReason = 255

const txColumns = `hash, challenge_hash, subject, method_id, expires_at, resolved, accepted, reason`

// CreatePushTransaction implements store.PushDevices with one conditional
// upsert, like CreatePushTicket.
func (s *Store) CreatePushTransaction(ctx context.Context, t store.PushTransaction) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch {
	case len(t.Hash) == 0 || len(t.Hash) > maxPushHash || len(t.ChallengeHash) == 0 || len(t.ChallengeHash) > maxPushHash:
		return fmt.Errorf("sqlstore: push transaction hashes must be 1 to %d bytes", maxPushHash)
	case !validKey(t.Subject) || !validKey(t.MethodID):
		return fmt.Errorf("sqlstore: push transaction subject or method id invalid or longer than %d bytes", maxIDLength)
	}
	err := s.write(ctx, false, func(q querier) error {
		var h []byte
		return q.QueryRowContext(ctx, `
INSERT INTO verifykit_push_transactions AS p (hash, challenge_hash, subject, method_id, expires_at, resolved, accepted, reason)
VALUES ($1, $2, $3, $4, $5, false, false, '')
ON CONFLICT (hash) DO UPDATE SET
    challenge_hash = excluded.challenge_hash, subject = excluded.subject, method_id = excluded.method_id,
    expires_at = excluded.expires_at, resolved = false, accepted = false, reason = ''
WHERE p.expires_at <= $6
RETURNING hash`, t.Hash, t.ChallengeHash, t.Subject, t.MethodID, micros(t.Expires), micros(s.now())).Scan(&h)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrExists
	}
	if err != nil {
		return fail(ctx, "create push transaction", err)
	}
	return nil
}

// ResolvePushTransaction implements store.PushDevices with one conditional
// update (WHERE NOT resolved AND unexpired): of concurrent resolutions,
// from any number of processes, exactly one changes the row.
func (s *Store) ResolvePushTransaction(ctx context.Context, hash []byte, accepted bool, reason string) (store.PushTransaction, error) {
	if err := ctx.Err(); err != nil {
		return store.PushTransaction{}, err
	}
	if len(hash) == 0 || len(hash) > maxPushHash {
		return store.PushTransaction{}, store.ErrNotFound
	}
	if len(reason) > maxReason {
		return store.PushTransaction{}, fmt.Errorf("sqlstore: push transaction reason longer than %d bytes", maxReason)
	}
	var t store.PushTransaction
	err := s.write(ctx, false, func(q querier) error {
		var err error
		t, err = scanTx(q.QueryRowContext(ctx, `
UPDATE verifykit_push_transactions SET resolved = true, accepted = $3, reason = $4
WHERE hash = $1 AND expires_at > $2 AND resolved = false
RETURNING `+txColumns, hash, micros(s.now()), accepted, reason))
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var resolved bool
		err = q.QueryRowContext(ctx, `SELECT resolved FROM verifykit_push_transactions WHERE hash = $1 AND expires_at > $2`,
			hash, micros(s.now())).Scan(&resolved)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return err
		case resolved:
			return store.ErrConsumed
		default:
			return store.ErrNotFound
		}
	})
	if err != nil {
		return store.PushTransaction{}, fail(ctx, "resolve push transaction", err)
	}
	return t, nil
}

// PushTransaction implements store.PushDevices.
func (s *Store) PushTransaction(ctx context.Context, hash []byte) (store.PushTransaction, error) {
	if err := ctx.Err(); err != nil {
		return store.PushTransaction{}, err
	}
	if len(hash) == 0 || len(hash) > maxPushHash {
		return store.PushTransaction{}, store.ErrNotFound
	}
	t, err := scanTx(s.db.QueryRowContext(ctx, `SELECT `+txColumns+` FROM verifykit_push_transactions WHERE hash = $1 AND expires_at > $2`,
		hash, micros(s.now())))
	if errors.Is(err, sql.ErrNoRows) {
		return store.PushTransaction{}, store.ErrNotFound
	}
	if err != nil {
		return store.PushTransaction{}, fail(ctx, "push transaction", err)
	}
	return t, nil
}

func scanTx(r scanner) (store.PushTransaction, error) {
	var t store.PushTransaction
	var expires int64
	if err := r.Scan(&t.Hash, &t.ChallengeHash, &t.Subject, &t.MethodID, &expires, &t.Resolved, &t.Accepted, &t.Reason); err != nil {
		return store.PushTransaction{}, err
	}
	t.Expires = time.UnixMicro(expires).UTC()
	return t, nil
}
