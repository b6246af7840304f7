package browsertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
)

// toJSONPage is the script of a page that uses nothing but the browser's
// own WebAuthn JSON: PublicKeyCredential.parseCreationOptionsFromJSON and
// credential.toJSON() to enroll a %[1]q (POST /me/v1/authentication-methods,
// then /verify with authn_response = toJSON()), then
// parseRequestOptionsFromJSON and toJSON() to sign in with it by step-up
// and, when %[3]t, usernameless (/passkey/challenge, /passkey/authenticate).
const toJSONPage = `(async () => {
  const token = %[2]q;
  const post = async (path, body, auth) => {
    const headers = {"Content-Type": "application/json"};
    if (auth) headers.Authorization = "Bearer " + token;
    const r = await fetch(path, {method: "POST", headers, body: JSON.stringify(body)});
    return {status: r.status, headers: Object.fromEntries(r.headers), body: await r.text()};
  };
  const out = {};
  out.start = await post("/me/v1/authentication-methods", {type: %[1]q}, true);
  if (out.start.status !== 202) return out;
  const enr = JSON.parse(out.start.body);
  const created = await navigator.credentials.create({publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(enr.authn_params_public_key)});
  out.registration = created.toJSON();
  out.verify = await post("/me/v1/authentication-methods/" + encodeURIComponent(enr.id) + "/verify",
    {auth_session: enr.auth_session, authn_response: out.registration}, true);
  if (out.verify.status !== 201) return out;
  const id = JSON.parse(out.verify.body).id;
  const path = "/me/v1/authentication-methods/" + encodeURIComponent(id);
  out.challenge = await post(path + "/challenge", {}, true);
  if (out.challenge.status !== 200) return out;
  const ch = JSON.parse(out.challenge.body);
  const asserted = await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(ch.authn_params_public_key)});
  out.assertion = asserted.toJSON();
  out.authenticate = await post(path + "/authenticate", {auth_session: ch.auth_session, authn_response: out.assertion}, true);
  if (!%[3]t) return out;
  out.passkeyChallenge = await post("/passkey/challenge", {}, false);
  if (out.passkeyChallenge.status !== 200) return out;
  const pch = JSON.parse(out.passkeyChallenge.body);
  const discovered = await navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(pch.authn_params_public_key)});
  out.passkeyAuthenticate = await post("/passkey/authenticate", {auth_session: pch.auth_session, authn_response: discovered.toJSON()}, false);
  return out;
})()`

type toJSONResult struct {
	Start, Verify, Challenge, Authenticate *httpResult
	PasskeyChallenge                       *httpResult `json:"passkeyChallenge"`
	PasskeyAuthenticate                    *httpResult `json:"passkeyAuthenticate"`
	Registration                           struct {
		Response map[string]any `json:"response"`
	} `json:"registration"`
	Assertion struct {
		Response map[string]any `json:"response"`
	} `json:"assertion"`
}

// TestBrowserToJSONEnrollsAndSignsIn: a page that sends the browser's
// own WebAuthn JSON, exactly as credential.toJSON() writes it (with
// authenticatorData, publicKey and publicKeyAlgorithm in a registration),
// enrolls a passkey and a security key in Chromium (201) and signs in with
// each by step-up (200, last_auth_at), the passkey also usernameless
// (200, user_id).
func TestBrowserToJSONEnrollsAndSignsIn(t *testing.T) {
	srv := startServer(t)
	for _, tc := range []struct {
		typ          string
		auth         webauthn.VirtualAuthenticatorOptions
		usernameless bool
	}{
		{"passkey", passkeyAuthenticator(), true},
		{"webauthn-roaming", roamingAuthenticator(), false},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			ctx := browser(t)
			checkConsole := watchConsole(t, ctx)
			// The account page's origin; its script starts no WebAuthn request.
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.origin+"/")))
			_, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{})
			require.NoError(t, err)
			_, err = chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &tc.auth})
			require.NoError(t, err)
			res, err := chromedp.Run(ctx, chromedp.Evaluate[toJSONResult](fmt.Sprintf(toJSONPage, tc.typ, srv.token, tc.usernameless), chromedp.EvalAwaitPromise))
			require.NoError(t, err)

			require.NotNil(t, res.Start)
			require.Equal(t, http.StatusAccepted, res.Start.Status, res.Start.Body)
			// What makes toJSON() differ from the spec's closed schema.
			for _, member := range []string{"authenticatorData", "publicKey", "publicKeyAlgorithm", "attestationObject", "clientDataJSON", "transports"} {
				assert.Contains(t, res.Registration.Response, member)
			}
			require.NotNil(t, res.Verify)
			require.Equal(t, http.StatusCreated, res.Verify.Status, res.Verify.Body)
			spectest.ValidateResponse(t, "confirmAuthenticationMethod", res.Verify.Status, res.Verify.header(), []byte(res.Verify.Body))
			var method struct{ ID string }
			require.NoError(t, json.Unmarshal([]byte(res.Verify.Body), &method))

			require.NotNil(t, res.Challenge)
			require.Equal(t, http.StatusOK, res.Challenge.Status, res.Challenge.Body)
			for _, member := range []string{"authenticatorData", "clientDataJSON", "signature"} {
				assert.Contains(t, res.Assertion.Response, member)
			}
			require.NotNil(t, res.Authenticate)
			require.Equal(t, http.StatusOK, res.Authenticate.Status, res.Authenticate.Body)
			var signedIn struct {
				AuthenticationMethod map[string]any `json:"authentication_method"`
			}
			require.NoError(t, json.Unmarshal([]byte(res.Authenticate.Body), &signedIn))
			assert.Equal(t, method.ID, signedIn.AuthenticationMethod["id"])
			_, err = time.Parse(time.RFC3339Nano, fmt.Sprint(signedIn.AuthenticationMethod["last_auth_at"]))
			require.NoError(t, err, res.Authenticate.Body)

			if tc.usernameless {
				require.NotNil(t, res.PasskeyAuthenticate)
				require.Equal(t, http.StatusOK, res.PasskeyAuthenticate.Status, res.PasskeyAuthenticate.Body)
				var who struct {
					UserID               string         `json:"user_id"`
					AuthenticationMethod map[string]any `json:"authentication_method"`
				}
				require.NoError(t, json.Unmarshal([]byte(res.PasskeyAuthenticate.Body), &who))
				assert.Equal(t, srv.user, who.UserID)
				assert.Equal(t, method.ID, who.AuthenticationMethod["id"])
			}
			checkConsole()
		})
	}
}
