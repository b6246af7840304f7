package main

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

const (
	password = "floor-test-sealing-password-0123456789"
	token    = "floor-test-token"
)

// enroll starts a TOTP enrollment the way examples/server does and
// returns its verify path and the code its authenticator shows now.
func enroll(t *testing.T) (path, sealed, code string) {
	t.Helper()
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "demo", Password: password}}})
	require.NoError(t, err)
	st, err := memory.New(memory.Config{})
	require.NoError(t, err)
	totp, err := otp.NewTOTP(otp.TOTPConfig{Issuer: "floor test"})
	require.NoError(t, err)
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{totp}, Sealer: sealer, Store: st})
	require.NoError(t, err)
	en, err := svc.Start(context.Background(), verify.Subject{ID: "auth0|floor", Email: "f@example.com"}, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{})
	require.NoError(t, err)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.ManualInputCode)
	require.NoError(t, err)
	code, err = otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}.Code(time.Now())
	require.NoError(t, err)
	return prefix + url.PathEscape(en.ID) + "/verify", en.AuthSession, code
}

func post(t *testing.T, h http.Handler, bearer, path, sealed, code string) int {
	t.Helper()
	body, err := json.Marshal(map[string]string{"auth_session": sealed, "otp_code": code})
	require.NoError(t, err)
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(string(body)))
	r.Header.Set("Authorization", "Bearer "+bearer)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// TestFloorDoesTheWork keeps the floor honest: it confirms a real
// enrollment once, and refuses what a confirm must refuse, so bench/run
// never measures a handler that skips the work it stands for.
func TestFloorDoesTheWork(t *testing.T) {
	var logs strings.Builder
	f, err := newFloor(password, token, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	path, sealed, code := enroll(t)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}

	assert.Equal(t, http.StatusUnauthorized, post(t, f, "other-token", path, sealed, code))
	assert.Equal(t, http.StatusBadRequest, post(t, f, token, path, sealed, wrong), "a wrong code")
	assert.Equal(t, http.StatusBadRequest, post(t, f, token, path, forged(sealed), code), "a forged seal")
	assert.Equal(t, http.StatusBadRequest, post(t, f, token, prefix+"totp%7Cdev_other/verify", sealed, code), "another method's path")
	assert.Equal(t, http.StatusCreated, post(t, f, token+".u1", path, sealed, code))
	assert.Equal(t, http.StatusBadRequest, post(t, f, token, path, sealed, code), "a consumed session")
	assert.Len(t, f.methods, 1)
	assert.Contains(t, logs.String(), "event=enrollment_confirmed")
	assert.Equal(t, 2, strings.Count(logs.String(), "event=enrollment_failed"), "the wrong code and the reuse")

	// Five wrong codes use up a session's attempts.
	path2, sealed2, code2 := enroll(t)
	wrong2 := "000000"
	if code2 == wrong2 {
		wrong2 = "111111"
	}
	for range 5 {
		assert.Equal(t, http.StatusBadRequest, post(t, f, token, path2, sealed2, wrong2))
	}
	assert.Equal(t, http.StatusBadRequest, post(t, f, token, path2, sealed2, code2), "the right code after 5 attempts")
}

// forged changes one character of the seal's MAC, ten from its end, to
// another.
func forged(sealed string) string {
	i := len(sealed) - 10
	c := byte('A')
	if sealed[i] == 'A' {
		c = 'B'
	}
	return sealed[:i] + string(c) + sealed[i+1:]
}
