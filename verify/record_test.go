package verify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
)

// TestStoredRecordsOfEarlierVersionsStillDecode: rows written before
// json/v2 (encoding/json's bytes, HTML escapes, null for nil slices, the
// credential's Go field names) and rows with members this version does
// not know decode to the method they were written from.
func TestStoredRecordsOfEarlierVersionsStillDecode(t *testing.T) {
	at := time.Date(2026, 11, 27, 1, 2, 3, 456789000, time.UTC)
	created := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		rec  store.Method
		want Method
	}{
		{"passkey, every attribute", store.Method{ID: "passkey|1", Subject: "auth0|alice", Type: "passkey", CreatedAt: created,
			Attrs: []byte(`{"name":"Alice's \u003ckey\u003e \u0026 \"co\"","usage":["primary"],"last_auth_at":"2026-11-27T01:02:03.456789Z","identity_user_id":"auth0|alice","last_password_reset":"2026-11-27T00:02:03.456789Z","webauthn":{"CredentialID":"AQID+g==","PublicKey":"cGsA/w==","BackupEligible":true,"BackedUp":false,"Transports":["internal","hybrid"],"UserAgent":"Chrome 131.0.0 / Mac OS X 10.15.7","UserHandle":null,"AAGUID":"ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4","RelyingPartyID":"example.com","SignCount":7,"UserVerified":true,"AttestationFormat":"none","AttestationType":"None","Algorithm":-7}}`)},
			Method{ID: "passkey|1", Type: TypePasskey, Subject: "auth0|alice", Confirmed: true, Name: "Alice's <key> & \"co\"",
				Usage: []Usage{UsagePrimary}, CreatedAt: created, LastAuthAt: at, IdentityUserID: "auth0|alice", LastPasswordReset: at.Add(-time.Hour),
				WebAuthn: &WebAuthnCredential{CredentialID: []byte{1, 2, 3, 250}, PublicKey: []byte("pk\x00\xff"), BackupEligible: true,
					Transports: []string{"internal", "hybrid"}, UserAgent: "Chrome 131.0.0 / Mac OS X 10.15.7", AAGUID: "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4",
					RelyingPartyID: "example.com", SignCount: 7, UserVerified: true, AttestationFormat: "none", AttestationType: "None", Algorithm: -7}}},
		{"phone, as the fast path wrote it", store.Method{ID: "phone|dev_1", Subject: "auth0|alice", Type: "phone", CreatedAt: created,
			Attrs: []byte(`{"name":"\u003cwork\u003e\u2028","usage":["secondary"],"phone_number":"+15551234567","preferred_authentication_method":"voice"}`)},
			Method{ID: "phone|dev_1", Type: TypePhone, Subject: "auth0|alice", Confirmed: true, Name: "<work>\u2028", Usage: []Usage{UsageSecondary},
				CreatedAt: created, PhoneNumber: "+15551234567", PreferredAuthenticationMethod: "voice"}},
		{"recovery code without attributes", store.Method{ID: "recovery-code|dev_1", Subject: "auth0|bob", Type: "recovery-code", CreatedAt: created, Attrs: []byte(`{}`)},
			Method{ID: "recovery-code|dev_1", Type: TypeRecoveryCode, Subject: "auth0|bob", Confirmed: true, Usage: []Usage{UsageSecondary}, CreatedAt: created}},
		{"a member of a later version", store.Method{ID: "email|dev_1", Subject: "auth0|bob", Type: "email", CreatedAt: created,
			Attrs: []byte(`{"email":"bob@example.com","verified_by":"link"}`)},
			Method{ID: "email|dev_1", Type: TypeEmail, Subject: "auth0|bob", Confirmed: true, Usage: []Usage{UsageSecondary}, CreatedAt: created, Email: "bob@example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MethodFromRecord(tc.rec)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestRecordRoundTrips: a method of every type, with every attribute set
// or none, comes back from its record as it was.
func TestRecordRoundTrips(t *testing.T) {
	at := time.Date(2026, 11, 27, 1, 2, 3, 456789000, time.UTC)
	for _, typ := range Types() {
		for _, m := range []Method{
			{ID: string(typ) + "|1", Type: typ, Subject: "auth0|alice", Confirmed: true, Name: "<n> & \u2028", Usage: []Usage{UsagePrimary, UsageSecondary},
				CreatedAt: at, LastAuthAt: at.Add(time.Hour), PhoneNumber: "+15551234567", PreferredAuthenticationMethod: "sms",
				Email: "a@example.com", IdentityUserID: "auth0|alice", LastPasswordReset: at.Add(-time.Hour),
				WebAuthn: &WebAuthnCredential{CredentialID: []byte("id"), PublicKey: []byte{0xa5, 1}, BackupEligible: true, BackedUp: true,
					Transports: []string{"usb"}, UserAgent: "ua", UserHandle: []byte("uh"), AAGUID: "aaguid", RelyingPartyID: "rp",
					SignCount: 1 << 31, UserVerified: true, AttestationFormat: "packed", AttestationType: "Basic", Algorithm: -257}},
			{ID: string(typ) + "|2", Type: typ, Subject: "auth0|bob", Confirmed: true, Usage: typ.DefaultUsage(), CreatedAt: at},
			{ID: string(typ) + "|3", Type: typ, Subject: "auth0|bob", Confirmed: true, Usage: typ.DefaultUsage(), CreatedAt: at, WebAuthn: &WebAuthnCredential{}},
		} {
			r, err := m.Record()
			require.NoError(t, err)
			got, err := MethodFromRecord(r)
			require.NoError(t, err)
			assert.Equal(t, m, got)
		}
	}
}

// TestUnreadableRecordIsAnError: a record whose attributes are not the
// stored form is refused, not half-read.
func TestUnreadableRecordIsAnError(t *testing.T) {
	for _, attrs := range []string{``, `[]`, `{"usage":"primary"}`, `{"webauthn":{"CredentialID":"not base64!"}}`, `{"name":"a","name":"b"}`} {
		_, err := MethodFromRecord(store.Method{ID: "totp|1", Type: "totp", Attrs: []byte(attrs)})
		assert.Error(t, err, attrs)
	}
	_, err := MethodFromRecord(store.Method{ID: "x|1", Type: "sms", Attrs: []byte(`{}`)})
	assert.Error(t, err)
}

func TestNewMethodID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newMethodID(TypePhone)
		require.Regexp(t, `^phone\|dev_[A-Za-z0-9]{16}$`, id)
		require.False(t, seen[id])
		seen[id] = true
	}
}
