package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/chromium"
)

// watchConsole records what the page writes to the console as an error,
// every uncaught exception and unhandled rejection, and every error of
// the browser log but the network's (a 400 the test provokes is logged
// there, as "Failed to load resource"). Call the returned func at the
// end: it fails the test on any of them. A CSP violation is an error of
// the browser log.
func watchConsole(t *testing.T, ctx context.Context) func() {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		var line string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				line = "console." + string(e.Type) + ": " + strings.Join(args, " ")
			}
		case *runtime.EventExceptionThrown:
			line = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				line += " " + e.ExceptionDetails.Exception.Description
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError && e.Entry.Source != log.EntrySourceNetwork {
				line = "log " + string(e.Entry.Source) + ": " + e.Entry.Text
			}
		}
		if line != "" {
			mu.Lock()
			seen = append(seen, line)
			mu.Unlock()
		}
	}))
	return func() {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		assert.Empty(t, seen, "the page wrote errors to the console")
	}
}

// waitJS resolves, with the element's text, once the element %[1]q is
// shown (no ancestor of class "hidden") and its text matches %[2]q; it
// rejects as soon as the page shows the error element %[3]q instead (the
// page's hint when a ceremony or request failed), so a broken page fails
// the test at once rather than at the tab's deadline.
const waitJS = `(async () => {
  const el = document.getElementById(%[1]q);
  const re = new RegExp(%[2]q);
  const fail = %[3]q ? document.getElementById(%[3]q) : null;
  const ok = () => !el.closest(".hidden") && re.test(el.textContent);
  const failed = () => fail && !fail.closest(".hidden") && fail.textContent !== "";
  const settle = () => {
    if (ok()) return el.textContent;
    if (failed()) throw new Error("the page shows #" + %[3]q + ": " + fail.textContent);
    return null;
  };
  let got = settle();
  if (got === null) got = await new Promise((resolve, reject) => {
    const o = new MutationObserver(() => {
      try { const v = settle(); if (v !== null) { o.disconnect(); resolve(v); } } catch (e) { o.disconnect(); reject(e); }
    });
    o.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  });
  return got;
})()`

// waitText waits until the page shows the element id with a text that
// matches re, and returns the text. The tab's context bounds the wait.
func waitText(t *testing.T, ctx context.Context, id, re string) string {
	t.Helper()
	return waitTextOr(t, ctx, id, re, "")
}

// waitTextOr is waitText that fails at once when the page shows the
// element failID.
func waitTextOr(t *testing.T, ctx context.Context, id, re, failID string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(waitJS, id, re, failID), chromedp.EvalAwaitPromise))
	require.NoError(t, err, "waiting for #%s to match %s", id, re)
	return s
}

// text returns the text of the element id.
func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.getElementById(%q).textContent`, id)))
	require.NoError(t, err)
	return s
}

// press clicks the button id with a user gesture, as the user would.
func press(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.getElementById(%q).click(), true`, id), userGesture))
	require.NoError(t, err)
}

// setField types value into the input or select id, firing its input
// event as typing does.
func setField(t *testing.T, ctx context.Context, id, value string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
  const el = document.getElementById(%q);
  el.value = %q;
  el.dispatchEvent(new Event("input", {bubbles: true}));
  return el.value === %[2]q;
})()`, id, value)))
	require.NoError(t, err)
}

// lastResponse is the page's "Last response": its status line and body.
func lastResponse(t *testing.T, ctx context.Context) (string, map[string]any) {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(text(t, ctx, "response")), &m))
	return text(t, ctx, "status"), m
}

// apiJSON calls examples/server's API from the test, as curl would, and
// decodes the answer.
func apiJSON(t *testing.T, srv *server, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, srv.baseURL+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), string(raw))
	return res.StatusCode, m
}

func methodURL(id string) string { return "/authentication-methods/" + url.PathEscape(id) }

// openSignIn opens the sign-in page with the demo token pasted in.
func openSignIn(t *testing.T, ctx context.Context, srv *server) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.origin+"/signin")))
	// The stylesheet, a file of the page's origin, passed the CSP: what
	// it hides is hidden.
	styled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.styleSheets.length === 1 && getComputedStyle(document.getElementById("signin-result")).display === "none"`))
	require.NoError(t, err)
	require.True(t, styled, "demo/signin.css applies")
	setField(t, ctx, "token", srv.token)
}

