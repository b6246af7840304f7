package passkey

import (
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/sqlstore"
	"github.com/verifykit/verifykit/verify"
)

// The WebAuthn registration rows of SECURITY-CHECKLIST WA-24..WA-35 (§7.1
// steps 25–29: the credential id and the record stored), one test each.

// WA-24: the credential id is 1 to 1023 bytes.
//
// The 1023-byte §16 vector registers (WA-01). 1024 bytes: the rawId
// is over the spec's 1364 characters and is refused before parsing;
// with a short rawId, go-webauthn refuses the authData's length.
func TestCredentialIDLengthIsBounded(t *testing.T) {
	long := bytes.Repeat([]byte{0xab}, 1024)
	a := newTestAuthenticator(t)
	_, err := fresh(t, registration{CredID: long}, nil)
	malformed(t, err, "authn_response.id")
	h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
	st, opts := h.start(alice)
	obj, cdj := a.attestationObject(t, registration{RPID: testRPID, CredID: long, ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}})
	_, err = h.confirm(st, alice, responseJSON(t, long[:1023], obj, cdj))
	refused(t, err, "webauthn_parse")
	// A 0-byte credential id cannot match the (non-empty) rawId.
	st, opts = h.start(alice)
	obj, cdj = a.attestationObject(t, registration{RPID: testRPID, CredID: []byte{}, ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}})
	_, err = h.confirm(st, alice, responseJSON(t, a.credID, obj, cdj))
	require.ErrorIs(t, err, verify.ErrInvalidProof)
}

// WA-25: a credential id registered for any user is refused, atomically.
func TestCredentialIDRegisteredToAnyoneIsRefused(t *testing.T) {
	n := newVNone(t)
	h := n.harness(t, nil)
	c, err := h.confirm(n.state(h), alice, n.body(t, nil, nil))
	require.NoError(t, err)
	h.save(alice, "webauthn-platform|dev_a", c)
	// (a) Another user, (b) the same user: refused.
	for _, sub := range []verify.Subject{bob, alice} {
		_, err = h.confirm(n.state(h), sub, n.body(t, nil, nil))
		refused(t, err, "duplicate_credential")
	}
	// (c) A race through the service: TestServiceCeremony/duplicate_race.
	serviceDuplicateRace(t)
}

// WA-26: the credential record stores type, id, key, signCount, uvInitialized, transports, BE and BS.
func TestCredentialRecordIsComplete(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	st, opts := h.start(alice)
	a := newTestAuthenticator(t)
	body := a.register(t, registration{RPID: testRPID, Format: "packed-self", Flags: 0x5d, Counter: 7,
		ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}}, "internal", "hybrid", "internal", "cable", "teleport")
	c, err := h.confirm(st, alice, body)
	require.NoError(t, err)
	want := &verify.WebAuthnCredential{
		CredentialID: a.credID, PublicKey: a.coseKey(), BackupEligible: true, BackedUp: true,
		Transports: []string{"internal", "hybrid"}, UserAgent: "Chrome 131.0.0 / Mac OS X 10.15.7",
		UserHandle: st.UserHandle, AAGUID: uuidOf(t, a.aaguid[:]).String(), RelyingPartyID: testRPID,
		SignCount: 7, UserVerified: true, AttestationFormat: "packed", AttestationType: "Self", Algorithm: -7,
	}
	assert.Equal(t, want, c.Method.WebAuthn)
	h.save(alice, "passkey|dev_1", c)
	rec, err := h.store.ByCredentialID(context.Background(), a.credID)
	require.NoError(t, err)
	m, err := verify.MethodFromRecord(rec)
	require.NoError(t, err)
	assert.Equal(t, want, m.WebAuthn, "read back from the store")
	assert.Equal(t, int64(7), rec.Counter)
	assert.Equal(t, a.credID, rec.CredentialID)
	// And from the SQL store (SQLite).
	sq, err := sqlstore.Open(context.Background(), sqlstore.Config{Driver: sqlstore.DriverSQLite,
		DSN: filepath.Join(t.TempDir(), "verifykit.db"), Keys: []sqlstore.Key{{ID: "k1", Secret: [32]byte{1, 2, 3}}}, Now: fixedClock})
	require.NoError(t, err)
	defer sq.Close()
	require.NoError(t, sq.Commit(context.Background(), store.Commit{SessionID: "s1", SessionExpires: testNow.Add(time.Hour), Method: rec}))
	rec2, err := sq.ByCredentialID(context.Background(), a.credID)
	require.NoError(t, err)
	m2, err := verify.MethodFromRecord(rec2)
	require.NoError(t, err)
	assert.Equal(t, want, m2.WebAuthn, "read back from the SQL store")
	assert.Equal(t, int64(7), rec2.Counter)
	assert.Equal(t, a.credID, rec2.CredentialID)
}

