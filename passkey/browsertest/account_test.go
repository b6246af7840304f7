package browsertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/go-json-experiment/json"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/push/devicetest"
)

// chromiumAAGUID is the AAGUID of Chromium's virtual authenticators
// (device/fido/virtual_fido_device.cc).
const chromiumAAGUID = "01020304-0506-0708-0102-030405060708"

// iconSVG is the test's authenticator icon: a green rounded square with a
// white cross, so that a screenshot shows whether it was drawn.
const iconSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0b8043"/><path d="M9 16h14M16 9v14" stroke="#fff" stroke-width="4"/></svg>`

var iconGreen = color.RGBA{0x0b, 0x80, 0x43, 0xff}

// accountPage drives the account-security page of examples/server.
type accountPage struct {
	t      *testing.T
	ctx    context.Context
	srv    *server
	outbox string
	shots  string // the screenshots' directory
	n      int    // screenshots taken

	mu      sync.Mutex
	console []string // console errors, warnings and exceptions
}

// startAccountServer runs examples/server as startServer does, with an
// outbox and an AAGUID names file naming Chromium's virtual
// authenticators.
func startAccountServer(t *testing.T) (*server, string) {
	t.Helper()
	dir := t.TempDir()
	outbox := filepath.Join(dir, "outbox.jsonl")
	icon := "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte(iconSVG))
	names, err := json.Marshal(map[string]map[string]string{
		chromiumAAGUID: {"name": "Chromium virtual authenticator", "icon_light": icon, "icon_dark": icon},
	})
	require.NoError(t, err)
	namesFile := filepath.Join(dir, "aaguid-names.json")
	require.NoError(t, os.WriteFile(namesFile, names, 0o600))

	port := strconv.Itoa(freePort(t))
	s := &server{origin: "http://localhost:" + port, token: "browsertest-token-0123456789abcdef", user: "auth0|browser"}
	s.baseURL = s.origin + "/me/v1"
	runServer(t, s, s.origin, "-addr", "127.0.0.1:"+port, "-origin", s.origin, "-outbox", outbox, "-aaguid-names", namesFile)
	return s, outbox
}

func newAccountPage(t *testing.T) *accountPage {
	ctx := browser(t) // first: without Chromium, fail or skip at once
	srv, outbox := startAccountServer(t)
	p := &accountPage{t: t, ctx: ctx, srv: srv, outbox: outbox, shots: t.ArtifactDir()}
	// Subscribe before the first navigation, so that no message is lost.
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if bad := consoleProblem(m); bad != "" {
				p.mu.Lock()
				p.console = append(p.console, bad)
				p.mu.Unlock()
			}
		}
	}()
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1000, 900)))
	_, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{})
	require.NoError(t, err)
	return p
}

// consoleProblem says why m fails the test, or "" when it does not: every
// console error and warning, every uncaught exception, and every browser
// log warning or error (a CSP violation, a failed load) but the network
// errors the API's expected answers log: 400 (validation errors, a push
// enrollment still pending) and 409 (the last primary method).
func consoleProblem(m chromedp.ConsoleMessage) string {
	switch m.Type {
	case chromedp.ConsoleException, chromedp.ConsoleError, chromedp.ConsoleWarning, "assert":
	default:
		return ""
	}
	if m.Source == "network" && (strings.Contains(m.Text, "status of 400 ") || strings.Contains(m.Text, "status of 409 ")) {
		return ""
	}
	where := m.URL
	if m.Exception != nil && m.Exception.Exception != nil && m.Exception.Exception.Description != "" {
		where += " " + m.Exception.Exception.Description
	}
	return fmt.Sprintf("%s [%s] %s", m, m.Source, where)
}

// checkConsole fails the test on what the console showed so far.
func (p *accountPage) checkConsole() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	assert.Empty(p.t, p.console, "the page wrote console errors or warnings")
	p.console = nil
}

