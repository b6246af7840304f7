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

// PU-06: the user is notified of every new method.
//
// Confirming any method the demo serves without a browser notifies
// the user exactly once, over the e-mail sender, naming the type
// and nothing secret; a refused confirmation notifies nothing.
func TestConfirmationNotifiesTheUserOnce(t *testing.T) {
	s := startServer(t, "-rate-limit", "0")
	var secrets []string
	confirm := func(start string, proof func(e map[string]any) map[string]string) {
		t.Helper()
		res, e := s.start(t, start)
		require.Equal(t, http.StatusAccepted, res.StatusCode, e)
		secrets = append(secrets, e["auth_session"].(string))
		body := proof(e)
		body["auth_session"] = e["auth_session"].(string)
		for _, v := range body {
			secrets = append(secrets, v)
		}
		res, m := s.post(t, "confirmAuthenticationMethod", verifyPath(e["id"].(string)), jsonBody(t, body))
		require.Equal(t, http.StatusCreated, res.StatusCode, m)
	}

	confirm(`{"type":"totp"}`, func(e map[string]any) map[string]string {
		manual := e["manual_input_code"].(string)
		secrets = append(secrets, manual)
		key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(manual)
		require.NoError(t, err)
		code, err := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: key}.Code(time.Now())
		require.NoError(t, err)
		return map[string]string{"otp_code": code}
	})
	confirm(`{"type":"recovery-code"}`, func(e map[string]any) map[string]string {
		secrets = append(secrets, e["recovery_code"].(string))
		return map[string]string{}
	})
	confirm(`{"type":"email","email":"second@example.com"}`, func(map[string]any) map[string]string {
		return map[string]string{"otp_code": s.lastCode(t, "second@example.com").Code}
	})
	confirm(`{"type":"phone","phone_number":"+12015550124"}`, func(map[string]any) map[string]string {
		return map[string]string{"otp_code": s.lastCode(t, "+12015550124").Code}
	})
	confirm(`{"type":"password"}`, func(map[string]any) map[string]string {
		return map[string]string{"new_password": "quiet meadow lantern orbit"}
	})
	confirm(`{"type":"push-notification"}`, func(e map[string]any) map[string]string {
		st, m := newTestDevice(t, "pu06").enroll(t, e["barcode_uri"].(string))
		require.Equal(t, http.StatusCreated, st, m)
		return map[string]string{}
	})
	// A refused confirmation: no notification.
	res, e := s.start(t, `{"type":"recovery-code"}`)
	require.Equal(t, http.StatusAccepted, res.StatusCode)
	res, _ = s.post(t, "confirmAuthenticationMethod", verifyPath("recovery-code|dev_other"), jsonBody(t, map[string]string{"auth_session": e["auth_session"].(string)}))
	require.Equal(t, http.StatusBadRequest, res.StatusCode)

	require.NoError(t, s.stop()) // sends what is queued
	var texts []string
	for _, l := range s.outboxTo(t, "demo@example.com") {
		if l.Code == "" {
			texts = append(texts, l.Text)
		}
	}
	require.Len(t, texts, 6, "%q", texts)
	for i, want := range []string{
		"An authenticator app was added", "A recovery code was added", "An e-mail address for sign-in codes was added",
		"A phone number for sign-in codes was added", "The password of your account was set", "A device for push notifications was added",
	} {
		assert.True(t, strings.HasPrefix(texts[i], want), "%d: %q", i, texts[i])
	}
	all := strings.Join(texts, "\n")
	for _, secret := range append(secrets, testToken, "second@example.com", "+12015550124") {
		assert.NotContains(t, all, secret)
	}
}
