package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/faulttest"
	"github.com/verifykit/verifykit/internal/testkit/peer"
	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/ratelimit"
)

const testToken = "test-token-0123456789abcdefgh"

// requirePeer skips a test whose external peer is missing, except in CI
// (CI=true), where the peer must be there.
func requirePeer(t *testing.T, ok bool, what string) {
	t.Helper()
	if !ok {
		peer.Missing(t, "%s not available", what)
	}
}

// server is a running demo server.
type server struct {
	url    string // http://127.0.0.1:PORT
	api    string // url + /me/v1
	outbox string
	stderr *lockedBuffer
	stop   func() error
}

// lockedBuffer is a bytes.Buffer safe for concurrent writes.
type lockedBuffer = faulttest.Buffer

func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	s := &server{outbox: filepath.Join(t.TempDir(), "outbox.jsonl"), stderr: &lockedBuffer{}}
	args := append([]string{"-addr", "127.0.0.1:0", "-token", testToken, "-outbox", s.outbox, "-log-format", "json"}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, pw, s.stderr)
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "verifykit demo server listening on "); ok {
			s.url = u
			break
		}
	}
	require.NotEmpty(t, s.url, "no listening line; stderr: %s", s.stderr.String())
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	s.api = s.url + "/me/v1"
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(15 * time.Second):
				stopErr = context.DeadlineExceeded
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = s.stop() })
	return s
}

// post sends a JSON body with the test token and checks the response
// against the spec.
func (s *server) post(t *testing.T, op, path, body string) (*http.Response, map[string]any) {
	t.Helper()
	return s.postAs(t, testToken, op, path, body)
}

// postAs is post with another bearer token.
func (s *server) postAs(t *testing.T, token, op, path, body string) (*http.Response, map[string]any) {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, s.api+path, strings.NewReader(body))
	require.NoError(t, err)
	r.Header.Set("Authorization", "Bearer "+token)
	r.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	spectest.ValidateResponse(t, op, res.StatusCode, res.Header, b)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), string(b))
	return res, m
}

func verifyPath(id string) string {
	return "/authentication-methods/" + url.PathEscape(id) + "/verify"
}

func TestServerEnrollments(t *testing.T) {
	s := startServer(t, "-session-password", "a-session-password-for-the-test-0123456789", "-rate-limit", "0")

	t.Run("totp with oathtool", func(t *testing.T) {
		oathtool, err := exec.LookPath("oathtool")
		requirePeer(t, err == nil, "oathtool")
		res, e := s.post(t, "createAuthenticationMethod", "/authentication-methods", `{"type":"totp"}`)
		require.Equal(t, http.StatusAccepted, res.StatusCode)
		assert.Contains(t, e["barcode_uri"], "otpauth://totp/verifykit%20demo:demo@example.com?secret=")
		// -rate-limit 0 lifts the limit: the headers do not report one of 1.
		assert.Equal(t, strconv.Itoa(ratelimit.MaxRequests), res.Header.Get("X-RateLimit-Limit"))
		out, err := exec.Command(oathtool, "--totp", "-b", e["manual_input_code"].(string)).Output()
		require.NoError(t, err)
		body, _ := json.Marshal(map[string]string{"auth_session": e["auth_session"].(string), "otp_code": strings.TrimSpace(string(out))})
		res, m := s.post(t, "confirmAuthenticationMethod", verifyPath(e["id"].(string)), string(body))
		require.Equal(t, http.StatusCreated, res.StatusCode, m)
		assert.Equal(t, s.api+"/authentication-methods/"+url.PathEscape(m["id"].(string)), res.Header.Get("Location"))
	})

	t.Run("recovery code", func(t *testing.T) {
		res, e := s.post(t, "createAuthenticationMethod", "/authentication-methods", `{"type":"recovery-code"}`)
		require.Equal(t, http.StatusAccepted, res.StatusCode)
		body, _ := json.Marshal(map[string]string{"auth_session": e["auth_session"].(string)})
		res, m := s.post(t, "confirmAuthenticationMethod", verifyPath(e["id"].(string)), string(body))
		require.Equal(t, http.StatusCreated, res.StatusCode, m)
		assert.Equal(t, "recovery-code", m["type"])
	})

	t.Run("email through the outbox", func(t *testing.T) {
		res, e := s.post(t, "createAuthenticationMethod", "/authentication-methods", `{"type":"email","email":"demo@example.com"}`)
		require.Equal(t, http.StatusAccepted, res.StatusCode, e)
		last := s.lastCode(t, "demo@example.com") // the outbox also holds notifications, without a code
		body, _ := json.Marshal(map[string]string{"auth_session": e["auth_session"].(string), "otp_code": last.Code})
		res, m := s.post(t, "confirmAuthenticationMethod", verifyPath(e["id"].(string)), string(body))
		require.Equal(t, http.StatusCreated, res.StatusCode, m)
	})

	t.Run("errors", func(t *testing.T) {
		res, m := s.post(t, "createAuthenticationMethod", "/authentication-methods", `{"type":"totp","extra":true}`)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
		assert.Equal(t, "invalid_request", m["type"])
		res, m = s.post(t, "confirmAuthenticationMethod", verifyPath("totp|dev_nope"), `{"auth_session":"Fe26.2**x","otp_code":"123456"}`)
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
		assert.Equal(t, "invalid_session", m["type"])
	})

	t.Run("demo page and QR code", func(t *testing.T) {
		res, err := http.Get(s.url + "/")
		require.NoError(t, err)
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.Contains(t, string(page), "verifykit demo")
		assert.Contains(t, res.Header.Get("Content-Security-Policy"), "script-src 'self'")
		res, err = http.Post(s.url+"/demo/qr", "application/json", strings.NewReader(`{"data":"otpauth://totp/x:y?secret=JBSWY3DPEHPK3PXP"}`))
		require.NoError(t, err)
		png, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assert.Equal(t, "image/png", res.Header.Get("Content-Type"))
		assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG")))
		res, err = http.Post(s.url+"/demo/qr", "application/json", strings.NewReader(`{"data":"https://evil.example"}`))
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	})

	// The logs carry the events, and no secret.
	require.NoError(t, s.stop())
	logs := s.stderr.String()
	assert.Contains(t, logs, `"msg":"verifykit enrollment_confirmed"`)
	assert.Contains(t, logs, `"msg":"shutting down"`)
	assert.NotContains(t, logs, testToken)
	assert.NotContains(t, logs, "Fe26.2*")
	assert.NotContains(t, logs, "a-session-password-for-the-test")
}

