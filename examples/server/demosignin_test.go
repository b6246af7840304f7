package main

import (
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The sign-in page and its script are served with the account page's
// strict headers: a CSP allowing scripts, styles and requests to this
// origin only, no framing, no sniffing, no caching. The page has no
// inline script or style and loads nothing from elsewhere.
func TestSignInPageIsServedWithAStrictPolicy(t *testing.T) {
	s := startServer(t)
	for _, tc := range []struct{ path, ctype string }{
		{"/signin", "text/html; charset=utf-8"},
		{"/demo/signin.js", "text/javascript; charset=utf-8"},
		{"/demo/signin.css", "text/css; charset=utf-8"},
	} {
		res, err := http.Get(s.url + tc.path)
		require.NoError(t, err)
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode, tc.path)
		assert.Equal(t, tc.ctype, res.Header.Get("Content-Type"), tc.path)
		assert.Equal(t, demoCSP, res.Header.Get("Content-Security-Policy"), tc.path)
		assert.Contains(t, demoCSP, "script-src 'self';")
		assert.NotContains(t, demoCSP, "unsafe")
		assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"), tc.path)
		assert.Equal(t, "DENY", res.Header.Get("X-Frame-Options"), tc.path)
		assert.Equal(t, "no-store", res.Header.Get("Cache-Control"), tc.path)
		if tc.path == "/signin" {
			scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(string(body), -1)
			assert.Equal(t, []string{`<script src="/demo/signin.js">`}, scripts, "one script, from this origin, none inline")
			assert.NotRegexp(t, `(?i)(src|href)="(https?:)?//`, string(body), "nothing external")
			assert.NotRegexp(t, `(?i)\son[a-z]+=`, string(body), "no inline event handler")
			assert.NotRegexp(t, `(?i)<style|\sstyle=`, string(body), "no inline style")
			assert.Contains(t, string(body), `autocomplete="username webauthn"`)
		}
	}
}
