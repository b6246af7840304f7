package verify_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// TestMethodJSON pins the wire form of every type against the spec's
// per-type schema: exactly the fields it lists, required ones present,
// optional ones omitted when empty, times with milliseconds in UTC.
func TestMethodJSON(t *testing.T) {
	created := time.Date(2025, 1, 15, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	cred := &verify.WebAuthnCredential{
		CredentialID: []byte("test-credential-id"), PublicKey: []byte{0xa5, 0x01, 0x02},
		BackupEligible: true, BackedUp: true, Transports: []string{"internal"},
		UserAgent: "Chrome 131.0.0 / Mac OS X 10.15.7", UserHandle: []byte("handle"),
		AAGUID: "00000000-0000-0000-0000-000000000000", RelyingPartyID: "example.com",
		SignCount: 3, AttestationFormat: "none",
	}
	for _, tc := range []struct {
		m    verify.Method
		want string
	}{
		{verify.Method{ID: "totp|dev_1", Type: verify.TypeTOTP, Confirmed: true, Usage: []verify.Usage{"secondary"}, CreatedAt: created},
			`{"id":"totp|dev_1","type":"totp","confirmed":true,"usage":["secondary"],"created_at":"2025-01-15T09:30:00.000Z"}`},
		{verify.Method{ID: "totp|dev_1", Type: verify.TypeTOTP, Confirmed: true, Name: "phone app", Usage: []verify.Usage{"secondary"}, CreatedAt: created, LastAuthAt: created.Add(1500 * time.Millisecond)},
			`{"id":"totp|dev_1","type":"totp","confirmed":true,"name":"phone app","usage":["secondary"],"created_at":"2025-01-15T09:30:00.000Z","last_auth_at":"2025-01-15T09:30:01.500Z"}`},
		{verify.Method{ID: "recovery-code|dev_1", Type: verify.TypeRecoveryCode, Confirmed: true, Name: "ignored: not in schema", Usage: []verify.Usage{"secondary"}, CreatedAt: created},
			`{"id":"recovery-code|dev_1","type":"recovery-code","confirmed":true,"usage":["secondary"],"created_at":"2025-01-15T09:30:00.000Z"}`},
		{verify.Method{ID: "push-notification|dev_1", Type: verify.TypePushNotification, Confirmed: true, Name: "Pixel 8", Usage: []verify.Usage{"secondary"}, CreatedAt: created},
			`{"id":"push-notification|dev_1","type":"push-notification","confirmed":true,"name":"Pixel 8","usage":["secondary"],"created_at":"2025-01-15T09:30:00.000Z"}`},
		{verify.Method{ID: "phone|dev_1", Type: verify.TypePhone, Confirmed: true, PhoneNumber: "+15551234567", PreferredAuthenticationMethod: "sms", Usage: []verify.Usage{"secondary"}, CreatedAt: created},
			`{"id":"phone|dev_1","type":"phone","confirmed":true,"phone_number":"+15551234567","preferred_authentication_method":"sms","usage":["secondary"],"created_at":"2025-01-15T09:30:00.000Z"}`},
		{verify.Method{ID: "email|dev_1", Type: verify.TypeEmail, Confirmed: true, Email: "user@example.com", Usage: []verify.Usage{"secondary"}, CreatedAt: created},
			`{"id":"email|dev_1","type":"email","confirmed":true,"email":"user@example.com","usage":["secondary"],"created_at":"2025-01-15T09:30:00.000Z"}`},
		{verify.Method{ID: "password|dXNlci0xMjM", Type: verify.TypePassword, Confirmed: true, IdentityUserID: "auth0|507f1f77bcf86cd799439011", Usage: []verify.Usage{"primary"}, CreatedAt: created, LastPasswordReset: created},
			`{"id":"password|dXNlci0xMjM","type":"password","identity_user_id":"auth0|507f1f77bcf86cd799439011","last_password_reset":"2025-01-15T09:30:00.000Z","usage":["primary"],"created_at":"2025-01-15T09:30:00.000Z"}`},
		{verify.Method{ID: "passkey|dev_1", Type: verify.TypePasskey, Confirmed: true, IdentityUserID: "auth0|1", WebAuthn: cred, Usage: []verify.Usage{"primary"}, CreatedAt: created},
			`{"id":"passkey|dev_1","type":"passkey","credential_device_type":"multi_device","credential_backed_up":true,"identity_user_id":"auth0|1","key_id":"dGVzdC1jcmVkZW50aWFsLWlk","public_key":"pQEC","transports":["internal"],"user_agent":"Chrome 131.0.0 / Mac OS X 10.15.7","user_handle":"aGFuZGxl","aaguid":"00000000-0000-0000-0000-000000000000","relying_party_id":"example.com","usage":["primary"],"created_at":"2025-01-15T09:30:00.000Z"}`},
		{verify.Method{ID: "webauthn-roaming|dev_1", Type: verify.TypeWebAuthnRoaming, Confirmed: true, Name: "YubiKey", WebAuthn: &verify.WebAuthnCredential{CredentialID: []byte{1}, PublicKey: []byte{2}}, Usage: []verify.Usage{"secondary"}, CreatedAt: created},
			`{"id":"webauthn-roaming|dev_1","type":"webauthn-roaming","confirmed":true,"name":"YubiKey","key_id":"AQ","public_key":"Ag","usage":["secondary"],"created_at":"2025-01-15T09:30:00.000Z"}`},
	} {
		t.Run(tc.m.ID, func(t *testing.T) {
			b, err := json.Marshal(tc.m)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(b))
		})
	}
}

func TestMethodJSONRefused(t *testing.T) {
	_, err := json.Marshal(verify.Method{ID: "x", Type: "sms"})
	require.ErrorContains(t, err, `unknown type "sms"`)
	_, err = json.Marshal(verify.Method{ID: "passkey|1", Type: verify.TypePasskey})
	require.ErrorContains(t, err, "has no credential")
}

func TestTypes(t *testing.T) {
	for _, typ := range verify.Types() {
		assert.True(t, typ.Valid(), typ)
	}
	assert.False(t, verify.Type("Totp").Valid(), "types are case-sensitive")
	assert.Equal(t, "otp_code", verify.TypePhone.Proof())
	assert.Equal(t, "authn_response", verify.TypeWebAuthnPlatform.Proof())
	assert.Equal(t, "new_password", verify.TypePassword.Proof())
	assert.Equal(t, "", verify.TypePushNotification.Proof())
	assert.Equal(t, []verify.Usage{verify.UsagePrimary}, verify.TypePasskey.DefaultUsage())
	assert.Equal(t, []verify.Usage{verify.UsageSecondary}, verify.TypeWebAuthnPlatform.DefaultUsage())
}
