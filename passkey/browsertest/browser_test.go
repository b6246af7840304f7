package browsertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/chromium"
	"github.com/verifykit/verifykit/internal/testkit/peer"
	"github.com/verifykit/verifykit/internal/testkit/spectest"
)

// requireCI fails under CI=true and skips otherwise.
func requireCI(t *testing.T, format string, args ...any) {
	t.Helper()
	peer.Missing(t, format, args...)
}

// chromiumPath returns the browser to drive.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("VERIFYKIT_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(p); err != nil {
		requireCI(t, "no Chromium at %s (install Debian's chromium or set VERIFYKIT_CHROMIUM): %v", p, err)
	}
	return p
}

// browser starts headless Chromium with a fresh profile and returns a tab.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromium.Options(path, t.TempDir())...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx), "start %s", path)
	return ctx
}

// enrollJS starts an enrollment of %[1]s through the API, creates the
// credential with navigator.credentials.create (attestation preference
// %[2]s), sends it as authn_response and returns every response.
const enrollJS = `(async () => {
  const token = %[3]q;
  const api = async (path, body) => {
    const r = await fetch("/me/v1" + path, {method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
      body: JSON.stringify(body)});
    return {status: r.status, headers: Object.fromEntries(r.headers), body: await r.text()};
  };
  const start = await api("/authentication-methods", {type: %[1]q});
  if (start.status !== 202) return {start};
  const enr = JSON.parse(start.body);
  const options = enr.authn_params_public_key;
  options.attestation = %[2]q;
  const cred = await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options)});
  const authn_response = (%[4]s)(cred);
  const verify = await api("/authentication-methods/" + encodeURIComponent(enr.id) + "/verify",
    {auth_session: enr.auth_session, authn_response});
  return {start, verify, userAgent: navigator.userAgent, attestationObject: authn_response.response.attestationObject};
})()`

type httpResult struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

func (r *httpResult) header() http.Header {
	h := http.Header{}
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	return h
}

type enrollResult struct {
	Start     *httpResult `json:"start"`
	Verify    *httpResult `json:"verify"`
	UserAgent string      `json:"userAgent"`
	AttObj    string      `json:"attestationObject"`
}

// TestBrowserEnrollment enrolls, in headless Chromium with virtual
// authenticators, a passkey (internal transport, resident key, user
// verification, backup eligible) and a webauthn-roaming security key (usb,
// CTAP2, no user verification), each with attestation "direct" and "none",
// through examples/server's HTTP API; the 202 and 201 responses are
// validated against the spec.
func TestBrowserEnrollment(t *testing.T) {
	srv := startServer(t)
	tests := []struct {
		typ         string
		attestation string
		auth        webauthn.VirtualAuthenticatorOptions
	}{
		{"passkey", "none", passkeyAuthenticator()},
		{"passkey", "direct", passkeyAuthenticator()},
		{"webauthn-roaming", "none", roamingAuthenticator()},
		{"webauthn-roaming", "direct", roamingAuthenticator()},
	}
	for _, tc := range tests {
		t.Run(tc.typ+"/"+tc.attestation, func(t *testing.T) {
			ctx := browser(t)
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.origin+"/")))
			_, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{})
			require.NoError(t, err)
			added, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &tc.auth})
			require.NoError(t, err)
			res, err := chromedp.Run(ctx, chromedp.Evaluate[enrollResult](fmt.Sprintf(enrollJS, tc.typ, tc.attestation, srv.token, chromium.CredentialJSON), chromedp.EvalAwaitPromise))
			require.NoError(t, err)
			require.NotNil(t, res.Start)
			require.Equal(t, http.StatusAccepted, res.Start.Status, res.Start.Body)
			if tc.typ == "passkey" {
				spectest.ValidateResponse(t, "createAuthenticationMethod", res.Start.Status, res.Start.header(), []byte(res.Start.Body))
			}
			checkOptions(t, tc.typ, res.Start.Body)
			assert.Equal(t, srv.baseURL+"/authentication-methods/"+tc.typ+"%7Cnew", res.Start.header().Get("Location"))
			require.NotNil(t, res.Verify)
			require.Equal(t, http.StatusCreated, res.Verify.Status, res.Verify.Body)
			spectest.ValidateResponse(t, "confirmAuthenticationMethod", res.Verify.Status, res.Verify.header(), []byte(res.Verify.Body))
			// Chromium honours the preference: "none" replaces the statement,
			// "direct" keeps the virtual authenticator's packed attestation.
			raw, err := base64.RawURLEncoding.DecodeString(res.AttObj)
			require.NoError(t, err)
			var obj struct {
				Fmt string `cbor:"fmt"`
			}
			require.NoError(t, cbor.Unmarshal(raw, &obj))
			assert.Equal(t, map[string]string{"none": "none", "direct": "packed"}[tc.attestation], obj.Fmt)
			t.Logf("%s: fmt %s, attestationObject %d characters", tc.typ, obj.Fmt, len(res.AttObj))

			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(res.Verify.Body), &m))
			assert.Equal(t, tc.typ, m["type"])
			assert.True(t, strings.HasPrefix(m["id"].(string), tc.typ+"|dev_"), m["id"])
			assert.Equal(t, srv.baseURL+"/authentication-methods/"+strings.ReplaceAll(m["id"].(string), "|", "%7C"), res.Verify.header().Get("Location"))
			//lint:ignore S1016 naming the field does not depend on the two cdproto types staying field-identical
			got, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: added.AuthenticatorID})
			require.NoError(t, err)
			creds := got.Credentials
			require.Len(t, creds, 1)
			assert.Equal(t, base64.RawURLEncoding.EncodeToString(creds[0].CredentialID), m["key_id"])
			assert.NotEmpty(t, m["public_key"])
			if tc.typ == "passkey" {
				assert.Equal(t, []any{"primary"}, m["usage"])
				assert.Equal(t, "multi_device", m["credential_device_type"])
				assert.Equal(t, true, m["credential_backed_up"])
				assert.Equal(t, []any{"internal"}, m["transports"])
				assert.Equal(t, "localhost", m["relying_party_id"])
				assert.Equal(t, srv.user, m["identity_user_id"])
				assert.Equal(t, base64.RawURLEncoding.EncodeToString(creds[0].UserHandle), m["user_handle"])
				assert.True(t, creds[0].IsResidentCredential)
				assert.Regexp(t, `^HeadlessChrome \d+\.\d+\.\d+ / Linux$`, m["user_agent"], res.UserAgent)
				assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, m["aaguid"])
			} else {
				assert.Equal(t, []any{"secondary"}, m["usage"])
				assert.Equal(t, true, m["confirmed"])
			}
		})
	}
}