// WA-27: unsolicited extension outputs are handled per policy; missing ones do not break the flow.
func TestExtensionOutputsFollowPolicy(t *testing.T) {
	n := newVNone(t)
	ext := func(v any) jsontext.Value {
		var m map[string]any
		require.NoError(t, json.Unmarshal(n.body(t, nil, nil), &m))
		m["clientExtensionResults"] = v
		return mustJSON(t, m)
	}
	// (a) Unsolicited outputs: ignored by default, refused on request.
	body := ext(map[string]any{"credProps": map[string]any{"rk": true}, "foo": 1})
	_, err := n.confirm(t, body, nil)
	require.NoError(t, err)
	_, err = n.confirm(t, body, func(c *Config) { c.RejectUnsolicitedExtensions = true })
	refused(t, err, "webauthn_extensions")
	// (b) ED set with an extension map: accepted.
	credProtect, err := ctap2.Marshal(map[string]any{"credProtect": 2})
	require.NoError(t, err)
	ad := append(n.withFlags(0x59|0x80), credProtect...)
	_, err = n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, ad)), nil)
	require.NoError(t, err)
	// (c) ED set without extension bytes, (d) extension bytes with ED
	// clear: refused.
	_, err = n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, n.withFlags(0x59|0x80))), nil)
	refused(t, err, "webauthn_parse")
	_, err = n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, append(n.withFlags(0x59), credProtect...))), nil)
	refused(t, err, "webauthn_parse")
	// Not an object: malformed.
	_, err = n.confirm(t, ext([]int{1}), nil)
	malformed(t, err, "authn_response")
}

// WA-28: the record is stored only if every step succeeds, for the sealed user.
func TestCredentialIsStoredOnlyForTheSealedUser(t *testing.T) {
	serviceCrossUser(t)
}

// WA-29: AT is set exactly when attested credential data is present.
func TestAttestedCredentialDataRequiresAT(t *testing.T) {
	n := newVNone(t)
	for name, ad := range map[string][]byte{
		"AT=0 with credential data": n.withFlags(0x59 &^ 0x40),
		"AT=0 without":              append(n.withFlags(0x59 &^ 0x40)[:37:37], []byte{}...),
		"AT=1 truncated at 37":      n.authData[:37],
	} {
		t.Run(name, func(t *testing.T) {
			_, err := n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, ad)), nil)
			refused(t, err, "webauthn_parse")
		})
	}
}

// WA-30: the COSE key agrees with its `alg`, is on its curve, and RSA keys are at least 2048 bits.
func TestCOSEKeyMustMatchItsAlgorithm(t *testing.T) {
	a := newTestAuthenticator(t)
	x, y := ecXY(&a.key.PublicKey)
	offCurve := bytes.Clone(y)
	offCurve[31] ^= 1
	rsa1024 := new(big.Int).Lsh(big.NewInt(1), 1023).Bytes()
	keys := map[string]map[int]any{
		"ES256 on P-384":     {1: 2, 3: -7, -1: 2, -2: x, -3: y},
		"OKP with ES256":     {1: 1, 3: -7, -1: 6, -2: x},
		"point not on curve": {1: 2, 3: -7, -1: 1, -2: x, -3: offCurve},
		"RSA 1024":           {1: 3, 3: -257, -1: rsa1024, -2: []byte{1, 0, 1}},
		"RS1":                {1: 3, 3: -65535, -1: append([]byte{0xc1}, bytes.Repeat([]byte{0x55}, 255)...), -2: []byte{1, 0, 1}},
		"crv text":           {1: 2, 3: -7, -1: "P-256", -2: x, -3: y},
	}
	for name, k := range keys {
		t.Run(name, func(t *testing.T) {
			key, err := ctap2.Marshal(k)
			require.NoError(t, err)
			_, err = fresh(t, registration{COSEKey: key}, func(c *Config) { c.Algorithms = knownAlgorithms })
			require.ErrorIs(t, err, verify.ErrInvalidProof)
			assert.Contains(t, []string{"webauthn_key", "webauthn_alg"}, verify.ReasonOf(err))
		})
	}
}

