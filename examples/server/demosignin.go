package main

import (
	_ "embed"
	"net/http"
)

// The sign-in page: demo/signin.html, demo/signin.js and demo/signin.css,
// served at /signin, /demo/signin.js and /demo/signin.css. It signs in with a passkey, usernameless
// (a button, and conditional-UI autofill started on load) through
// POST /passkey/challenge and /passkey/authenticate; it steps up the
// signed-in user with a TOTP code, a recovery code (showing the one that
// replaces it once), a password or a WebAuthn credential through
// …/{id}/challenge and …/{id}/authenticate; and after a password step-up
// it offers a passkey upgrade, a conditional create. Like the account
// page, it gets the bearer token pasted by the user (kept in the tab's
// sessionStorage) and runs WebAuthn only at -origin.
var (
	//go:embed demo/signin.html
	signinPage []byte
	//go:embed demo/signin.js
	signinScript []byte
	//go:embed demo/signin.css
	signinStyle []byte
)

// signinCSP is the sign-in page's policy: scripts and styles from this
// origin's files only (no inline script or style, no eval), requests to
// this origin only, nothing external, no framing, no form posts.
const signinCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// demoSignIn adds the sign-in page, its script and its styles to mux.
func demoSignIn(mux *http.ServeMux) {
	serve := func(ctype string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", ctype)
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Content-Security-Policy", signinCSP)
			_, _ = w.Write(body)
		}
	}
	mux.HandleFunc("GET /signin", serve("text/html; charset=utf-8", signinPage))
	mux.HandleFunc("GET /demo/signin.js", serve("text/javascript; charset=utf-8", signinScript))
	mux.HandleFunc("GET /demo/signin.css", serve("text/css; charset=utf-8", signinStyle))
}
