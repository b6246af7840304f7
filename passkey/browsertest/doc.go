// Package browsertest holds the end-to-end test of the passkey engines in
// a real browser: headless Chromium, whose WebAuthn virtual authenticators
// are driven through the DevTools protocol (WebAuthn.addVirtualAuthenticator,
// with github.com/chromedp/chromedp), enrolls a passkey and a
// webauthn-roaming key through the HTTP API of examples/server, built from
// source and run on a free port. The responses are validated against the
// spec (internal/testkit/spectest).
//
// The test needs /usr/bin/chromium (Debian's chromium package) or the
// browser named by VERIFYKIT_CHROMIUM; without one it is skipped, and with
// CI=true it fails.
package browsertest