// WA-31: the client-reported attachment and credProps are unsigned and not trusted.
//
// Pinned: the client-reported attachment is not used and not
// recorded; the type's policy decides.
func TestClientReportedAttachmentIsNotTrusted(t *testing.T) {
	n := newVNone(t)
	var m map[string]any
	require.NoError(t, json.Unmarshal(n.body(t, nil, nil), &m))
	m["authenticatorAttachment"] = "platform"
	h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) {
		c.RPID, c.Origins, c.Algorithms = n.v.RPID, []string{n.v.Origin}, []int64{AlgES256}
	})
	c, err := h.confirm(h.stateFor(n.r.challenge(t)), alice, mustJSON(t, m))
	require.NoError(t, err)
	assert.Equal(t, []verify.Usage{verify.UsageSecondary}, c.Method.Usage)
	m["authenticatorAttachment"] = "usb"
	_, err = h.confirm(h.stateFor(n.r.challenge(t)), alice, mustJSON(t, m))
	malformed(t, err, "authn_response.authenticatorAttachment")
	m = nil
	// credProps.rk = false for a passkey: not discoverable, refused.
	hp := newHarness(t, verify.TypePasskey, nil)
	st, opts := hp.start(alice)
	body := newTestAuthenticator(t).register(t, registration{RPID: testRPID, ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}})
	require.NoError(t, json.Unmarshal(body, &m))
	m["clientExtensionResults"] = map[string]any{"credProps": map[string]any{"rk": false}}
	_, err = hp.confirm(st, alice, mustJSON(t, m))
	refused(t, err, "webauthn_not_discoverable")
}

// WA-32: excludeCredentials lists the user's registered credentials.
func TestExcludeCredentialsListsTheUsersCredentials(t *testing.T) {
	n := newVNone(t)
	h := n.harness(t, nil)
	c, err := h.confirm(n.state(h), alice, n.body(t, nil, nil))
	require.NoError(t, err)
	h.save(alice, "webauthn-platform|dev_1", c)
	for _, typ := range []verify.Type{verify.TypePasskey, verify.TypeWebAuthnPlatform, verify.TypeWebAuthnRoaming} {
		hh := &harness{t: t, store: h.store, e: mustEngine(t, typ, h)}
		_, opts := hh.start(alice)
		require.Len(t, opts.ExcludeCredentials, 1, typ)
		assert.Equal(t, credDescriptor{Type: "public-key", ID: b64.EncodeToString(n.id)}, opts.ExcludeCredentials[0])
	}
	// Not listed when the request turns it off, nor for another user.
	off := false
	ch, err := h.e.Start(context.Background(), &verify.EngineStart{Subject: alice, Request: verify.StartRequest{UseExcludeCredentials: &off}, ExpiresAt: testNow.Add(time.Minute)})
	require.NoError(t, err)
	assert.NotContains(t, string(ch.AuthnParamsPublicKey), "excludeCredentials")
	_, opts := h.start(bob)
	assert.Empty(t, opts.ExcludeCredentials)
}

