package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
)

// clickJS clicks the button %[1]q of the demo page, as the user would, and
// resolves when the page's status line shows the next API response.
const clickJS = `(async () => {
  const status = document.getElementById("status");
  const before = status.textContent;
  const changed = new Promise((resolve) => new MutationObserver((_, o) => {
    if (status.textContent !== before && /^\d{3} /.test(status.textContent)) { o.disconnect(); resolve(); }
  }).observe(status, {childList: true, characterData: true, subtree: true}));
  document.getElementById(%[1]q).click();
  await changed;
  return {status: status.textContent, response: document.getElementById("response").textContent};
})()`

type pageState struct {
	Status   string `json:"status"`
	Response string `json:"response"`
}

func userGesture(p *runtime.EvaluateParams) {
	t := true
	p.UserGesture = &t
}

// click presses a demo page button and returns the status line and the
// response body the page shows.
func click(t *testing.T, ctx context.Context, id string) pageState {
	t.Helper()
	st, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](fmt.Sprintf(clickJS, id), chromedp.EvalAwaitPromise, userGesture))
	require.NoError(t, err)
	return st
}

// TestDemoPage enrolls, on examples/server's demo page at /, a passkey
// (with the page's own buttons and script) and a TOTP app, whose otpauth
// URI the page shows as a QR code.
func TestDemoPage(t *testing.T) {
	srv := startServer(t)
	ctx := browser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.origin+"/")))
	_, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{})
	require.NoError(t, err)
	opts := passkeyAuthenticator()
	_, err = chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &opts})
	require.NoError(t, err)
	_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`document.getElementById("token").value = %q; fetch("/demo/config").then(() => true)`, srv.token), chromedp.EvalAwaitPromise))
	require.NoError(t, err)

	t.Run("passkey", func(t *testing.T) {
		st := click(t, ctx, "passkey-start")
		require.True(t, strings.HasPrefix(st.Status, "202 "), st.Status)
		require.NoError(t, spectest.CheckSchema("PasskeyCreationResponse", []byte(st.Response)))
		// The page goes on to navigator.credentials.create and verify.
		st, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](`(async () => {
  const status = document.getElementById("status");
  if (!status.textContent.startsWith("202 ")) return {status: status.textContent, response: document.getElementById("response").textContent};
  await new Promise((resolve) => new MutationObserver((_, o) => { o.disconnect(); resolve(); })
    .observe(status, {childList: true, characterData: true, subtree: true}));
  return {status: status.textContent, response: document.getElementById("response").textContent};
})()`, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(st.Status, "201 "), "%s\n%s", st.Status, st.Response)
		assert.Contains(t, st.Status, "Location: "+srv.baseURL+"/authentication-methods/passkey%7Cdev_")
		require.NoError(t, spectest.CheckSchema("AuthenticationMethodPasskey", []byte(st.Response)))
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(st.Response), &m))
		assert.Equal(t, "passkey", m["type"])
		assert.Equal(t, "localhost", m["relying_party_id"])
	})

	t.Run("totp", func(t *testing.T) {
		st := click(t, ctx, "totp-start")
		require.True(t, strings.HasPrefix(st.Status, "202 "), st.Status)
		var enr struct {
			BarcodeURI      string `json:"barcode_uri"`
			ManualInputCode string `json:"manual_input_code"`
		}
		require.NoError(t, json.Unmarshal([]byte(st.Response), &enr))
		require.True(t, strings.HasPrefix(enr.BarcodeURI, "otpauth://totp/"), enr.BarcodeURI)
		// The QR code image of the barcode_uri is shown.
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(async () => {
  const img = document.getElementById("totp-qr");
  if (!(img.complete && img.naturalWidth)) await new Promise((resolve, reject) => { img.onload = resolve; img.onerror = reject; });
  return img.naturalWidth;
})()`, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		assert.Equal(t, 256, width)
		code, err := totp.GenerateCode(enr.ManualInputCode, time.Now())
		require.NoError(t, err)
		_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById("totp-code").value = %q`, code)))
		require.NoError(t, err)
		st = click(t, ctx, "totp-verify")
		require.True(t, strings.HasPrefix(st.Status, "201 "), "%s\n%s", st.Status, st.Response)
		require.NoError(t, spectest.CheckSchema("AuthenticationMethodMfaTotp", []byte(st.Response)))
	})
}
