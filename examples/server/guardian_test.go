package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/push/devicetest"
)

// signInPost posts body to the sign-in extension route path with the
// demo token and returns the status and the decoded answer.
func signInPost(t *testing.T, s *server, path, body string) (int, map[string]any) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, s.api+path, strings.NewReader(body))
	require.NoError(t, err)
	r.Header.Set("Authorization", "Bearer "+testToken)
	r.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer res.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&m))
	return res.StatusCode, m
}

// pushLines returns the outbox's push notifications to token (any when
// empty), oldest first.
func (s *server) pushLines(t *testing.T, token string) []pushOutboxLine {
	t.Helper()
	data, err := os.ReadFile(s.outbox)
	require.NoError(t, err)
	var lines []pushOutboxLine
	for _, l := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var line pushOutboxLine
		if json.Unmarshal(l, &line) == nil && line.Channel == "push" && (token == "" || line.To == token) {
			lines = append(lines, line)
		}
	}
	return lines
}

// enrollGuardian enrolls a Guardian.Android test device with the demo
// server and confirms the method; it returns the device and the method id.
func (s *server) enrollGuardian(t *testing.T) (*devicetest.Device, string) {
	t.Helper()
	res, e := s.start(t, `{"type":"push-notification"}`)
	require.Equal(t, http.StatusAccepted, res.StatusCode, e)
	d, err := devicetest.New("Pixel 8")
	require.NoError(t, err)
	en, err := d.Enroll(context.Background(), e["barcode_uri"].(string))
	require.NoError(t, err)
	assert.Equal(t, s.url+"/push", en.URL)
	assert.Equal(t, "verifykit demo", en.Issuer)
	assert.NotEmpty(t, en.UserID)
	require.NotNil(t, en.TOTP)
	assert.Equal(t, e["manual_input_code"], en.TOTP.Secret, "the barcode's TOTP secret")
	res, m := s.confirm(t, e, "")
	require.Equal(t, http.StatusCreated, res.StatusCode, m)
	assert.Equal(t, "Pixel 8", m["name"])
	return d, e["id"].(string)
}

// TestServerGuardianDevice drives the demo server with a device that
// speaks Guardian.Android's protocol byte for byte: enroll (no proof, an
// RSA key in BigInteger form), update, and delete through the device API
// (issue 15 item 3).
//
// Checklist: PU-05, SI-09.
func TestServerGuardianDevice(t *testing.T) {
	for name, args := range map[string][]string{
		"memory": {"-rate-limit", "0"},
		"sqlite": {"-rate-limit", "0", "-store", "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite")},
	} {
		t.Run(name, func(t *testing.T) { testGuardianDevice(t, startServer(t, args...)) })
	}
}

func testGuardianDevice(t *testing.T, s *server) {
	ctx := context.Background()
	d, id := s.enrollGuardian(t)

	// The same device again: 409.
	_, e := s.start(t, `{"type":"push-notification"}`)
	_, err := d.Enroll(ctx, e["barcode_uri"].(string))
	assert.Equal(t, http.StatusConflict, devicetest.Status(err), err)

	// Push sign-in (step-up): the challenge pushes a Guardian notification
	// through the outbox; the authentication is pending until the device
	// answers, succeeds after its approval and fails after a rejection.
	signIn := func(accept bool) (int, map[string]any) {
		code, ch := signInPost(t, s, methodPath(id)+"/challenge", `{}`)
		require.Equal(t, http.StatusOK, code, ch)
		body := `{"auth_session":"` + ch["auth_session"].(string) + `"}`
		code, m := signInPost(t, s, methodPath(id)+"/authenticate", body)
		require.Equal(t, http.StatusBadRequest, code, "pending: %v", m)
		lines := s.pushLines(t, "")
		require.NotEmpty(t, lines, "the challenge wrote a push notification")
		n, err := devicetest.ParseNotification(lines[len(lines)-1].Data)
		require.NoError(t, err)
		if accept {
			require.NoError(t, d.Allow(ctx, n))
		} else {
			require.NoError(t, d.Reject(ctx, n, nil))
		}
		return signInPost(t, s, methodPath(id)+"/authenticate", body)
	}
	code, m := signIn(true)
	require.Equal(t, http.StatusOK, code, m)
	assert.NotEmpty(t, m["authentication_method"].(map[string]any)["last_auth_at"])
	code, m = signIn(false)
	assert.Equal(t, http.StatusBadRequest, code, "a rejection fails the sign-in: %v", m)

	// Update the push token, as the SDK does on a token refresh.
	tok := "fcm-refreshed"
	m, err = d.Update(ctx, nil, nil, &tok)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"service": "GCM", "token": "fcm-refreshed"}, m["push_credentials"])
	assert.Equal(t, "Pixel 8", m["name"], "a field the body leaves out is kept")

	// Delete: the method is gone from the user's list.
	require.NoError(t, d.Delete(ctx))
	res, _ := s.do(t, "getAuthenticationMethod", http.MethodGet, methodPath(id), "")
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Equal(t, http.StatusUnauthorized, devicetest.Status(d.Delete(ctx)), "the device token died with it")
}
