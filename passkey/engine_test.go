package passkey

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

func TestSmoke(t *testing.T) {
	for _, f := range []string{"none", "packed-self", "packed", "fido-u2f"} {
		t.Run(f, func(t *testing.T) {
			h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
			st, opts := h.start(alice)
			a := newTestAuthenticator(t)
			r := registration{RPID: testRPID, Format: f, ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}}
			if f == "packed" || f == "fido-u2f" {
				r.CA = newAttCA(t, nil, nil)
			}
			c, err := h.confirm(st, alice, a.register(t, r, "usb", "nfc", "usb", "bogus"))
			require.NoError(t, err)
			assert.Equal(t, a.credID, c.CredentialID)
			assert.Equal(t, []string{"usb", "nfc"}, c.Method.WebAuthn.Transports)
			assert.Equal(t, "Chrome 131.0.0 / Mac OS X 10.15.7", c.Method.WebAuthn.UserAgent)
			t.Logf("%+v", c.Method.WebAuthn)
		})
	}
}