// WA-33: the user handle is random, at most 64 bytes, free of PII and bound to the user.
func TestUserHandleIsRandomAndBounded(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	st1, o1 := h.start(alice)
	st2, _ := h.start(alice)
	assert.Len(t, st1.UserHandle, userHandleSize)
	assert.LessOrEqual(t, len(st1.UserHandle), maxUserHandleSize)
	assert.NotEqual(t, st1.UserHandle, st2.UserHandle, "random while the user has no credential")
	for _, pii := range []string{alice.ID, alice.Email, alice.Name, "alice"} {
		assert.NotContains(t, string(st1.UserHandle), pii)
		assert.NotContains(t, o1.User.ID, b64.EncodeToString([]byte(pii)))
	}
	assert.Equal(t, b64.EncodeToString(st1.UserHandle), o1.User.ID)
	// Once a credential is confirmed, its handle is the user's.
	a := newTestAuthenticator(t)
	c, err := h.confirm(st1, alice, a.register(t, registration{RPID: testRPID, ClientDat: clientData{Type: "webauthn.create", Challenge: o1.Challenge, Origin: testOrigin}}))
	require.NoError(t, err)
	assert.Equal(t, st1.UserHandle, c.Method.WebAuthn.UserHandle)
	h.save(alice, "passkey|dev_1", c)
	st3, o3 := h.start(alice)
	assert.Equal(t, st1.UserHandle, st3.UserHandle)
	assert.Equal(t, o1.User.ID, o3.User.ID)
	// The ceremony started under another handle is refused: the sealed
	// handle is compared with the user's.
	_, o2 := st2, o1
	b := newTestAuthenticator(t)
	_, err = h.confirm(st2, alice, b.register(t, registration{RPID: testRPID, ClientDat: clientData{Type: "webauthn.create", Challenge: b64.EncodeToString(st2.Challenge), Origin: testOrigin}}))
	require.ErrorIs(t, err, verify.ErrConflict)
	assert.Equal(t, "webauthn_user_handle", verify.ReasonOf(err))
	_ = o2
	// Another user's handle differs.
	st4, _ := h.start(bob)
	assert.NotEqual(t, st1.UserHandle, st4.UserHandle)
}

// WA-34: the initial signCount is stored.
func TestInitialSignCountIsStored(t *testing.T) {
	c, err := fresh(t, registration{Counter: 0x01020304}, nil)
	require.NoError(t, err)
	assert.Equal(t, uint32(0x01020304), c.Method.WebAuthn.SignCount)
	assert.Equal(t, int64(0x01020304), c.Counter)
}

// WA-35: the request size is bounded before parsing.
func TestOversizedResponseIsRefusedBeforeParsing(t *testing.T) {
	n := newVNone(t)
	big := []byte(`{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"AA","attestationObject":"` + strings.Repeat("A", 900<<10) + `"}}` + strings.Repeat(" ", 100<<10))
	h := n.harness(t, nil)
	raw := mustJSON(t, n.state(h))
	confirm := func() error {
		_, err := h.e.Confirm(context.Background(), &verify.EngineConfirm{Subject: alice, State: raw, Request: verify.VerifyRequest{AuthnResponse: big}})
		return err
	}
	malformed(t, confirm(), "authn_response")
	// Refused before decoding: no allocation of the body's size.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 10 {
		_ = confirm()
	}
	runtime.ReadMemStats(&after)
	assert.Less(t, (after.TotalAlloc-before.TotalAlloc)/10, uint64(64<<10))
}

type uuidT = uuid.UUID

func uuidOf(t testing.TB, b []byte) uuid.UUID {
	t.Helper()
	u, err := uuid.FromBytes(b)
	require.NoError(t, err)
	return u
}

// editAttObj decodes the attestation object of an authn_response, lets f
// edit it and returns the response re-encoded.
func editAttObj(t testing.TB, body jsontext.Value, f func(o map[string]any)) jsontext.Value {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	resp := m["response"].(map[string]any)
	raw, err := b64.DecodeString(resp["attestationObject"].(string))
	require.NoError(t, err)
	var o map[string]any
	require.NoError(t, cbor.Unmarshal(raw, &o))
	f(o)
	enc, err := ctap2.Marshal(o)
	require.NoError(t, err)
	resp["attestationObject"] = b64.EncodeToString(enc)
	return mustJSON(t, m)
}

// flipSignatureBit flips one bit of attStmt.sig.
func flipSignatureBit(t testing.TB, body jsontext.Value) jsontext.Value {
	return editAttObj(t, body, func(o map[string]any) {
		stmt := o["attStmt"].(map[any]any)
		sig := bytes.Clone(stmt["sig"].([]byte))
		sig[len(sig)/2] ^= 0x01
		stmt["sig"] = sig
	})
}

// fresh starts a ceremony on a roaming engine and registers r with a new
// test authenticator, returning what confirm returns.
func fresh(t *testing.T, r registration, mutate func(*Config)) (*verify.Confirmation, error) {
	t.Helper()
	h := newHarness(t, verify.TypeWebAuthnRoaming, mutate)
	st, opts := h.start(alice)
	r.RPID = testRPID
	r.ClientDat = clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}
	return h.confirm(st, alice, newTestAuthenticator(t).register(t, r))
}
