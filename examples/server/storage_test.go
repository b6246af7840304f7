package main

import (
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/store/sqlstore"
)

// TestStoreFlag: with -store sqlite:PATH the consumption of an
// auth_session and the confirmed method survive a restart, the TOTP secret
// sealed under -store-keys.
func TestStoreFlag(t *testing.T) {
	db := filepath.Join(t.TempDir(), "verifykit.db")
	key := base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	args := []string{"-session-password", "a-session-password-for-the-test-0123456789", "-rate-limit", "0",
		"-store", "sqlite:" + db, "-store-keys", "k1:" + key, "-purge-interval", "1s"}

	s := startServer(t, args...)
	res, e := s.post(t, "createAuthenticationMethod", "/authentication-methods", `{"type":"totp"}`)
	require.Equal(t, http.StatusAccepted, res.StatusCode)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e["manual_input_code"].(string))
	require.NoError(t, err)
	code, err := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}.Code(time.Now())
	require.NoError(t, err)
	body, _ := json.Marshal(map[string]string{"auth_session": e["auth_session"].(string), "otp_code": code})
	res, m := s.post(t, "confirmAuthenticationMethod", verifyPath(e["id"].(string)), string(body))
	require.Equal(t, http.StatusCreated, res.StatusCode, m)
	require.NoError(t, s.stop())

	// After a restart the consumed auth_session is still consumed.
	s = startServer(t, args...)
	res, again := s.post(t, "confirmAuthenticationMethod", verifyPath(e["id"].(string)), string(body))
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "session_already_used", again["type"], "single use survives a restart")
	require.NoError(t, s.stop())

	// The secret is sealed in the file, under key k1.
	keys, _, err := parseStoreKeys("k1:" + key)
	require.NoError(t, err)
	st, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: sqlstore.DriverSQLite, DSN: db, Keys: keys})
	require.NoError(t, err)
	defer st.Close()
	got, err := st.Get(context.Background(), "auth0|demo", m["id"].(string))
	require.NoError(t, err, "the method survived the restart")
	var k otp.TOTPKey
	require.NoError(t, k.UnmarshalBinary(got.Secret))
	assert.Equal(t, secret, k.Secret, "its TOTP key opens with -store-keys")
	var raw []byte
	var keyID string
	require.NoError(t, st.DB().QueryRow(`SELECT secret, secret_key_id FROM verifykit_methods`).Scan(&raw, &keyID))
	assert.Equal(t, "k1", keyID)
	assert.NotContains(t, string(raw), string(secret))
}

func TestStorageFlags(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		spec, want string
	}{
		{"sqlite:", "the path is empty"},
		{"mysql://u:hunter2@db/x", "want memory, sqlite:PATH or a postgres:// URL"},
		{"postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=2", "-store: sqlstore: connect"},
	} {
		_, _, err := openStore(ctx, tc.spec, testStoreKeys(t))
		require.ErrorContains(t, err, tc.want, tc.spec)
		assert.NotContains(t, err.Error(), "hunter2", "a DSN password never reaches the error")
	}
	for _, tc := range []struct{ in, want string }{
		{"k1", "entry 1 is not ID:KEY"},
		{"k1:short", `key "k1" is not 32 bytes`},
		{"k1:" + strings.Repeat("A", 43) + ",k2", "entry 2 is not ID:KEY"},
	} {
		_, _, err := parseStoreKeys(tc.in)
		assert.ErrorContains(t, err, tc.want, tc.in)
	}
	keys, random, err := parseStoreKeys("new:" + strings.Repeat("A", 43) + ", old:" + strings.Repeat("B", 43))
	require.NoError(t, err)
	assert.False(t, random)
	require.Len(t, keys, 2)
	assert.Equal(t, "new", keys[0].ID, "the first key seals")
	_, err = parseFlags([]string{"-purge-interval", "10ms"}, io.Discard)
	assert.ErrorContains(t, err, "-purge-interval 10ms out of range [1s, 24h0m0s]")
	_, _, err = openRedisLimiter(ctx, "http://not-redis")
	assert.ErrorContains(t, err, "-redis: want a redis://")
}

func testStoreKeys(t *testing.T) []sqlstore.Key {
	keys, random, err := parseStoreKeys("")
	require.NoError(t, err)
	require.True(t, random)
	return keys
}
