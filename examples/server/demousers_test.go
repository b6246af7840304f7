package main

import (
	"encoding/base32"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
)

// TestDemoUsers: with -demo-users, TOKEN.NAME acts for USER.NAME; one
// user's auth_session does not confirm for another; and the per-user
// method bound (20) holds at confirm even for enrollments started before it
// was reached.
func TestDemoUsers(t *testing.T) {
	s := startServer(t, "-demo-users")
	post := func(token, op, path, body string) (int, map[string]any) {
		res, m := s.postAs(t, token, op, path, body)
		return res.StatusCode, m
	}
	alice, bob := testToken+".alice", testToken+".bob"

	code, en := post(alice, "createAuthenticationMethod", "/authentication-methods", `{"type":"totp"}`)
	require.Equal(t, http.StatusAccepted, code, en)
	key := totpKey(t, en["manual_input_code"].(string))
	otpNow, err := key.Code(time.Now())
	require.NoError(t, err)
	body := `{"auth_session":"` + en["auth_session"].(string) + `","otp_code":"` + otpNow + `"}`

	code, m := post(bob, "confirmAuthenticationMethod", verifyPath(en["id"].(string)), body)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Equal(t, "invalid_session", m["type"], "bob cannot confirm alice's enrollment")
	code, m = post(alice, "confirmAuthenticationMethod", verifyPath(en["id"].(string)), body)
	require.Equal(t, http.StatusCreated, code, m)

	for _, tok := range []string{testToken + ".", testToken + ".a+b", testToken + "." + strings.Repeat("x", 33), "wrong-token-wrong-token.alice"} {
		code, _ := post(tok, "createAuthenticationMethod", "/authentication-methods", `{"type":"recovery-code"}`)
		assert.Equal(t, http.StatusUnauthorized, code, "token %q", tok)
	}
	code, _ = post(testToken, "createAuthenticationMethod", "/authentication-methods", `{"type":"recovery-code"}`)
	assert.Equal(t, http.StatusAccepted, code, "the demo token itself still works")

	// carol starts 25 recovery-code enrollments before confirming any:
	// only 20 confirm.
	carol := testToken + ".carol"
	var bodies, ids []string
	for range 25 {
		code, en := post(carol, "createAuthenticationMethod", "/authentication-methods", `{"type":"recovery-code"}`)
		require.Equal(t, http.StatusAccepted, code, en)
		bodies = append(bodies, `{"auth_session":"`+en["auth_session"].(string)+`"}`)
		ids = append(ids, en["id"].(string))
	}
	created := 0
	for i := range bodies {
		code, m := post(carol, "confirmAuthenticationMethod", verifyPath(ids[i]), bodies[i])
		if code == http.StatusCreated {
			created++
			continue
		}
		assert.Equal(t, http.StatusBadRequest, code)
		assert.Equal(t, "invalid_request", m["type"], m)
	}
	assert.Equal(t, 20, created, "the per-user bound holds at confirm")
}

func totpKey(t *testing.T, manual string) otp.TOTPKey {
	t.Helper()
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(manual)
	require.NoError(t, err)
	return otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}
}