// recordPasskeyAuthenticate is run in every new document before the
// page's script: it keeps the bodies the page sends to
// /passkey/authenticate, so the test can replay one.
const recordPasskeyAuthenticate = `window.__sent = [];
{
  const orig = window.fetch;
  window.fetch = (input, init) => {
    if (String(input).endsWith("/passkey/authenticate")) window.__sent.push(init.body);
    return orig(input, init);
  };
}`

// TestPasskeyEnrolledInChromiumPassesUsernamelessSignIn enrolls a passkey in
// headless Chromium (a resident-key CTAP2 virtual authenticator), then
// signs in on the demo's sign-in page without a username: through the
// conditional-UI autofill the page starts on load, and through the
// button, which aborts the pending autofill request first (Chromium
// refuses a second request while one is pending). Each answers 200 with
// the user and the method with its last_auth_at; the assertion sent
// again answers 400.
func TestPasskeyEnrolledInChromiumPassesUsernamelessSignIn(t *testing.T) { // SI-01, SI-02, SI-11
	srv := startServer(t)
	ctx := browser(t)
	checkConsole := watchConsole(t, ctx)
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recordPasskeyAuthenticate})
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.origin+"/")))
	_, err = chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{})
	require.NoError(t, err)
	opts := passkeyAuthenticator()
	added, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &opts})
	require.NoError(t, err)
	enr, err := chromedp.Run(ctx, chromedp.Evaluate[enrollResult](fmt.Sprintf(enrollJS, "passkey", "none", srv.token, chromium.CredentialJSON), chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	require.NotNil(t, enr.Verify)
	require.Equal(t, http.StatusCreated, enr.Verify.Status, enr.Verify.Body)
	var enrolled struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(enr.Verify.Body), &enrolled))

	signedIn := func(t *testing.T, via string) {
		t.Helper()
		waitTextOr(t, ctx, "signin-via", via, "passkey-hint")
		status, body := lastResponse(t, ctx)
		require.True(t, strings.HasPrefix(status, "200 "), "%s %v", status, body)
		assert.Equal(t, srv.user, body["user_id"])
		m, _ := body["authentication_method"].(map[string]any)
		require.NotNil(t, m, body)
		assert.Equal(t, enrolled.ID, m["id"])
		assert.Equal(t, "passkey", m["type"])
		last, _ := m["last_auth_at"].(string)
		_, err := time.Parse(time.RFC3339Nano, last)
		require.NoError(t, err, "last_auth_at %q", last)
		assert.Equal(t, srv.user, text(t, ctx, "signin-user"))
		assert.Equal(t, "passkey "+enrolled.ID, text(t, ctx, "signin-method"))
		assert.Equal(t, last, text(t, ctx, "signin-last-auth"))
	}

	t.Run("autofill", func(t *testing.T) {
		// Chromium's virtual authenticator answers a conditional request
		// at once, as if the user had picked its passkey in the autofill.
		openSignIn(t, ctx, srv)
		signedIn(t, "^autofill")
		assert.Equal(t, "Autofill: a passkey was chosen.", text(t, ctx, "autofill-state"))
		name, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("username").value`))
		require.NoError(t, err)
		assert.Equal(t, srv.user, name, "the field names who signed in")
	})

	t.Run("button aborts the pending autofill", func(t *testing.T) {
		// Without presence the conditional request stays pending, as a
		// real one does until the user picks a passkey.
		_, err := chromedp.Call(ctx, webauthn.SetAutomaticPresenceSimulation, webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: added.AuthenticatorID, Enabled: false})
		require.NoError(t, err)
		openSignIn(t, ctx, srv)
		waitText(t, ctx, "autofill-state", "^Autofill: waiting")
		_, err = chromedp.Call(ctx, webauthn.SetAutomaticPresenceSimulation, webauthn.SetAutomaticPresenceSimulationParams{AuthenticatorID: added.AuthenticatorID, Enabled: true})
		require.NoError(t, err)
		press(t, ctx, "passkey-signin")
		signedIn(t, "^the button")
		assert.Equal(t, "Autofill: aborted (the button started its own request). Reload the page to offer it again.", text(t, ctx, "autofill-state"))

		// The same body again: its auth_session signed in once.
		res, err := chromedp.Run(ctx, chromedp.Evaluate[httpResult](`(async () => {
  const r = await fetch("/passkey/authenticate", {method: "POST", headers: {"Content-Type": "application/json"}, body: window.__sent.at(-1)});
  return {status: r.status, body: await r.text()};
})()`, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, res.Status, res.Body)
		assert.Contains(t, res.Body, `"session_already_used"`)

		// The same assertion under a fresh auth_session: its challenge is
		// not the session's.
		res, err = chromedp.Run(ctx, chromedp.Evaluate[httpResult](`(async () => {
  const ch = await (await fetch("/passkey/challenge", {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"})).json();
  const sent = JSON.parse(window.__sent.at(-1));
  const r = await fetch("/passkey/authenticate", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({auth_session: ch.auth_session, authn_response: sent.authn_response})});
  return {status: r.status, body: await r.text()};
})()`, chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, res.Status, res.Body)
		assert.Contains(t, res.Body, `"invalid_proof"`)
	})
	checkConsole()
}

// TestStepUpSignInInChromiumWithTOTPAndRecoveryCode steps up the signed-in user
// on the sign-in page: with the TOTP app's next code (the one that
// enrolled it is a replay), and with a recovery code, whose replacement
// the page shows once; the used code is then refused and the replacement
// signs in. The page shows last_auth_at.
func TestStepUpSignInInChromiumWithTOTPAndRecoveryCode(t *testing.T) { // SI-05, SI-07, SI-11
	srv := startServer(t)
	status, start := apiJSON(t, srv, http.MethodPost, "/authentication-methods", map[string]string{"type": "totp"})
	require.Equal(t, http.StatusAccepted, status, start)
	secret := start["manual_input_code"].(string)
	enrolledAt := time.Now()
	code, err := totp.GenerateCode(secret, enrolledAt)
	require.NoError(t, err)
	status, totpMethod := apiJSON(t, srv, http.MethodPost, methodURL(start["id"].(string))+"/verify", map[string]any{"auth_session": start["auth_session"], "otp_code": code})
	require.Equal(t, http.StatusCreated, status, totpMethod)
	status, start = apiJSON(t, srv, http.MethodPost, "/authentication-methods", map[string]string{"type": "recovery-code"})
	require.Equal(t, http.StatusAccepted, status, start)
	oldCode := start["recovery_code"].(string)
	status, rcMethod := apiJSON(t, srv, http.MethodPost, methodURL(start["id"].(string))+"/verify", map[string]any{"auth_session": start["auth_session"]})
	require.Equal(t, http.StatusCreated, status, rcMethod)

	ctx := browser(t)
	checkConsole := watchConsole(t, ctx)
	openSignIn(t, ctx, srv)
	press(t, ctx, "methods-load")
	waitText(t, ctx, "stepup-choose", "")
	challenge := func(t *testing.T, id string) {
		t.Helper()
		setField(t, ctx, "method", id)
		press(t, ctx, "stepup-challenge")
		waitText(t, ctx, "stepup-answer", "")
		st, body := lastResponse(t, ctx)
		require.True(t, strings.HasPrefix(st, "200 "), "%s %v", st, body)
		assert.NotEmpty(t, body["auth_session"])
	}
	answer := func(t *testing.T, proof string) (string, map[string]any) {
		t.Helper()
		before := text(t, ctx, "status") + text(t, ctx, "response")
		setField(t, ctx, "stepup-proof", proof)
		press(t, ctx, "stepup-authenticate")
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(async () => {
  const cur = () => document.getElementById("status").textContent + document.getElementById("response").textContent;
  if (cur() === %[1]q) await new Promise((resolve) => new MutationObserver((_, o) => { if (cur() !== %[1]q) { o.disconnect(); resolve(); } })
    .observe(document.body, {subtree: true, childList: true, characterData: true}));
  return true;
})()`, before), chromedp.EvalAwaitPromise))
		require.NoError(t, err)
		return lastResponse(t, ctx)
	}
	signedIn := func(t *testing.T, st string, body map[string]any, id string) {
		t.Helper()
		require.True(t, strings.HasPrefix(st, "200 "), "%s %v", st, body)
		m := body["authentication_method"].(map[string]any)
		assert.Equal(t, id, m["id"])
		last, _ := m["last_auth_at"].(string)
		_, err := time.Parse(time.RFC3339Nano, last)
		require.NoError(t, err, "last_auth_at %q", last)
		waitText(t, ctx, "stepup-result", regexp.QuoteMeta(id))
		assert.Equal(t, last, text(t, ctx, "stepup-last-auth"))
	}

	t.Run("totp", func(t *testing.T) {
		totpID := totpMethod["id"].(string)
		challenge(t, totpID)
		// The enrollment's code: its time step is not later than the last
		// accepted.
		st, body := answer(t, code)
		require.True(t, strings.HasPrefix(st, "400 "), "%s %v", st, body)
		assert.Equal(t, "invalid_proof", body["type"])
		next, err := totp.GenerateCode(secret, enrolledAt.Add(30*time.Second))
		require.NoError(t, err)
		st, body = answer(t, next)
		signedIn(t, st, body, totpID)
		_, has := body["recovery_code"]
		assert.False(t, has)
		assert.Equal(t, "", text(t, ctx, "stepup-recovery-code"))
	})

	t.Run("recovery code", func(t *testing.T) {
		rcID := rcMethod["id"].(string)
		challenge(t, rcID)
		st, body := answer(t, oldCode)
		signedIn(t, st, body, rcID)
		newCode, _ := body["recovery_code"].(string)
		require.NotEmpty(t, newCode)
		assert.NotEqual(t, oldCode, newCode)
		assert.Equal(t, newCode, waitText(t, ctx, "stepup-recovery-code", "."), "the replacement is shown")

		// Shown once: the next challenge takes it off the page.
		challenge(t, rcID)
		assert.Equal(t, "", text(t, ctx, "stepup-recovery-code"))
		assert.NotContains(t, text(t, ctx, "response"), newCode)
		st, body = answer(t, oldCode)
		require.True(t, strings.HasPrefix(st, "400 "), "%s %v", st, body)
		assert.Equal(t, "invalid_proof", body["type"], "the used code never works again")
		st, body = answer(t, newCode)
		signedIn(t, st, body, rcID)
	})

	// The list read after the sign-ins shows last_auth_at too.
	status, list := apiJSON(t, srv, http.MethodGet, "/authentication-methods", nil)
	require.Equal(t, http.StatusOK, status, list)
	for _, m := range list["authentication_methods"].([]any) {
		assert.NotEmpty(t, m.(map[string]any)["last_auth_at"], m)
	}
	checkConsole()
}