// wait polls the JavaScript predicate js until it is true.
func (p *accountPage) wait(js string) {
	p.t.Helper()
	_, err := chromedp.Run(p.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil {
		// What the page shows instead, for the failure message.
		text, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(p.shots, "failure.png"), buf, 0o600)
		}
		require.NoError(p.t, err, "waiting for %s; the page shows:\n%s", js, text)
	}
}

func (p *accountPage) click(sel string) {
	p.t.Helper()
	require.NoError(p.t, chromedp.Do(p.ctx, chromedp.Click(sel)), "click %s", sel)
}

// typeInto replaces the value of the input sel with text, typed.
// (chromedp.Clear empties the value attribute, not what was typed.)
func (p *accountPage) typeInto(sel, text string) {
	p.t.Helper()
	require.True(p.t, evalJS[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.value = ""; return true; })()`, sel)), "no %s", sel)
	require.NoError(p.t, chromedp.Do(p.ctx, chromedp.SendKeys(sel, text)), "type into %s", sel)
}

// userGesture runs an evaluation as if the user had acted (transient
// activation), as a click does.
func userGesture(p *runtime.EvaluateParams) {
	t := true
	p.UserGesture = &t
}

// evalJS evaluates js in the page, awaiting a promise, and returns its
// value.
func evalJS[T any](p *accountPage, js string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise, userGesture))
	require.NoError(p.t, err, "evaluate %s", js)
	return v
}

// state is the data-state of an enrollment panel.
func panelIs(typ, state string) string {
	return fmt.Sprintf(`document.querySelector("#enroll-%s").dataset.state === %q`, typ, state)
}

// rowSel selects the list entries of a type.
func rowSel(typ string) string { return fmt.Sprintf(`#methods .method[data-type="%s"]`, typ) }

func (p *accountPage) rows(typ string) int {
	p.t.Helper()
	return evalJS[int](p, fmt.Sprintf(`document.querySelectorAll(%q).length`, rowSel(typ)))
}

// shot takes a full-page screenshot into the artifact directory, checks
// that it is a sane, not blank PNG, and returns it.
func (p *accountPage) shot(name string) image.Image {
	p.t.Helper()
	p.checkConsole()
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	require.NoError(p.t, err)
	p.n++
	file := filepath.Join(p.shots, fmt.Sprintf("%02d-%s.png", p.n, name))
	require.NoError(p.t, os.WriteFile(file, buf, 0o600))
	img, err := png.Decode(bytes.NewReader(buf))
	require.NoError(p.t, err, "%s is not a PNG", file)
	b := img.Bounds()
	// The viewport's width, less a scroll bar when the page is longer.
	assert.InDelta(p.t, 1000, b.Dx(), 20, "%s: the viewport's width", file)
	assert.GreaterOrEqual(p.t, b.Dy(), 900, file)
	assert.Less(p.t, b.Dy(), 8000, "%s: the page is implausibly long", file)
	// Not blank: at least 2% of the page is not background white, and the
	// page's text (dark pixels) is there.
	var ink, dark, total int
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				ink++
			}
			if r < 0x6000 && g < 0x6000 && bl < 0x6000 {
				dark++
			}
		}
	}
	assert.Greater(p.t, ink*50, total, "%s looks blank", file)
	assert.Greater(p.t, dark*500, total, "%s shows no text", file)
	p.t.Logf("screenshot %s (%dx%d)", file, b.Dx(), b.Dy())
	return img
}

// box is an element's rectangle in page (screenshot) pixels.
type box struct {
	X, Y, W, H float64
}

func (p *accountPage) box(sel string) box {
	p.t.Helper()
	return evalJS[box](p, fmt.Sprintf(`(() => {
  const r = document.querySelector(%q).getBoundingClientRect();
  return {X: r.left + window.scrollX, Y: r.top + window.scrollY, W: r.width, H: r.height};
})()`, sel))
}

