package main

// End-to-end tests of the password engine and of the management routes
// (list, get, update, delete, factors) through the demo server: real HTTP,
// every My Account response validated against the spec, notifications
// read from the -outbox file.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/otp"
)

// do sends a request with the test token and checks the response against
// the spec's operation op; it returns the decoded body (nil for none).
func (s *server) do(t *testing.T, op, method, path, body string) (*http.Response, map[string]any) {
	t.Helper()
	r, err := http.NewRequest(method, s.api+path, strings.NewReader(body))
	require.NoError(t, err)
	r.Header.Set("Authorization", "Bearer "+testToken)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	spectest.ValidateResponse(t, op, res.StatusCode, res.Header, b)
	if len(b) == 0 {
		return res, nil
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), string(b))
	return res, m
}

func methodPath(id string) string { return "/authentication-methods/" + url.PathEscape(id) }

// TestServerPassword sets the demo user's password: start returns the
// policy; a dictionary word and a short password are refused with the
// rules they break; a good one is confirmed; a second change replaces the
// method (one password method), and the history refuses the old one.
func TestServerPassword(t *testing.T) {
	s := startServer(t, "-rate-limit", "0")
	res, e := s.start(t, `{"type":"password"}`)
	require.Equal(t, http.StatusAccepted, res.StatusCode, e)
	assert.Equal(t, "password|new", e["id"])
	policy := e["policy"].(map[string]any)
	assert.EqualValues(t, 15, policy["complexity"].(map[string]any)["min_length"])
	assert.Equal(t, map[string]any{"active": true, "size": float64(5)}, policy["history"])

	for _, bad := range []struct{ password, field string }{
		{"Password1234567", "new_password"}, // the dictionary's "password"
		{"short", "new_password"},
	} {
		res, p := s.post(t, "confirmAuthenticationMethod", verifyPath("password|new"),
			jsonBody(t, map[string]string{"auth_session": e["auth_session"].(string), "new_password": bad.password}))
		require.Equal(t, http.StatusBadRequest, res.StatusCode, p)
		assert.Equal(t, "invalid_request", p["type"])
		require.NotEmpty(t, p["validation_errors"])
		assert.NotContains(t, jsonBody(t, p), bad.password, "the refusal does not echo the password")
	}
	const good = "violet tractor cinnamon harbor"
	res, m := s.post(t, "confirmAuthenticationMethod", verifyPath("password|new"),
		jsonBody(t, map[string]string{"auth_session": e["auth_session"].(string), "new_password": good}))
	require.Equal(t, http.StatusCreated, res.StatusCode, m)
	id := m["id"].(string)
	assert.Equal(t, "password", m["type"])
	assert.Equal(t, "auth0|demo", m["identity_user_id"])
	assert.Equal(t, []any{"primary"}, m["usage"])
	assert.NotEmpty(t, m["last_password_reset"])
	assert.Equal(t, s.api+methodPath(id), res.Header.Get("Location"))
	assert.NotContains(t, jsonBody(t, m), good)

	// A change: the old password is in the history; a new one replaces it.
	change := func(pw string) (*http.Response, map[string]any) {
		_, e := s.start(t, `{"type":"password"}`)
		return s.post(t, "confirmAuthenticationMethod", verifyPath("password|new"),
			jsonBody(t, map[string]string{"auth_session": e["auth_session"].(string), "new_password": pw}))
	}
	res, p := change(good)
	require.Equal(t, http.StatusBadRequest, res.StatusCode, p)
	assert.Contains(t, jsonBody(t, p), "must not be one of your last 5 passwords")
	res, m = change("amber glacier pocket lantern")
	require.Equal(t, http.StatusCreated, res.StatusCode, m)
	assert.Equal(t, id, m["id"], "the same method, replaced")
	res, l := s.do(t, "getAuthenticationMethods", http.MethodGet, "/authentication-methods?type=password", "")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Len(t, l["authentication_methods"], 1, "one password method")

	// The password is the demo user's only primary method: it stays.
	res, p = s.do(t, "deleteAuthenticationMethod", http.MethodDelete, methodPath(id), "")
	require.Equal(t, http.StatusConflict, res.StatusCode, p)
	assert.Equal(t, "conflict", p["type"])

	require.NoError(t, s.stop())
	logs := s.stderr.String()
	for _, secret := range []string{good, "amber glacier", "Password1234567", "$argon2id$"} {
		assert.NotContains(t, logs, secret)
	}
	for _, l := range s.outboxTo(t, "demo@example.com") {
		assert.NotContains(t, l.Text, good)
		assert.NotContains(t, l.Text, "argon2")
	}
}

