package main

// End-to-end tests of the e-mail, phone and push-notification engines
// through the demo server: real HTTP, codes read from the -outbox file,
// every My Account response validated against the spec (server.post).

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
)

// outbox returns the outbox lines sent to to, oldest first.
func (s *server) outboxTo(t *testing.T, to string) []otp.OutboxLine {
	t.Helper()
	data, err := os.ReadFile(s.outbox)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var lines []otp.OutboxLine
	for _, l := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var line otp.OutboxLine
		require.NoError(t, json.Unmarshal(l, &line), string(l))
		if line.To == to {
			lines = append(lines, line)
		}
	}
	return lines
}

// lastCode returns the last code sent to to (notifications carry none).
func (s *server) lastCode(t *testing.T, to string) otp.OutboxLine {
	t.Helper()
	var codes []otp.OutboxLine
	for _, l := range s.outboxTo(t, to) {
		if l.Code != "" {
			codes = append(codes, l)
		}
	}
	require.NotEmpty(t, codes, "no code sent to %s", to)
	return codes[len(codes)-1]
}

func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func (s *server) start(t *testing.T, body string) (*http.Response, map[string]any) {
	t.Helper()
	return s.post(t, "createAuthenticationMethod", "/authentication-methods", body)
}

func (s *server) confirm(t *testing.T, e map[string]any, code string) (*http.Response, map[string]any) {
	t.Helper()
	body := map[string]string{"auth_session": e["auth_session"].(string)}
	if code != "" {
		body["otp_code"] = code
	}
	return s.post(t, "confirmAuthenticationMethod", verifyPath(e["id"].(string)), jsonBody(t, body))
}

func flip(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestServerEmailAndPhone(t *testing.T) {
	s := startServer(t, "-rate-limit", "0")

	t.Run("email", func(t *testing.T) {
		res, e := s.start(t, `{"type":"email","email":"Jane.Doe@Example.COM"}`)
		require.Equal(t, http.StatusAccepted, res.StatusCode, e)
		assert.ElementsMatch(t, []string{"id", "auth_session"}, mapKeys(e))
		line := s.lastCode(t, "Jane.Doe@example.com")
		assert.Equal(t, otp.ChannelEmail, line.Channel)
		assert.Regexp(t, `^[0-9]{6}$`, line.Code)
		assert.Contains(t, line.Text, line.Code)
		res, m := s.confirm(t, e, line.Code)
		require.Equal(t, http.StatusCreated, res.StatusCode, m)
		assert.Equal(t, "email", m["type"])
		assert.Equal(t, "Jane.Doe@example.com", m["email"])
		assert.Equal(t, true, m["confirmed"])
		res, m = s.confirm(t, e, line.Code)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode, "a code is accepted once")
		assert.Equal(t, "session_already_used", m["type"])
	})

	t.Run("phone by voice", func(t *testing.T) {
		res, e := s.start(t, `{"type":"phone","phone_number":"+1 (201) 555-0123","preferred_authentication_method":"voice"}`)
		require.Equal(t, http.StatusAccepted, res.StatusCode, e)
		line := s.lastCode(t, "+12015550123")
		assert.Equal(t, otp.ChannelVoice, line.Channel)
		res, m := s.confirm(t, e, line.Code)
		require.Equal(t, http.StatusCreated, res.StatusCode, m)
		assert.Equal(t, "+12015550123", m["phone_number"])
		assert.Equal(t, "voice", m["preferred_authentication_method"])
	})

	t.Run("malformed and over-long destinations", func(t *testing.T) {
		long := strings.Repeat("a", 64) + "@" + strings.Repeat("b.", 95) + "com"
		for _, tc := range []struct{ body, field string }{
			{`{"type":"email","email":"Jane <jane@example.com>"}`, "email"},
			{`{"type":"email","email":"jane@example.com\r\nBcc: eve@example.com"}`, "email"},
			{jsonBody(t, map[string]string{"type": "email", "email": long}), "email"},
			{`{"type":"phone","phone_number":"555 123 4567"}`, "phone_number"},
			{`{"type":"phone","phone_number":"+1234567890123456"}`, "phone_number"},
			{`{"type":"phone","phone_number":"+12015550123","preferred_authentication_method":"fax"}`, ""},
		} {
			res, m := s.start(t, tc.body)
			assert.Equal(t, http.StatusBadRequest, res.StatusCode, tc.body)
			assert.Equal(t, "invalid_request", m["type"], tc.body)
			if tc.field != "" {
				ve, _ := m["validation_errors"].([]any)
				require.Len(t, ve, 1, m)
				assert.Equal(t, tc.field, ve[0].(map[string]any)["field"])
			}
		}
	})

	t.Run("five wrong codes void the session", func(t *testing.T) {
		res, e := s.start(t, `{"type":"email","email":"guess@example.com"}`)
		require.Equal(t, http.StatusAccepted, res.StatusCode, e)
		code := s.lastCode(t, "guess@example.com").Code
		for i := 0; i < 5; i++ {
			res, m := s.confirm(t, e, flip(code))
			require.Equal(t, http.StatusBadRequest, res.StatusCode)
			assert.Equal(t, "invalid_proof", m["type"], "attempt %d", i+1)
		}
		res, m := s.confirm(t, e, code)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
		assert.Equal(t, "too_many_attempts", m["type"], "the right code is refused after 5 failures")
	})

	t.Run("code of another enrollment", func(t *testing.T) {
		_, e1 := s.start(t, `{"type":"email","email":"two@example.com"}`)
		c1 := s.lastCode(t, "two@example.com").Code
		_, e2 := s.start(t, `{"type":"email","email":"two@example.com"}`)
		c2 := s.lastCode(t, "two@example.com").Code
		if c1 != c2 {
			res, m := s.confirm(t, e2, c1)
			assert.Equal(t, http.StatusBadRequest, res.StatusCode)
			assert.Equal(t, "invalid_proof", m["type"])
		}
		res, m := s.confirm(t, e2, c2)
		require.Equal(t, http.StatusCreated, res.StatusCode, m)
		res, m = s.confirm(t, e1, c1)
		require.Equal(t, http.StatusCreated, res.StatusCode, m)
	})
}

