package sqlstore_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
)

// TestPushTicketSecretIsSealed: the engine secret of a push ticket (push's
// TOTP secret) is ciphertext in the row, bound to its row (a copy into
// another row does not open), and the device token is kept only as the
// hash the engine gave (PU-01, TO-12's rule for TOTP secrets).
func TestPushTicketSecretIsSealed(t *testing.T) {
	forEach(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := open(t, b, b.dsn(t), time.Now)
		h1, h2 := sha256.Sum256([]byte("t1")), sha256.Sum256([]byte("t2"))
		exp := time.Now().Add(time.Minute)
		require.NoError(t, s.CreatePushTicket(ctx, store.PushTicket{Hash: h1[:], Subject: "u", MethodID: "m1", Expires: exp, Secret: []byte("totp-secret-plaintext")}))
		require.NoError(t, s.CreatePushTicket(ctx, store.PushTicket{Hash: h2[:], Subject: "u", MethodID: "m2", Expires: exp, Secret: []byte("other")}))
		th := sha256.Sum256([]byte("device-token-plaintext"))
		_, err := s.RedeemPushTicket(ctx, h1[:], store.PushDevice{Identifier: "d", Name: "n", Service: "GCM", Token: "push", PublicKey: []byte("{}"), TokenHash: th[:], EnrolledAt: time.Now()})
		require.NoError(t, err)

		var raw [][]byte
		rows, err := s.DB().Query(`SELECT secret, device_token_hash FROM verifykit_push_tickets`)
		require.NoError(t, err)
		for rows.Next() {
			var a, c []byte
			require.NoError(t, rows.Scan(&a, &c))
			raw = append(raw, a, c)
		}
		require.NoError(t, rows.Close())
		assertAbsent(t, raw, []byte("totp-secret-plaintext"), []byte("device-token-plaintext"))
		got, err := s.PushTicket(ctx, h1[:])
		require.NoError(t, err)
		assert.Equal(t, []byte("totp-secret-plaintext"), got.Secret)
		assert.Equal(t, th[:], got.Device.TokenHash)

		// The sealed secret of one row pasted into another does not open.
		_, err = s.DB().Exec(`UPDATE verifykit_push_tickets SET secret = (SELECT secret FROM verifykit_push_tickets WHERE method_id = 'm1'), secret_key_id = (SELECT secret_key_id FROM verifykit_push_tickets WHERE method_id = 'm1') WHERE method_id = 'm2'`)
		require.NoError(t, err)
		_, err = s.PushTicket(ctx, h2[:])
		require.Error(t, err)
	})
}