// checkQR checks that the screenshot shows a QR code at sel: a 256×256
// square holding both dark modules and light background, in proportions
// a QR code has.
func (p *accountPage) checkQR(img image.Image, sel string) {
	p.t.Helper()
	bx := p.box(sel)
	require.InDelta(p.t, 256, bx.W, 4, "QR code width")
	require.InDelta(p.t, 256, bx.H, 4, "QR code height")
	var dark, light, total int
	for y := int(bx.Y) + 2; y < int(bx.Y+bx.H)-2; y++ {
		for x := int(bx.X) + 2; x < int(bx.X+bx.W)-2; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			switch l := (r + g + b) / 3; {
			case l < 0x4000:
				dark++
			case l > 0xc000:
				light++
			}
			total++
		}
	}
	assert.Greater(p.t, dark*100, total*25, "the QR code area is not dark enough to be a QR code (%d of %d dark)", dark, total)
	assert.Greater(p.t, light*100, total*25, "the QR code area is not light enough to be a QR code (%d of %d light)", light, total)
	assert.Greater(p.t, (dark+light)*100, total*95, "the QR code area is not black and white")
}

// outboxCode returns the last code the outbox holds for to.
func (p *accountPage) outboxCode(to string) string {
	p.t.Helper()
	data, err := os.ReadFile(p.outbox)
	require.NoError(p.t, err)
	code := ""
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		var line otp.OutboxLine
		require.NoError(p.t, json.Unmarshal(l, &line), string(l))
		if line.To == to && line.Code != "" {
			code = line.Code
		}
	}
	require.NotEmpty(p.t, code, "no code for %s in the outbox", to)
	return code
}