// TestServerResendThrottle: the 11th code to one address within the hour
// is refused with 429 and the rate-limit headers, and is not sent.
func TestServerResendThrottle(t *testing.T) {
	s := startServer(t, "-rate-limit", "0")
	for i := 0; i < defaultSendRequests; i++ {
		res, e := s.start(t, `{"type":"phone","phone_number":"+447911123456"}`)
		require.Equal(t, http.StatusAccepted, res.StatusCode, e)
	}
	res, m := s.start(t, `{"type":"phone","phone_number":"+44 7911 123456"}`)
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode, m)
	assert.Equal(t, "rate_limited", m["type"])
	assert.Equal(t, "Too many codes were sent; try again later", m["detail"])
	assert.Equal(t, "10", res.Header.Get("X-RateLimit-Limit"))
	assert.Equal(t, "0", res.Header.Get("X-RateLimit-Remaining"))
	assert.NotEmpty(t, res.Header.Get("X-RateLimit-Reset"))
	assert.NotEmpty(t, res.Header.Get("Retry-After"))
	assert.Len(t, s.outboxTo(t, "+447911123456"), defaultSendRequests, "a refused start sends nothing")
}

func mapKeys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// testDevice is an authenticator app with an EC P-256 key.
type testDevice struct {
	id  string
	key *ecdsa.PrivateKey
}

func newTestDevice(t *testing.T, id string) *testDevice {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return &testDevice{id: id, key: k}
}

// enroll POSTs the device's enrollment for the barcode's ticket to its
// base_url, as the app would, and returns the status and body.
func (d *testDevice) enroll(t *testing.T, barcode string) (int, map[string]any) {
	t.Helper()
	u, err := url.Parse(barcode)
	require.NoError(t, err)
	ticket, base := u.Query().Get("enrollment_tx_id"), u.Query().Get("base_url")
	b64 := base64.RawURLEncoding.EncodeToString
	pt, err := d.key.PublicKey.Bytes()
	require.NoError(t, err)
	now := time.Now().Unix()
	claims := jsonBody(t, map[string]any{"aud": base + "/api/enroll", "sub": ticket, "iss": d.id, "iat": now, "exp": now + 60})
	input := b64([]byte(`{"alg":"ES256","typ":"JWT"}`)) + "." + b64([]byte(claims))
	digest := sha256.Sum256([]byte(input))
	r, sg, err := ecdsa.Sign(rand.Reader, d.key, digest[:])
	require.NoError(t, err)
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sg.FillBytes(sig[32:])
	body := jsonBody(t, map[string]any{
		"identifier": d.id, "name": "Phone " + d.id,
		"push_credentials": map[string]string{"service": "FCM", "token": "token-" + d.id},
		"public_key":       map[string]string{"kty": "EC", "crv": "P-256", "x": b64(pt[1:33]), "y": b64(pt[33:])},
		"proof":            input + "." + b64(sig),
	})
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, base+"/api/enroll", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", fmt.Sprintf(`Ticket id="%s"`, ticket))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), string(raw))
	return res.StatusCode, m
}

func TestServerPush(t *testing.T) {
	s := startServer(t, "-rate-limit", "0")
	res, e := s.start(t, `{"type":"push-notification"}`)
	require.Equal(t, http.StatusAccepted, res.StatusCode, e)
	barcode := e["barcode_uri"].(string)
	assert.True(t, strings.HasPrefix(barcode, "otpauth://totp/verifykit%20demo:demo@example.com?enrollment_tx_id="), barcode)
	assert.Contains(t, barcode, "&base_url="+url.QueryEscape(s.url+"/push")+"&secret=")
	assert.NotEmpty(t, e["manual_input_code"])

	// Before the device: 400 "enrollment pending", as often as polled.
	for i := 0; i < 7; i++ {
		res, m := s.confirm(t, e, "")
		require.Equal(t, http.StatusBadRequest, res.StatusCode)
		assert.Equal(t, "enrollment_pending", m["type"], m)
	}

	// A device enrolled under another session does not satisfy this one.
	_, other := s.start(t, `{"type":"push-notification"}`)
	st, m := newTestDevice(t, "other").enroll(t, other["barcode_uri"].(string))
	require.Equal(t, http.StatusCreated, st, m)
	res, m = s.confirm(t, e, "")
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Equal(t, "enrollment_pending", m["type"], m)

	d := newTestDevice(t, "mine")
	st, m = d.enroll(t, barcode) // with a proof of possession: the extension
	require.Equal(t, http.StatusCreated, st, m)
	assert.NotEmpty(t, m["id"], "the device account")
	assert.NotEmpty(t, m["token"], "the device token")

	st, m = newTestDevice(t, "thief").enroll(t, barcode)
	assert.Equal(t, http.StatusUnauthorized, st, "ticket reuse: %v", m)
	unknown := strings.Replace(barcode, "enrollment_tx_id=", "enrollment_tx_id=A", 1)
	st, _ = newTestDevice(t, "x").enroll(t, unknown)
	assert.Equal(t, http.StatusUnauthorized, st, "unknown ticket")

	res, m = s.confirm(t, e, "")
	require.Equal(t, http.StatusCreated, res.StatusCode, m)
	assert.Equal(t, "push-notification", m["type"])
	assert.Equal(t, "Phone mine", m["name"])
	assert.Equal(t, true, m["confirmed"])
}
