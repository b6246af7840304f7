// Package browsertest holds the end-to-end test of the passkey engines in
// a real browser: headless Chromium, whose WebAuthn virtual authenticators
// are driven through the DevTools protocol (WebAuthn.addVirtualAuthenticator,
// with github.com/chromedp/chromedp), enrolls a passkey and a
// webauthn-roaming key through the HTTP API of examples/server, built from
// source and run on a free port. The responses are validated against the
// spec (internal/testkit/spectest). It also drives examples/server's demo
// pages: the account page at / and the sign-in page at /signin
// (usernameless passkey by button and conditional-UI autofill, step-up
// with TOTP and a recovery code, the passkey upgrade after a password
// step-up), failing on any console error, uncaught exception or CSP
// violation; and a page that sends only the browser's own WebAuthn JSON
// (parseCreationOptionsFromJSON, parseRequestOptionsFromJSON, toJSON()).
//
// The test needs /usr/bin/chromium (Debian's chromium package) or the
// browser named by VERIFYKIT_CHROMIUM; without one it is skipped, and with
// CI=true it fails.
package browsertest