// TestServerManage lists, reads, renames and deletes the demo user's
// methods, and checks that each addition and removal was notified.
func TestServerManage(t *testing.T) {
	s := startServer(t, "-rate-limit", "0")
	res, e := s.start(t, `{"type":"recovery-code"}`)
	require.Equal(t, http.StatusAccepted, res.StatusCode, e)
	recoveryCode := e["recovery_code"].(string)
	res, rc := s.confirm(t, e, "")
	require.Equal(t, http.StatusCreated, res.StatusCode, rc)
	res, e = s.start(t, `{"type":"phone","phone_number":"+12015550123"}`)
	require.Equal(t, http.StatusAccepted, res.StatusCode, e)
	res, ph := s.confirm(t, e, s.lastCode(t, "+12015550123").Code)
	require.Equal(t, http.StatusCreated, res.StatusCode, ph)

	res, l := s.do(t, "getAuthenticationMethods", http.MethodGet, "/authentication-methods", "")
	require.Equal(t, http.StatusOK, res.StatusCode, l)
	require.Len(t, l["authentication_methods"], 2)
	res, l = s.do(t, "getAuthenticationMethods", http.MethodGet, "/authentication-methods?type=phone", "")
	require.Equal(t, http.StatusOK, res.StatusCode, l)
	require.Len(t, l["authentication_methods"], 1)
	res, p := s.do(t, "getAuthenticationMethods", http.MethodGet, "/authentication-methods?type=sms", "")
	require.Equal(t, http.StatusBadRequest, res.StatusCode, p)

	phoneID := ph["id"].(string)
	res, m := s.do(t, "updateAuthenticationMethod", http.MethodPatch, methodPath(phoneID), `{"name":"Work phone","preferred_authentication_method":"voice"}`)
	require.Equal(t, http.StatusOK, res.StatusCode, m)
	assert.Equal(t, "Work phone", m["name"])
	assert.Equal(t, "voice", m["preferred_authentication_method"])
	res, m = s.do(t, "getAuthenticationMethod", http.MethodGet, methodPath(phoneID), "")
	require.Equal(t, http.StatusOK, res.StatusCode, m)
	assert.Equal(t, "Work phone", m["name"])

	res, f := s.do(t, "getFactors", http.MethodGet, "/factors", "")
	require.Equal(t, http.StatusOK, res.StatusCode, f)
	var types []string
	for _, x := range f["factors"].([]any) {
		types = append(types, x.(map[string]any)["type"].(string))
	}
	assert.Subset(t, types, []string{"password", "totp", "phone", "email", "recovery-code"})

	res, _ = s.do(t, "deleteAuthenticationMethod", http.MethodDelete, methodPath(rc["id"].(string)), "")
	require.Equal(t, http.StatusNoContent, res.StatusCode)
	res, p = s.do(t, "getAuthenticationMethod", http.MethodGet, methodPath(rc["id"].(string)), "")
	require.Equal(t, http.StatusNotFound, res.StatusCode, p)

	// The notifications: two additions and one removal, to the demo
	// user's address, naming the type and nothing secret. They are sent
	// asynchronously; stopping the server sends what is queued.
	require.NoError(t, s.stop())
	var texts []string
	for _, line := range s.outboxTo(t, "demo@example.com") {
		if line.Code == "" {
			assert.Equal(t, otp.ChannelEmail, line.Channel)
			texts = append(texts, line.Text)
		}
	}
	require.Len(t, texts, 3, "%q", texts)
	all := strings.Join(texts, "\n")
	assert.Contains(t, all, "A recovery code was added to your account")
	assert.Contains(t, all, "A phone number for sign-in codes was added to your account")
	assert.Contains(t, all, "A recovery code was removed from your account")
	for _, secret := range []string{recoveryCode, "+12015550123", "Fe26.2", testToken, phoneID} {
		assert.NotContains(t, all, secret)
	}
	logs := s.stderr.String()
	assert.Contains(t, logs, `"msg":"verifykit method_deleted"`)
	assert.Contains(t, logs, `"msg":"verifykit method_updated"`)
}
