package passkey

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// GN-08: errors seen outside are generic; the reason is only in the logs.
//
// A wrong challenge (WA-07), a wrong origin (WA-10) and a bad
// packed-self signature (AF-02), through verify.Service and the
// HTTP adapter: the same status and the same problem body, byte for
// byte; which check failed is only in the event's reason.
func TestFailedChecksAnswerAlike(t *testing.T) {
	f := newSvcFixture(t, verify.TypeWebAuthnRoaming, nil)
	h, err := httpapi.New(httpapi.Config{
		Verifier: f.svc, BaseURL: "https://id.example.org/me/v1", Limiter: ratelimit.Unlimited(f.clock), Now: f.clock,
		Authenticator: httpapi.AuthenticatorFunc(func(*http.Request) (httpapi.Principal, error) {
			return httpapi.Principal{Subject: alice, Scopes: []string{httpapi.ScopeCreateMethods}}, nil
		}),
	})
	require.NoError(t, err)
	a := newTestAuthenticator(t)
	cases := map[string]func(opts creationOptions) jsontext.Value{
		"WA-07 challenge": func(opts creationOptions) jsontext.Value {
			cd := created(opts)
			cd.Challenge = b64.EncodeToString(bytes.Repeat([]byte{1}, 32))
			return a.register(t, registration{RPID: testRPID, Format: "packed-self", ClientDat: cd})
		},
		"WA-10 origin": func(opts creationOptions) jsontext.Value {
			cd := created(opts)
			cd.Origin = "https://example.org.evil.com"
			return a.register(t, registration{RPID: testRPID, Format: "packed-self", ClientDat: cd})
		},
		"AF-02 signature": func(opts creationOptions) jsontext.Value {
			return flipSignatureBit(t, a.register(t, registration{RPID: testRPID, Format: "packed-self", ClientDat: created(opts)}))
		},
	}
	bodies := map[string]string{}
	reasons := map[string]bool{}
	for name, body := range cases {
		enr, opts := f.begin(alice)
		authn := body(opts)
		_, err := f.finish(alice, enr, authn)
		require.ErrorIs(t, err, verify.ErrInvalidProof, name)
		reasons[verify.ReasonOf(err)] = true

		enr, opts = f.begin(alice)
		req, err := json.Marshal(map[string]any{"auth_session": enr.AuthSession, "authn_response": jsontext.Value(body(opts))})
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodPost, "https://id.example.org/me/v1/authentication-methods/"+strings.ReplaceAll(enr.ID, "|", "%7C")+"/verify", bytes.NewReader(req))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		assert.Equal(t, http.StatusBadRequest, w.Code, name)
		bodies[name] = w.Body.String()
	}
	assert.Len(t, reasons, 3, "three different reasons for the logs: %v", reasons)
	want := bodies["WA-07 challenge"]
	assert.Contains(t, want, `"invalid_proof"`)
	for name, b := range bodies {
		assert.Equal(t, want, b, name)
	}
	assert.Zero(t, f.count(alice))
}