func passkeyAuthenticator() webauthn.VirtualAuthenticatorOptions {
	return webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
		Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
		IsUserVerified: true, AutomaticPresenceSimulation: true, DefaultBackupEligibility: true, DefaultBackupState: true,
	}
}

func roamingAuthenticator() webauthn.VirtualAuthenticatorOptions {
	return webauthn.VirtualAuthenticatorOptions{
		Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
		Transport: webauthn.AuthenticatorTransportUsb, AutomaticPresenceSimulation: true,
	}
}

// checkOptions checks authn_params_public_key of a start response.
func checkOptions(t *testing.T, typ, body string) {
	t.Helper()
	var enr struct {
		ID      string `json:"id"`
		Options struct {
			Challenge string `json:"challenge"`
			RP        struct {
				ID string `json:"id"`
			} `json:"rp"`
			User struct {
				ID string `json:"id"`
			} `json:"user"`
			PubKeyCredParams []struct {
				Alg int `json:"alg"`
			} `json:"pubKeyCredParams"`
			AuthenticatorSelection map[string]string `json:"authenticatorSelection"`
			Attestation            string            `json:"attestation"`
			Timeout                int               `json:"timeout"`
		} `json:"authn_params_public_key"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &enr))
	assert.Equal(t, typ+"|new", enr.ID)
	c, err := base64.RawURLEncoding.DecodeString(enr.Options.Challenge)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(c), 32)
	assert.Equal(t, "localhost", enr.Options.RP.ID)
	u, err := base64.RawURLEncoding.DecodeString(enr.Options.User.ID)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(u), 64)
	var algs []int
	for _, p := range enr.Options.PubKeyCredParams {
		algs = append(algs, p.Alg)
	}
	assert.Equal(t, []int{-8, -7, -257}, algs)
	assert.Positive(t, enr.Options.Timeout)
	switch typ {
	case "passkey":
		assert.Equal(t, map[string]string{"residentKey": "required", "userVerification": "required"}, enr.Options.AuthenticatorSelection)
		require.NoError(t, spectest.CheckSchema("PasskeyCreationResponse", []byte(body)))
	case "webauthn-roaming":
		assert.Equal(t, "cross-platform", enr.Options.AuthenticatorSelection["authenticatorAttachment"])
		// The spec's AuthenticatorSelection (additionalProperties: false)
		// has no authenticatorAttachment, which these types add: without it
		// the body is a WebAuthnCreationResponse.
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &m))
		delete(m["authn_params_public_key"].(map[string]any)["authenticatorSelection"].(map[string]any), "authenticatorAttachment")
		b, err := json.Marshal(m)
		require.NoError(t, err)
		require.NoError(t, spectest.CheckSchema("WebAuthnCreationResponse", b))
	}
}
