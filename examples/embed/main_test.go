package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/store/storetest"
)

func newTestHost(t *testing.T) (http.Handler, *storetest.Clock) {
	t.Helper()
	clock := storetest.NewClock(storetest.Epoch)
	h, err := newHost(hostConfig{
		BaseURL:         "https://app.example.com/account/api",
		SealingPassword: "embed-test-sealing-password-0123456789",
		HashKey:         bytes.Repeat([]byte{3}, 32),
		Sessions:        newSessions(clock.Now),
		Logger:          slog.New(slog.DiscardHandler),
		Now:             clock.Now,
	})
	require.NoError(t, err)
	return h, clock
}

func login(t *testing.T, h http.Handler, user string) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login?user="+user, nil))
	require.Equal(t, http.StatusOK, rec.Code)
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	assert.True(t, cookies[0].HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, cookies[0].SameSite)
	return cookies[0]
}

func call(t *testing.T, h http.Handler, op, path, ctype, body string, c *http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", ctype)
	if c != nil {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	spectest.ValidateRecorder(t, op, rec)
	return rec
}

func TestEmbeddedEnrollment(t *testing.T) {
	h, _ := newTestHost(t)
	c := login(t, h, "alice")
	rec := call(t, h, "createAuthenticationMethod", "/account/api/authentication-methods", "application/json", `{"type":"recovery-code"}`, c)
	require.Equal(t, http.StatusAccepted, rec.Code, rec.Body.String())
	var e struct {
		ID          string `json:"id"`
		AuthSession string `json:"auth_session"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
	assert.Equal(t, "https://app.example.com/account/api/authentication-methods/"+url.PathEscape(e.ID), rec.Header().Get("Location"))

	// Another user cannot confirm alice's enrollment.
	other := login(t, h, "mallory")
	rec = call(t, h, "confirmAuthenticationMethod", "/account/api/authentication-methods/"+url.PathEscape(e.ID)+"/verify",
		"application/json", `{"auth_session":"`+e.AuthSession+`"}`, other)
	assert.Equal(t, http.StatusBadRequest, rec.Code)

	rec = call(t, h, "confirmAuthenticationMethod", "/account/api/authentication-methods/"+url.PathEscape(e.ID)+"/verify",
		"application/json", `{"auth_session":"`+e.AuthSession+`"}`, c)
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
}

func TestEmbeddedAuthentication(t *testing.T) {
	h, _ := newTestHost(t)
	c := login(t, h, "alice")

	rec := call(t, h, "createAuthenticationMethod", "/account/api/authentication-methods", "application/json", `{"type":"totp"}`, nil)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)

	forged := &http.Cookie{Name: cookieName, Value: "forged"}
	rec = call(t, h, "createAuthenticationMethod", "/account/api/authentication-methods", "application/json", `{"type":"totp"}`, forged)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)

	// A cross-site form post carries the cookie (were it not SameSite) but
	// cannot send application/json without a CORS preflight: 415.
	rec = call(t, h, "createAuthenticationMethod", "/account/api/authentication-methods", "application/x-www-form-urlencoded", `type=totp`, c)
	assert.Equal(t, http.StatusUnsupportedMediaType, rec.Code)
	rec = call(t, h, "createAuthenticationMethod", "/account/api/authentication-methods", "text/plain", `{"type":"totp"}`, c)
	assert.Equal(t, http.StatusUnsupportedMediaType, rec.Code)
}

// GN-01: binding a factor needs a fresh authentication at the right level.
//
// Binding a new authenticator needs a recent authentication: the host's
// Authenticator refuses a stale sign-in with 403.
func TestStaleSignInCannotBindAnAuthenticator(t *testing.T) {
	h, clock := newTestHost(t)
	c := login(t, h, "alice")
	clock.Advance(StepUpWindow)
	rec := call(t, h, "createAuthenticationMethod", "/account/api/authentication-methods", "application/json", `{"type":"totp"}`, c)
	assert.Equal(t, http.StatusAccepted, rec.Code, "at the edge of the window")
	clock.Advance(time.Second)
	rec = call(t, h, "createAuthenticationMethod", "/account/api/authentication-methods", "application/json", `{"type":"totp"}`, c)
	assert.Equal(t, http.StatusForbidden, rec.Code)
	body, _ := io.ReadAll(rec.Body)
	assert.Contains(t, string(body), "Sign in again")
	c = login(t, h, "alice")
	rec = call(t, h, "createAuthenticationMethod", "/account/api/authentication-methods", "application/json", `{"type":"totp"}`, c)
	assert.Equal(t, http.StatusAccepted, rec.Code)
}
