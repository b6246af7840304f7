package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
)

// TestPasskeySignInIsServedAtTheRoot: the usernameless passkey routes are
// the handler's, at the server's root, without a token: another method
// answers 405 with Allow: POST and another /passkey path 404, each with
// the spec's ErrorResponse and the per-IP rate-limit headers.
func TestPasskeySignInIsServedAtTheRoot(t *testing.T) {
	s := startServer(t)
	for _, tc := range []struct {
		method, path string
		status       int
		typ          string
	}{
		{http.MethodGet, "/passkey/challenge", http.StatusMethodNotAllowed, "method_not_allowed"},
		{http.MethodGet, "/passkey/authenticate", http.StatusMethodNotAllowed, "method_not_allowed"},
		{http.MethodPost, "/passkey/register", http.StatusNotFound, "not_found"},
	} {
		req, err := http.NewRequest(tc.method, s.url+tc.path, nil)
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, tc.status, resp.StatusCode, "%s %s: %s", tc.method, tc.path, body)
		require.NoError(t, spectest.CheckSchema("ErrorResponse", body), string(body))
		var p struct{ Type string }
		require.NoError(t, json.Unmarshal(body, &p))
		assert.Equal(t, tc.typ, p.Type)
		assert.NotEmpty(t, resp.Header.Get("X-Ratelimit-Limit"), tc.path)
		if tc.status == http.StatusMethodNotAllowed {
			assert.Equal(t, "POST", resp.Header.Get("Allow"))
		}
	}
	// The challenge route answers the handler's JSON (a challenge once the
	// passkey engine signs in; until then its refusal), never the mux's.
	resp, err := http.Post(s.url+"/passkey/challenge", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
}