// recordCreate is run in every new document before the page's script:
// it records each navigator.credentials.create call of the page (its
// mediation and options) and then, by window.__createMode, passes it on
// as it is ("through"), declines it as a browser does ("decline", a
// NotAllowedError), or passes it on without mediation ("modal").
const recordCreate = `window.__creates = [];
window.__createMode = "through";
{
  const orig = navigator.credentials.create.bind(navigator.credentials);
  navigator.credentials.create = (opts) => {
    const pk = opts.publicKey || {};
    window.__creates.push({mediation: opts.mediation || "", rp: pk.rp && pk.rp.id, user: pk.user && pk.user.name,
      residentKey: pk.authenticatorSelection && pk.authenticatorSelection.residentKey,
      challengeBytes: pk.challenge ? pk.challenge.byteLength : 0});
    if (window.__createMode === "decline") return Promise.reject(new DOMException("The operation either timed out or was not allowed.", "NotAllowedError"));
    if (window.__createMode === "modal") { const {mediation, ...modal} = opts; return orig(modal); }
    return orig(opts);
  };
}`

type createCall struct {
	Mediation      string `json:"mediation"`
	RP             string `json:"rp"`
	User           string `json:"user"`
	ResidentKey    string `json:"residentKey"`
	ChallengeBytes int    `json:"challengeBytes"`
}