// call sends a request to the API with the demo token, from Go.
func (p *accountPage) call(method, path string, body any) (int, map[string]any) {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(p.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(p.ctx, method, p.srv.baseURL+path, rd)
	require.NoError(p.t, err)
	req.Header.Set("Authorization", "Bearer "+p.srv.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(p.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(p.t, err)
	var m map[string]any
	if len(raw) > 0 {
		require.NoError(p.t, json.Unmarshal(raw, &m), string(raw))
	}
	return res.StatusCode, m
}

// methodOf returns the API's record of the user's only method of typ.
func (p *accountPage) methodOf(typ string) map[string]any {
	p.t.Helper()
	st, l := p.call(http.MethodGet, "/authentication-methods?type="+url.QueryEscape(typ), nil)
	require.Equal(p.t, http.StatusOK, st, l)
	ms := l["authentication_methods"].([]any)
	require.Len(p.t, ms, 1, typ)
	return ms[0].(map[string]any)
}

// rowText returns the text of the element sel inside the list entry of
// method id.
func (p *accountPage) rowText(id, sel string) string {
	p.t.Helper()
	return evalJS[string](p, fmt.Sprintf(`(() => { const e = document.querySelector('#methods .method[data-id=' + JSON.stringify(%q) + '] ' + %q); return e ? e.textContent : ""; })()`, id, sel))
}

func (p *accountPage) rowAttr(id, sel, attr string) string {
	p.t.Helper()
	return evalJS[string](p, fmt.Sprintf(`(() => { const e = document.querySelector('#methods .method[data-id=' + JSON.stringify(%q) + '] ' + %q); return e ? (e.getAttribute(%q) || "") : ""; })()`, id, sel, attr))
}

func (p *accountPage) visible(sel string) bool {
	p.t.Helper()
	return evalJS[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.checkVisibility(); })()`, sel))
}

// addAuthenticator adds a virtual authenticator to the tab and returns
// its id; removeAuthenticator takes it away again, so that the next
// ceremony meets only the authenticator it is meant for.
func (p *accountPage) addAuthenticator(opts webauthn.VirtualAuthenticatorOptions) webauthn.AuthenticatorID {
	p.t.Helper()
	added, err := chromedp.Call(p.ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &opts})
	require.NoError(p.t, err)
	return added.AuthenticatorID
}

func (p *accountPage) removeAuthenticator(id webauthn.AuthenticatorID) {
	p.t.Helper()
	_, err := chromedp.Call(p.ctx, webauthn.RemoveVirtualAuthenticator, webauthn.RemoveVirtualAuthenticatorParams{AuthenticatorID: id})
	require.NoError(p.t, err)
}

// TestAccountPage walks every state of examples/server's account-security
// page in headless Chromium: the empty list, the enrollment of each type
// the server offers (TOTP and push with their QR codes, e-mail and phone
// with the codes of the outbox, a recovery code shown once, a password
// refused rule by rule and then accepted, a passkey and a security key
// and a device authenticator with virtual authenticators, named from
// -aaguid-names), a refused and a
// done removal, a rename, and last_auth_at after a sign-in. Any console
// error or warning and any uncaught exception fails it; it screenshots
// every state and checks what the screenshots show.
func TestAccountPage(t *testing.T) {
	p := newAccountPage(t)
	require.NoError(t, chromedp.Do(p.ctx, chromedp.Navigate(p.srv.origin+"/")))
	p.wait(`document.body.dataset.ready === "true"`)

	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, func(t *testing.T) {
			p.t = t
			f(t)
			p.checkConsole()
		}) {
			t.FailNow()
		}
		p.t = t
	}

	step("locked without a token", func(t *testing.T) {
		assert.True(t, p.visible("#methods-locked"))
		assert.True(t, evalJS[bool](p, `[...document.querySelectorAll("#add-buttons button")].every((b) => b.disabled)`))
		href := evalJS[string](p, `document.getElementById("signin-link").getAttribute("href")`)
		assert.Equal(t, "/signin", href, "the page offers the sign-in page")
		p.shot("locked")
	})

	step("empty list", func(t *testing.T) {
		p.typeInto("#token", p.srv.token)
		p.click(`#token-form button[type="submit"]`)
		p.wait(`document.getElementById("methods-empty").checkVisibility()`)
		assert.Equal(t, 0, evalJS[int](p, `document.querySelectorAll("#methods .method").length`))
		// Every type the server offers has its button.
		offered := evalJS[[]string](p, `fetch("/demo/config").then((r) => r.json()).then((c) => c.types)`)
		buttons := evalJS[[]string](p, `[...document.querySelectorAll("#add-buttons button")].map((b) => b.id.slice(4))`)
		assert.ElementsMatch(t, offered, buttons)
		assert.ElementsMatch(t, []string{"password", "passkey", "webauthn-platform", "webauthn-roaming", "totp", "phone", "email", "push-notification", "recovery-code"}, offered)
		p.shot("empty")
	})

	step("totp", func(t *testing.T) {
		p.click("#add-totp")
		p.wait(panelIs("totp", "code") + ` && document.querySelector("#enroll-totp img.qr").naturalWidth === 256`)
		img := p.shot("totp-qr")
		p.checkQR(img, "#enroll-totp img.qr")
		uri, err := url.Parse(evalJS[string](p, `document.querySelector("#enroll-totp a.otpauth").getAttribute("href")`))
		require.NoError(t, err)
		require.Equal(t, "otpauth", uri.Scheme)
		secret := uri.Query().Get("secret")
		require.NotEmpty(t, secret)
		assert.Equal(t, secret, evalJS[string](p, `document.querySelector("#enroll-totp .manual").textContent`))
		code, err := totp.GenerateCode(secret, time.Now())
		require.NoError(t, err)
		p.typeInto(`#enroll-totp input[name="code"]`, code)
		p.click(`#enroll-totp .code-form button[type="submit"]`)
		p.wait(fmt.Sprintf(`document.querySelectorAll(%q).length === 1`, rowSel("totp")))
		assert.False(t, p.visible("#enroll-totp"), "the panel closes")
		assert.Contains(t, evalJS[string](p, `document.getElementById("notice").textContent`), "Authenticator app added")
		m := p.methodOf("totp")
		assert.Equal(t, m["created_at"], p.rowAttr(m["id"].(string), ".created", "datetime"))
		assert.Equal(t, "never", p.rowText(m["id"].(string), ".never"))
		p.shot("totp-enrolled")
	})

	step("push", func(t *testing.T) {
		p.click("#add-push-notification")
		p.wait(panelIs("push-notification", "pending") + ` && document.querySelector("#enroll-push-notification img.qr").naturalWidth === 256`)
		img := p.shot("push-pending")
		p.checkQR(img, "#enroll-push-notification img.qr")
		assert.True(t, p.visible("#enroll-push-notification .pending-line"), "the page says it waits for the app")
		// The app scans the code (its URI) and enrolls with Guardian's
		// protocol; the page, asked to check, finds the method confirmed.
		uri := evalJS[string](p, `document.querySelector("#enroll-push-notification a.otpauth").getAttribute("href")`)
		d, err := devicetest.New("Pixel of the test")
		require.NoError(t, err)
		_, err = d.Enroll(p.ctx, uri)
		require.NoError(t, err)
		p.click("#enroll-push-notification button.check")
		p.wait(fmt.Sprintf(`document.querySelectorAll(%q).length === 1`, rowSel("push-notification")))
		m := p.methodOf("push-notification")
		assert.Equal(t, "Pixel of the test", p.rowText(m["id"].(string), ".method-name"))
		p.shot("push-enrolled")
	})

	step("email", func(t *testing.T) {
		p.click("#add-email")
		p.wait(panelIs("email", "address"))
		p.typeInto(`#enroll-email input[name="address"]`, "jane@example.com")
		p.click(`#enroll-email .address-form button[type="submit"]`)
		p.wait(panelIs("email", "code"))
		assert.Equal(t, "jane@example.com", evalJS[string](p, `document.querySelector("#enroll-email .destination").textContent`))
		p.shot("email-code")
		p.typeInto(`#enroll-email input[name="code"]`, p.outboxCode("jane@example.com"))
		p.click(`#enroll-email .code-form button[type="submit"]`)
		p.wait(fmt.Sprintf(`document.querySelectorAll(%q).length === 1`, rowSel("email")))
		m := p.methodOf("email")
		assert.Contains(t, p.rowText(m["id"].(string), ".method-detail"), "jane@example.com")
	})

	step("phone", func(t *testing.T) {
		p.click("#add-phone")
		p.wait(panelIs("phone", "address"))
		// A number that is no phone number: the API's validation error.
		p.typeInto(`#enroll-phone input[name="address"]`, "12")
		p.click(`#enroll-phone .address-form button[type="submit"]`)
		p.wait(`document.querySelector("#enroll-phone .problem").checkVisibility()`)
		assert.Equal(t, 1, evalJS[int](p, `document.querySelectorAll("#enroll-phone .problem li").length`))
		p.shot("phone-invalid")
		p.typeInto(`#enroll-phone input[name="address"]`, "+1 201 555 0123")
		require.NoError(t, chromedp.Do(p.ctx, chromedp.SetValue(`#enroll-phone select[name="channel"]`, "voice")))
		p.click(`#enroll-phone .address-form button[type="submit"]`)
		p.wait(panelIs("phone", "code"))
		assert.False(t, p.visible("#enroll-phone .problem"), "the error goes when the number is right")
		p.typeInto(`#enroll-phone input[name="code"]`, p.outboxCode("+12015550123"))
		p.click(`#enroll-phone .code-form button[type="submit"]`)
		p.wait(fmt.Sprintf(`document.querySelectorAll(%q).length === 1`, rowSel("phone")))
		m := p.methodOf("phone")
		assert.Equal(t, "voice", m["preferred_authentication_method"])
		assert.Contains(t, p.rowText(m["id"].(string), ".method-detail"), "+12015550123 · voice calls")
		p.shot("email-phone-enrolled")
	})

	step("recovery code shown once", func(t *testing.T) {
		p.click("#add-recovery-code")
		p.wait(panelIs("recovery-code", "code"))
		code := evalJS[string](p, `document.querySelector("#enroll-recovery-code .recovery-code").textContent`)
		require.Regexp(t, `^[A-Z0-9]{24}$`, code)
		p.shot("recovery-shown")
		p.click("#enroll-recovery-code button.confirm")
		p.wait(fmt.Sprintf(`document.querySelectorAll(%q).length === 1`, rowSel("recovery-code")))
		assert.NotContains(t, evalJS[string](p, `document.documentElement.outerHTML`), code, "the code is gone once saved")
		require.NoError(t, chromedp.Do(p.ctx, chromedp.Reload()))
		p.wait(`document.body.dataset.ready === "true"`)
		p.wait(fmt.Sprintf(`document.querySelectorAll(%q).length === 1`, rowSel("recovery-code")))
		assert.NotContains(t, evalJS[string](p, `document.documentElement.outerHTML`), code, "the code is not shown after a reload")
		assert.NotContains(t, evalJS[string](p, `JSON.stringify({...sessionStorage, ...localStorage})`), code, "nor kept by the page")
		p.shot("after-reload")
	})

	step("password", func(t *testing.T) {
		// The rules "demo" breaks, as the API tells them.
		st, e := p.call(http.MethodPost, "/authentication-methods", map[string]string{"type": "password"})
		require.Equal(t, http.StatusAccepted, st, e)
		st, prob := p.call(http.MethodPost, "/authentication-methods/password%7Cnew/verify", map[string]string{"auth_session": e["auth_session"].(string), "new_password": "demo"})
		require.Equal(t, http.StatusBadRequest, st, prob)
		var rules []string
		for _, v := range prob["validation_errors"].([]any) {
			rules = append(rules, strings.SplitN(v.(map[string]any)["detail"].(string), ":", 2)[0])
		}
		require.Len(t, rules, 3, "min_length, dictionary, profile_data: %v", rules)

		p.click("#add-password")
		p.wait(panelIs("password", "code"))
		policy := evalJS[[]string](p, `[...document.querySelectorAll("#enroll-password .policy li")].map((li) => li.textContent)`)
		assert.Contains(t, policy, "be at least 15 characters long")
		assert.Contains(t, policy, "not be one of your last 5 passwords")
		assert.Contains(t, policy, "not contain your personal data (name, email, username)")
		assert.Contains(t, policy, "not be a commonly used password (en_10k list)")
		p.typeInto(`#enroll-password input[name="password"]`, "demo")
		p.click(`#enroll-password .password-form button[type="submit"]`)
		p.wait(`document.querySelector("#enroll-password .problem").checkVisibility()`)
		shown := evalJS[[]string](p, `[...document.querySelectorAll("#enroll-password .problem li")].map((li) => li.dataset.rule)`)
		assert.Equal(t, rules, shown, "one error per broken rule")
		texts := evalJS[[]string](p, `[...document.querySelectorAll("#enroll-password .problem li")].map((li) => li.textContent)`)
		assert.Contains(t, texts, "Too short: must be at least 15 characters")
		assert.Contains(t, evalJS[string](p, `document.querySelector("#enroll-password .problem p").textContent`), "The new password does not meet the password policy")
		p.shot("password-errors")
		p.typeInto(`#enroll-password input[name="password"]`, "violet tractor cinnamon harbor")
		p.click(`#enroll-password .password-form button[type="submit"]`)
		p.wait(fmt.Sprintf(`document.querySelectorAll(%q).length === 1`, rowSel("password")))
		assert.Equal(t, "Change password", evalJS[string](p, `document.getElementById("add-password").textContent`))
	})

	step("removal refused", func(t *testing.T) {
		// The password is the only primary method: the API refuses with 409,
		// and the entry says why.
		id := p.methodOf("password")["id"].(string)
		row := fmt.Sprintf(`#methods .method[data-id="%s"]`, id)
		p.click(row + " button.delete")
		p.click(row + " button.delete-yes")
		p.wait(fmt.Sprintf(`document.querySelector(%q).checkVisibility()`, row+" .problem"))
		assert.Contains(t, p.rowText(id, ".problem"), "The last primary authentication method cannot be deleted (409 conflict)")
		assert.Equal(t, 1, p.rows("password"))
		p.shot("removal-refused")
	})

	step("passkey", func(t *testing.T) {
		auth := p.addAuthenticator(passkeyAuthenticator())
		p.click("#add-passkey")
		p.wait(fmt.Sprintf(`document.querySelectorAll(%q).length === 1`, rowSel("passkey")))
		p.removeAuthenticator(auth)
		m := p.methodOf("passkey")
		require.Equal(t, chromiumAAGUID, m["aaguid"])
		id := m["id"].(string)
		// The passkey schema has no name: the page shows its authenticator's.
		assert.Equal(t, "Chromium virtual authenticator", p.rowAttr(id, ".method-name", "data-authenticator"))
		assert.Contains(t, evalJS[string](p, `document.getElementById("notice").textContent`), "Passkey added on “Chromium virtual authenticator”")
		src := p.rowAttr(id, ".auth-icon", "src")
		assert.True(t, strings.HasPrefix(src, "data:image/svg+xml;base64,"), src)
		assert.False(t, p.visible(fmt.Sprintf(`#methods .method[data-id="%s"] button.rename`, id)), "a passkey has no name to change")
		img := p.shot("passkey")
		// The icon is drawn: its green at the square's left.
		ib := p.box(fmt.Sprintf(`#methods .method[data-id="%s"] .auth-icon`, id))
		r, g, b, _ := img.At(int(ib.X)+6, int(ib.Y)+10).RGBA()
		assert.InDelta(t, float64(iconGreen.R), float64(r>>8), 24, "icon pixel %d,%d,%d", r>>8, g>>8, b>>8)
		assert.InDelta(t, float64(iconGreen.G), float64(g>>8), 24, "icon pixel %d,%d,%d", r>>8, g>>8, b>>8)
		assert.InDelta(t, float64(iconGreen.B), float64(b>>8), 24, "icon pixel %d,%d,%d", r>>8, g>>8, b>>8)
	})

	step("security key", func(t *testing.T) {
		auth := p.addAuthenticator(roamingAuthenticator())
		p.click("#add-webauthn-roaming")
		p.wait(fmt.Sprintf(`document.querySelectorAll(%q).length === 1`, rowSel("webauthn-roaming")))
		got, err := chromedp.Call(p.ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: auth})
		require.NoError(t, err)
		require.Len(t, got.Credentials, 1)
		assert.False(t, got.Credentials[0].IsResidentCredential, "a security key's credential is not discoverable")
		p.removeAuthenticator(auth)
		m := p.methodOf("webauthn-roaming")
		// A security key's name is its authenticator's, by default.
		assert.Equal(t, "Chromium virtual authenticator", m["name"])
		assert.Equal(t, "Chromium virtual authenticator", p.rowText(m["id"].(string), ".method-name"))
		p.shot("security-key")
	})

	step("device authenticator", func(t *testing.T) {
		// webauthn-platform: a fresh built-in (internal) authenticator.
		auth := p.addAuthenticator(passkeyAuthenticator())
		p.click("#add-webauthn-platform")
		p.wait(fmt.Sprintf(`document.querySelectorAll(%q).length === 1`, rowSel("webauthn-platform")))
		p.removeAuthenticator(auth)
		m := p.methodOf("webauthn-platform")
		assert.Equal(t, "Chromium virtual authenticator", m["name"])
		assert.Equal(t, "Chromium virtual authenticator", p.rowText(m["id"].(string), ".method-name"))
	})

	step("rename", func(t *testing.T) {
		id := p.methodOf("webauthn-roaming")["id"].(string)
		row := fmt.Sprintf(`#methods .method[data-id="%s"]`, id)
		p.click(row + " button.rename")
		p.wait(fmt.Sprintf(`document.querySelector(%q).checkVisibility()`, row+" .rename-form"))
		p.shot("rename-form")
		p.typeInto(row+` input[name="name"]`, "Blue key on my keyring")
		p.click(row + ` .rename-form button[type="submit"]`)
		p.wait(fmt.Sprintf(`document.querySelector(%q)?.textContent === "Blue key on my keyring"`, row+" .method-name"))
		assert.Equal(t, "Blue key on my keyring", p.methodOf("webauthn-roaming")["name"])
		assert.Contains(t, evalJS[string](p, `document.getElementById("notice").textContent`), "Security key renamed to “Blue key on my keyring”")
	})

	step("remove", func(t *testing.T) {
		id := p.methodOf("recovery-code")["id"].(string)
		row := fmt.Sprintf(`#methods .method[data-id="%s"]`, id)
		p.click(row + " button.delete")
		p.wait(fmt.Sprintf(`document.querySelector(%q).checkVisibility()`, row+" .delete-confirm"))
		p.shot("remove-confirm")
		p.click(row + " button.delete-yes")
		p.wait(fmt.Sprintf(`document.querySelectorAll(%q).length === 0`, rowSel("recovery-code")))
		assert.Contains(t, evalJS[string](p, `document.getElementById("notice").textContent`), "Recovery code removed")
		st, _ := p.call(http.MethodGet, "/authentication-methods/"+url.PathEscape(id), nil)
		assert.Equal(t, http.StatusNotFound, st)
	})

	step("last used", func(t *testing.T) {
		// A sign-in (step-up) with the e-mail method, then a reload: the
		// entry shows the method's last_auth_at.
		m := p.methodOf("email")
		id := m["id"].(string)
		path := "/authentication-methods/" + url.PathEscape(id)
		st, ch := p.call(http.MethodPost, path+"/challenge", map[string]any{})
		require.Equal(t, http.StatusOK, st, ch)
		st, a := p.call(http.MethodPost, path+"/authenticate", map[string]string{"auth_session": ch["auth_session"].(string), "otp_code": p.outboxCode("jane@example.com")})
		require.Equal(t, http.StatusOK, st, a)
		last := p.methodOf("email")["last_auth_at"].(string)
		require.NotEmpty(t, last)
		require.NoError(t, chromedp.Do(p.ctx, chromedp.Reload()))
		p.wait(`document.body.dataset.ready === "true"`)
		p.wait(fmt.Sprintf(`document.querySelectorAll(%q).length === 1`, rowSel("email")))
		assert.Equal(t, last, p.rowAttr(id, ".last-auth", "datetime"))
		assert.False(t, p.visible(fmt.Sprintf(`#methods .method[data-id="%s"] .never`, id)))
		lt, err := time.Parse(time.RFC3339Nano, last)
		require.NoError(t, err)
		assert.Equal(t, lt.UTC().Format("2006-01-02 15:04")+" UTC", p.rowText(id, ".last-auth"))
		// Every method the API lists is on the page, in its order.
		st, l := p.call(http.MethodGet, "/authentication-methods", nil)
		require.Equal(t, http.StatusOK, st)
		var want []string
		for _, x := range l["authentication_methods"].([]any) {
			want = append(want, x.(map[string]any)["id"].(string))
		}
		assert.Equal(t, want, evalJS[[]string](p, `[...document.querySelectorAll("#methods .method")].map((li) => li.dataset.id)`))
		p.shot("last-used")
	})
}
