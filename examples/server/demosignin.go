package main

import "net/http"

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
// demoSignIn adds the sign-in page, its script and its styles to mux, with
// the account page's headers and policy.
func demoSignIn(mux *http.ServeMux) {
	for pattern, f := range map[string]struct{ file, ctype string }{
		"GET /signin":          {"demo/signin.html", "text/html; charset=utf-8"},
		"GET /demo/signin.js":  {"demo/signin.js", "text/javascript; charset=utf-8"},
		"GET /demo/signin.css": {"demo/signin.css", "text/css; charset=utf-8"},
	} {
		body, err := demoFiles.ReadFile(f.file)
		if err != nil {
			panic(err) // embedded: cannot happen
		}
		mux.HandleFunc(pattern, serveDemoFile(f.ctype, body))
	}
}