// TestPasswordStepUpInChromiumOffersAPasskeyUpgrade steps up with a
// password on the sign-in page, which then starts a passkey with
// {"type":"passkey","mediation":"conditional"} (202) and calls
// navigator.credentials.create({mediation: "conditional", publicKey}).
//
// Chromium 156 headless, with a virtual authenticator, leaves that
// request pending (a probe still saw it pending after 5 s, with and
// without a credential already on the authenticator). As far as we know
// Chromium creates conditionally only after its password manager filled
// a password for the site, which this test does not arrange. So the test
// checks the request the page makes; that the page says so
// clearly when the browser declines (the decline is the test's, as a
// browser gives it); and, with the page's request passed on as a modal
// create, that the page's /verify of the conditional session enrolls the
// passkey (201). A UP=0 registration under such a session is the passkey
// package's test (generated registrations).
func TestPasswordStepUpInChromiumOffersAPasskeyUpgrade(t *testing.T) {
	srv := startServer(t)
	const password = "violet tractor cinnamon harbor"
	status, start := apiJSON(t, srv, http.MethodPost, "/authentication-methods", map[string]string{"type": "password"})
	require.Equal(t, http.StatusAccepted, status, start)
	status, pw := apiJSON(t, srv, http.MethodPost, methodURL("password|new")+"/verify", map[string]any{"auth_session": start["auth_session"], "new_password": password})
	require.Equal(t, http.StatusCreated, status, pw)
	pwID := pw["id"].(string)

	ctx := browser(t)
	checkConsole := watchConsole(t, ctx)
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recordCreate})
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.origin+"/signin")))
	_, err = chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{})
	require.NoError(t, err)
	opts := passkeyAuthenticator()
	_, err = chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &opts})
	require.NoError(t, err)

	// passwordStepUp signs in with the password on a fresh page, in
	// createMode, and returns the create calls the page made.
	passwordStepUp := func(t *testing.T, createMode, upgradeStatus string) []createCall {
		t.Helper()
		openSignIn(t, ctx, srv)
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`window.__createMode = %q, true`, createMode)))
		require.NoError(t, err)
		press(t, ctx, "methods-load")
		waitText(t, ctx, "stepup-choose", "")
		setField(t, ctx, "method", pwID)
		press(t, ctx, "stepup-challenge")
		waitText(t, ctx, "stepup-answer", "")
		setField(t, ctx, "stepup-proof", password)
		press(t, ctx, "stepup-authenticate")
		waitText(t, ctx, "stepup-result", regexp.QuoteMeta(pwID))
		waitText(t, ctx, "upgrade-status", upgradeStatus)
		calls, err := chromedp.Run(ctx, chromedp.Evaluate[[]createCall](`window.__creates`))
		require.NoError(t, err)
		return calls
	}
	wantConditional := func(t *testing.T, calls []createCall) {
		t.Helper()
		require.Len(t, calls, 1)
		assert.Equal(t, createCall{Mediation: "conditional", RP: "localhost", User: "demo", ResidentKey: "required", ChallengeBytes: 32}, calls[0])
	}

	t.Run("the page asks for a conditional create", func(t *testing.T) {
		calls := passwordStepUp(t, "through", "^Upgrade offered")
		wantConditional(t, calls)
		st, body := lastResponse(t, ctx)
		require.True(t, strings.HasPrefix(st, "202 "), "%s %v", st, body)
		assert.Equal(t, "passkey|new", body["id"])
	})

	t.Run("a decline is shown", func(t *testing.T) {
		wantConditional(t, passwordStepUp(t, "decline", "^The browser declined the passkey upgrade \\(NotAllowedError"))
		assert.Equal(t, "err", attr(t, ctx, "upgrade-status", "className"))
	})

	t.Run("the created passkey is enrolled", func(t *testing.T) {
		wantConditional(t, passwordStepUp(t, "modal", "^Upgraded: the browser created a passkey, enrolled as passkey\\|dev_"))
		st, body := lastResponse(t, ctx)
		require.True(t, strings.HasPrefix(st, "201 "), "%s %v", st, body)
		assert.Equal(t, "passkey", body["type"])
	})
	checkConsole()
}

// attr returns the JavaScript property name of the element id.
func attr(t *testing.T, ctx context.Context, id, name string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`String(document.getElementById(%q)[%q])`, id, name)))
	require.NoError(t, err)
	return s
}