func TestServerRateLimit(t *testing.T) {
	s := startServer(t, "-rate-limit", "2")
	for i, want := range []int{202, 202, 429} {
		res, _ := s.post(t, "createAuthenticationMethod", "/authentication-methods", `{"type":"recovery-code"}`)
		require.Equal(t, want, res.StatusCode, "request %d", i)
	}
}

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-rate-limit", "-1"}, "-rate-limit -1 out of range"},
		{[]string{"-log-format", "xml"}, "-log-format"},
		{[]string{"-log-level", "loud"}, "-log-level"},
		{[]string{"-token", "short"}, "-token"},
		{[]string{"-session-password", "short"}, "session"},
		{[]string{"-hash-key", "!!"}, "-hash-key"},
		{[]string{"-hash-key", "c2hvcnQ"}, "-hash-key"},
		{[]string{"-issuer", "a:b"}, "-issuer"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-base-url", "ftp://x"}, "BaseURL"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			err := run(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, tc.args...), io.Discard, io.Discard)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestREADMEWalkthrough runs the README's curl walk-through, verbatim,
// against a running server: the documentation cannot rot.
//
// Checklist: SI-05.
func TestREADMEWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "oathtool"} {
		_, err := exec.LookPath(tool)
		requirePeer(t, err == nil, tool)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?s)<!-- walkthrough:begin -->(.*?)<!-- walkthrough:end -->`).FindSubmatch(readme)
	require.NotNil(t, m, "README.md has no walkthrough markers")
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllSubmatch(m[1], -1) {
		for _, line := range strings.Split(string(block[1]), "\n") {
			// The reader sets API and TOKEN from what the server printed.
			if strings.HasPrefix(line, "API=") || strings.HasPrefix(line, "TOKEN=") {
				continue
			}
			script.WriteString(line + "\n")
		}
	}
	require.Contains(t, script.String(), "oathtool")
	s := startServer(t)
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Env = append(os.Environ(), "API="+s.api, "TOKEN="+testToken)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "walk-through failed:\n%s", out)
	assert.Contains(t, string(out), `"type": "totp"`)
	assert.Contains(t, string(out), `"type": "recovery-code"`)
	assert.Contains(t, string(out), `"type": "password"`)
	assert.Equal(t, 3, strings.Count(string(out), "HTTP/1.1 201 Created"), string(out))
	assert.Contains(t, string(out), `"name": "Authenticator on my phone"`)
	assert.Contains(t, string(out), "\n204\n", "the recovery code is deleted")
	assert.Contains(t, string(out), `"type": "conflict"`, "the last primary method stays")
	assert.NotContains(t, string(out), "violet tractor cinnamon harbor\"", "no answer echoes the password")
	// The sign-ins: the enrollment's TOTP code is a replay; the next code,
	// the recovery code and the password sign in, each answer and the list
	// showing last_auth_at.
	assert.Equal(t, 1, strings.Count(string(out), `"type": "invalid_proof"`), string(out))
	assert.GreaterOrEqual(t, strings.Count(string(out), `"last_auth_at": "`), 5, string(out))
	assert.Contains(t, string(out), `"recovery_code": "`)
}
