package browsertest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/chromium"
	"github.com/verifykit/verifykit/internal/testkit/spectest"
)

// spaPage serves an empty page at http://localhost:PORT, standing for a
// single-page app on an origin other than the API's.
func spaPage(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!doctype html><title>spa</title>")
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// crossOriginJS defines api(path, body) on the page: a fetch of the API at
// %[1]q with the bearer token %[2]q, returning the status, the headers the
// page can read and the body, or the error when the browser blocks it.
const crossOriginJS = `window.api = async (path, body) => {
  try {
    const r = await fetch(%[1]q + path, {method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + %[2]q},
      body: JSON.stringify(body)});
    return {status: r.status, headers: Object.fromEntries(r.headers), location: r.headers.get("Location"), limit: r.headers.get("X-RateLimit-Limit"), body: await r.text()};
  } catch (e) {
    return {blocked: String(e)};
  }
};`

type corsResult struct {
	Status   int               `json:"status"`
	Headers  map[string]string `json:"headers"` // those the page can read
	Location string            `json:"location"`
	Limit    string            `json:"limit"`
	Body     string            `json:"body"`
	Blocked  string            `json:"blocked"`
}

// TestCrossOriginSPAEnrolsPasskeyAndTOTP runs examples/server with
// -cors-origin for a page on another origin, and from that page, in
// headless Chromium, enrolls a passkey (a virtual authenticator) and a
// TOTP through the API, reading the exposed Location and rate-limit
// headers. A page on an origin not listed is blocked by the browser.
func TestCrossOriginSPAEnrolsPasskeyAndTOTP(t *testing.T) {
	spa := spaPage(t)
	other := spaPage(t)
	port := strconv.Itoa(freePort(t))
	s := &server{origin: "http://127.0.0.1:" + port, token: "browsertest-token-0123456789abcdef", user: "auth0|browser"}
	s.baseURL = s.origin + "/me/v1"
	// The API is on 127.0.0.1, the page on localhost: two origins. The
	// WebAuthn ceremony runs on the page, so its origin is the one the
	// passkey engine accepts.
	runServer(t, s, spa, "-addr", "127.0.0.1:"+port, "-origin", spa, "-cors-origin", spa)

	ctx := browser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(spa+"/")))
	_, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{})
	require.NoError(t, err)
	opts := passkeyAuthenticator()
	_, err = chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &opts})
	require.NoError(t, err)
	_, err = chromedp.Run(ctx, chromedp.Evaluate[any](fmt.Sprintf(crossOriginJS, s.baseURL, s.token)))
	require.NoError(t, err)
	call := func(js string) corsResult {
		t.Helper()
		res, err := chromedp.Run(ctx, chromedp.Evaluate[corsResult](js, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		require.Empty(t, res.Blocked, "the browser blocked a call from the configured origin")
		return res
	}

	t.Run("passkey", func(t *testing.T) {
		start := call(`api("/authentication-methods", {type: "passkey"})`)
		require.Equal(t, http.StatusAccepted, start.Status, start.Body)
		assert.Equal(t, s.baseURL+"/authentication-methods/passkey%7Cnew", start.Location, "Location is exposed")
		assert.NotEmpty(t, start.Limit, "x-ratelimit-limit is exposed")
		verify := call(fmt.Sprintf(`(async () => {
  const enr = JSON.parse(%q);
  const cred = await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(enr.authn_params_public_key)});
  return api("/authentication-methods/" + encodeURIComponent(enr.id) + "/verify", {auth_session: enr.auth_session, authn_response: (%s)(cred)});
})()`, start.Body, chromium.CredentialJSON))
		require.Equal(t, http.StatusCreated, verify.Status, verify.Body)
		// Validated with only the headers the page can read: every header
		// the spec requires is exposed.
		hdr := http.Header{}
		for k, v := range verify.Headers {
			hdr.Set(k, v)
		}
		spectest.ValidateResponse(t, "confirmAuthenticationMethod", verify.Status, hdr, []byte(verify.Body))
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(verify.Body), &m))
		assert.Equal(t, "passkey", m["type"])
	})

	t.Run("totp", func(t *testing.T) {
		start := call(`api("/authentication-methods", {type: "totp"})`)
		require.Equal(t, http.StatusAccepted, start.Status, start.Body)
		var enr struct {
			ID, AuthSession, ManualInputCode string
		}
		var raw map[string]string
		require.NoError(t, json.Unmarshal([]byte(start.Body), &raw))
		enr.ID, enr.AuthSession, enr.ManualInputCode = raw["id"], raw["auth_session"], raw["manual_input_code"]
		code, err := totp.GenerateCode(enr.ManualInputCode, time.Now())
		require.NoError(t, err)
		verify := call(fmt.Sprintf(`api("/authentication-methods/" + encodeURIComponent(%q) + "/verify", {auth_session: %q, otp_code: %q})`, enr.ID, enr.AuthSession, code))
		require.Equal(t, http.StatusCreated, verify.Status, verify.Body)
		assert.Contains(t, verify.Location, "/authentication-methods/totp%7Cdev_")
	})

	t.Run("other origin is blocked", func(t *testing.T) {
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(other+"/")))
		_, err = chromedp.Run(ctx, chromedp.Evaluate[any](fmt.Sprintf(crossOriginJS, s.baseURL, s.token)))
		require.NoError(t, err)
		res, err := chromedp.Run(ctx, chromedp.Evaluate[corsResult](`api("/authentication-methods", {type: "totp"})`, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		assert.Contains(t, res.Blocked, "TypeError", "a page of an unlisted origin must not reach the API")
	})
}
