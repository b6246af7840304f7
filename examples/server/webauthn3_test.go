package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// -related-origins serves the WebAuthn L3 §5.11 document at
// /.well-known/webauthn, as application/json.
func TestServerServesRelatedOrigins(t *testing.T) {
	s := startServer(t, "-related-origins", "https://shop.example.co.uk,https://example.de")
	res, err := http.Get(s.url + "/.well-known/webauthn")
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	assert.JSONEq(t, `{"origins":["https://shop.example.co.uk","https://example.de"]}`, string(body))
}

// Related origins that are not https, or span more labels than browsers
// honour, stop the server at start; so does a bad -aaguid-names file.
func TestServerRefusesBadWebAuthnL3Flags(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "names.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"00000000-0000-0000-0000-000000000000": {"name": "zero"}}`), 0o600))
	for _, args := range [][]string{
		{"-related-origins", "http://shop.example.com"},
		{"-related-origins", "https://a1.com,https://a2.com,https://a3.com,https://a4.com,https://a5.com,https://a6.com"},
		{"-aaguid-names", bad},
		{"-aaguid-names", filepath.Join(t.TempDir(), "missing.json")},
	} {
		err := run(t.Context(), append([]string{"-addr", "127.0.0.1:0", "-token", testToken}, args...), io.Discard, io.Discard)
		assert.Error(t, err, "%q", args)
	}
}
