package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, b
}

// TestDemoAuthenticatorNames: /demo/authenticators/{aaguid} answers the
// name and the data:image icons -aaguid-names gives a model, and {} for an
// unknown, all-zero or malformed AAGUID; an icon that is a URL to fetch
// is never passed on.
func TestDemoAuthenticatorNames(t *testing.T) {
	names := filepath.Join(t.TempDir(), "names.json")
	require.NoError(t, os.WriteFile(names, []byte(`{
  "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4": {"name": "Google Password Manager", "icon_light": "data:image/svg+xml;base64,PHN2Zy8+", "icon_dark": "https://example.com/icon.svg"}
}`), 0o600))
	s := startServer(t, "-aaguid-names", names)

	for _, tc := range []struct {
		aaguid string
		want   map[string]string
	}{
		{"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4", map[string]string{"name": "Google Password Manager", "icon_light": "data:image/svg+xml;base64,PHN2Zy8+"}},
		{"EA9B8D66-4D01-1D21-3CE4-B6B48CB575D4", map[string]string{"name": "Google Password Manager", "icon_light": "data:image/svg+xml;base64,PHN2Zy8+"}},
		{"01020304-0506-0708-0102-030405060708", map[string]string{}},
		{"00000000-0000-0000-0000-000000000000", map[string]string{}},
		{"not-a-uuid", map[string]string{}},
	} {
		res, body := get(t, s.url+"/demo/authenticators/"+tc.aaguid)
		require.Equal(t, http.StatusOK, res.StatusCode, tc.aaguid)
		assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
		assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
		var got map[string]string
		require.NoError(t, json.Unmarshal(body, &got), string(body))
		assert.Equal(t, tc.want, got, tc.aaguid)
	}
}

// TestDemoPageIsStrict: the account-security page and its files are
// served under a CSP without inline script or style, and the page holds
// no inline script, no style attribute and no resource of another origin.
func TestDemoPageIsStrict(t *testing.T) {
	s := startServer(t)
	for path, ctype := range map[string]string{
		"/":                 "text/html; charset=utf-8",
		"/demo/account.js":  "text/javascript; charset=utf-8",
		"/demo/account.css": "text/css; charset=utf-8",
	} {
		res, body := get(t, s.url+path)
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		assert.Equal(t, ctype, res.Header.Get("Content-Type"), path)
		csp := res.Header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "default-src 'none'", path)
		assert.Contains(t, csp, "script-src 'self';", path)
		assert.Contains(t, csp, "style-src 'self';", path)
		assert.NotContains(t, csp, "unsafe-", path)
		assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"), path)
		if path != "/" {
			continue
		}
		page := string(body)
		assert.Empty(t, regexp.MustCompile(`<script(?:\s[^>]*)?>`).FindAllString(strings.ReplaceAll(page, `<script src="/demo/account.js" defer>`, ""), -1), "inline scripts")
		assert.NotRegexp(t, `\sstyle=|<style|\son[a-z]+=`, page, "inline style or handler")
		assert.NotRegexp(t, `(?:src|href)="(?:https?:)?//`, page, "a resource of another origin")
		assert.Contains(t, page, `href="/signin"`, "the page offers the sign-in page")
	}
	res, _ := get(t, s.url+"/demo/app.js")
	assert.Equal(t, http.StatusNotFound, res.StatusCode, "the old script is gone")
}
