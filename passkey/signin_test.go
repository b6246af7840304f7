package passkey

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// SI-02
func TestStepUpSignInVerifiesES256AndEd25519Assertions(t *testing.T) {
	for _, ed := range []bool{false, true} {
		h := newHarness(t, verify.TypePasskey, nil)
		c := h.enroll(alice, "passkey|dev_a", ed, true, true, 0)
		st, opts := h.challenge(alice, c)
		a, err := h.authenticate(st, alice, c, c.assert(t, assertion{Counter: 7, ClientDat: get(opts)}))
		require.NoError(t, err, "ed25519=%v", ed)
		assert.Equal(t, "passkey|dev_a", a.Method.ID)
		assert.Equal(t, c.rec.ID, a.Record.ID)
		assert.Equal(t, alice.ID, a.Record.Subject)
		assert.Equal(t, int64(7), a.Counter, "a non-zero counter is returned for the store to advance")
		assert.Equal(t, c.id, a.Method.WebAuthn.CredentialID)
		assert.Nil(t, a.Secret)
	}
}

// SI-02, SI-03
func TestUsernamelessSignInFindsTheOwnerByCredentialID(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	h.enroll(bob, "passkey|dev_b", false, true, true, 0)
	c := h.enroll(alice, "passkey|dev_a", true, true, true, 0)
	st, opts := h.challenge(verify.Subject{}, nil)
	a, err := h.authenticate(st, verify.Subject{}, nil, c.assert(t, assertion{ClientDat: get(opts)}))
	require.NoError(t, err)
	assert.Equal(t, alice.ID, a.Record.Subject)
	assert.Equal(t, "passkey|dev_a", a.Record.ID)
	assert.Equal(t, alice.ID, a.Method.Subject)
	assert.Zero(t, a.Counter, "a zero counter is allowed and not written")
}

// SI-02, WA-08: the request options of §5.5 as the browser parses them.
func TestChallengeOptionsListTheCredentialForAStepUpAndNoneUsernameless(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	c := h.enroll(alice, "passkey|dev_a", false, true, true, 0)

	st, opts := h.challenge(alice, c)
	ch, err := b64.DecodeString(opts.Challenge)
	require.NoError(t, err)
	assert.Len(t, ch, 32)
	assert.Equal(t, testRPID, opts.RPID)
	assert.Equal(t, UVRequired, opts.UserVerification)
	assert.Equal(t, int64(300000), opts.Timeout)
	require.Len(t, opts.AllowCredentials, 1)
	assert.Equal(t, credDescriptor{Type: "public-key", ID: b64.EncodeToString(c.id), Transports: []string{"internal", "hybrid"}}, opts.AllowCredentials[0])
	assert.Equal(t, opts.Challenge, st.Challenge)
	assert.Equal(t, b64.EncodeToString(c.id), st.CredentialID)
	assert.Equal(t, UVRequired, st.UV)
	assert.Equal(t, testRPID, st.RPID)

	st2, opts2 := h.challenge(verify.Subject{}, nil)
	assert.NotEqual(t, opts.Challenge, opts2.Challenge, "a fresh challenge per ceremony")
	assert.Empty(t, st2.CredentialID)
	ss, err := h.e.Challenge(context.Background(), &verify.EngineStart{ExpiresAt: testNow.Add(time.Minute)})
	require.NoError(t, err)
	assert.Contains(t, string(ss.AuthnParamsPublicKey), `"allowCredentials":[]`, "usernameless: discoverable credentials, usable with mediation conditional")
}

// SI-02: user verification per type; the sealed requirement wins (WA-17).
func TestUserVerificationIsRequiredForPasskeysAndPerConfigForOthers(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	c := h.enroll(alice, "passkey|dev_a", false, true, true, 0)
	st, opts := h.challenge(alice, c)
	_, err := h.authenticate(st, alice, c, c.assert(t, assertion{Flags: flags(fUP | fBE | fBS), ClientDat: get(opts)}))
	refused(t, err, "webauthn_user_verification")

	// Usernameless is always UV required, even where a passkey's
	// registration only prefers it.
	hp := newHarness(t, verify.TypePasskey, func(c *Config) { c.UserVerification = UVPreferred })
	cp := hp.enroll(alice, "passkey|dev_p", false, true, true, 0)
	st, opts = hp.challenge(verify.Subject{}, nil)
	assert.Equal(t, UVRequired, opts.UserVerification)
	_, err = hp.authenticate(st, verify.Subject{}, nil, cp.assert(t, assertion{Flags: flags(fUP | fBE | fBS), ClientDat: get(opts)}))
	refused(t, err, "webauthn_user_verification")

	hr := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) { c.UserVerification = UVDiscouraged })
	cr := hr.enroll(alice, "webauthn-roaming|dev_r", false, false, false, 1)
	st, opts = hr.challenge(alice, cr)
	assert.Equal(t, UVDiscouraged, opts.UserVerification)
	_, err = hr.authenticate(st, alice, cr, cr.assert(t, assertion{Flags: flags(fUP), Counter: 2, ClientDat: get(opts)}))
	require.NoError(t, err)

	// Sealed "required" wins over a later "discouraged".
	st.UV = UVRequired
	_, err = hr.authenticate(st, alice, cr, cr.assert(t, assertion{Flags: flags(fUP), Counter: 3, ClientDat: get(opts)}))
	refused(t, err, "webauthn_user_verification")
}

// SI-02: every §7.2 step, mutated with a valid signature, is refused.
func TestAssertionStepMutationsAreRefused(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, func(c *Config) {
		c.AllowCrossOrigin = true
		c.TopOrigins = []string{"https://example.com"}
	})
	c := h.enroll(alice, "passkey|dev_a", false, true, true, 0)
	other := h.enroll(alice, "passkey|dev_o", false, true, true, 0)
	st, opts := h.challenge(alice, c)
	cd := get(opts)
	yes := true
	cases := []struct {
		name, reason string
		body         jsontext.Value
	}{
		{"type webauthn.create", "webauthn_type", c.assert(t, assertion{ClientDat: clientData{Type: "webauthn.create", Challenge: cd.Challenge, Origin: testOrigin}})},
		{"type missing", "webauthn_type", c.assert(t, assertion{ClientDat: clientData{Raw: []byte(`{"challenge":"` + cd.Challenge + `","origin":"https://example.org"}`)}})},
		{"other challenge", "webauthn_challenge", c.assert(t, assertion{ClientDat: clientData{Type: "webauthn.get", Challenge: b64.EncodeToString(make([]byte, 32)), Origin: testOrigin}})},
		{"padded challenge", "webauthn_challenge", c.assert(t, assertion{ClientDat: clientData{Type: "webauthn.get", Challenge: cd.Challenge + "=", Origin: testOrigin}})},
		{"rpIdHash of another RP", "webauthn_rp_id", c.assert(t, assertion{RPID: "evil.org", ClientDat: cd})},
		{"rpIdHash of a subdomain", "webauthn_rp_id", c.assert(t, assertion{RPID: "sub.example.org", ClientDat: cd})},
		{"UP=0", "webauthn_user_presence", c.assert(t, assertion{Flags: flags(fUV | fBE | fBS), ClientDat: cd})},
		{"bad signature", "webauthn_signature", c.assert(t, assertion{BadSig: true, ClientDat: cd})},
		{"signature over other data", "webauthn_signature", c.assert(t, assertion{SignedData: []byte("something else"), ClientDat: cd})},
		{"other credential of the user", "webauthn_credential_not_allowed", other.assert(t, assertion{ClientDat: cd})},
		{"user handle of another user", "webauthn_user_handle", c.assert(t, assertion{Handle: make([]byte, 32), ClientDat: cd})},
		{"cross-origin with another top origin", "webauthn_top_origin", c.assert(t, assertion{ClientDat: clientData{Type: "webauthn.get", Challenge: cd.Challenge, Origin: testOrigin, CrossOrigin: &yes, TopOrigin: "https://evil.com"}})},
	}
	for _, o := range []string{"https://example.org.evil.com", "https://evil.example.org", "http://example.org", "https://example.org:8443",
		"https://example.org/", "HTTPS://EXAMPLE.ORG", "null", ""} {
		cases = append(cases, struct {
			name, reason string
			body         jsontext.Value
		}{"origin " + o, "webauthn_origin", c.assert(t, assertion{ClientDat: clientData{Type: "webauthn.get", Challenge: cd.Challenge, Origin: o}})})
	}
	for _, tc := range cases {
		_, err := h.authenticate(st, alice, c, tc.body)
		refused(t, err, tc.reason)
	}
	// The unmutated assertion passes: the mutations are what failed.
	_, err := h.authenticate(st, alice, c, c.assert(t, assertion{ClientDat: cd}))
	require.NoError(t, err)
	_, err = h.authenticate(st, alice, c, c.assert(t, assertion{NoHandle: true, ClientDat: cd}))
	require.NoError(t, err, "a step-up's user handle is checked when present")
	_, err = h.authenticate(st, alice, c, c.assert(t, assertion{ClientDat: clientData{Type: "webauthn.get", Challenge: cd.Challenge, Origin: testOrigin, CrossOrigin: &yes, TopOrigin: "https://example.com"}}))
	require.NoError(t, err, "an allowed top origin")
}

// SI-02: crossOrigin is refused unless configured (WA-11's sign-in half).
func TestCrossOriginAssertionIsRefusedByDefault(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	c := h.enroll(alice, "passkey|dev_a", false, true, true, 0)
	st, opts := h.challenge(alice, c)
	yes := true
	_, err := h.authenticate(st, alice, c, c.assert(t, assertion{ClientDat: clientData{Type: "webauthn.get", Challenge: opts.Challenge, Origin: testOrigin, CrossOrigin: &yes}}))
	refused(t, err, "webauthn_cross_origin")
}

// SI-03
func TestUsernamelessAssertionMustCarryTheStoredUserHandle(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	c := h.enroll(alice, "passkey|dev_a", false, true, true, 0)
	b := h.enroll(bob, "passkey|dev_b", false, true, true, 0)
	st, opts := h.challenge(verify.Subject{}, nil)
	_, err := h.authenticate(st, verify.Subject{}, nil, c.assert(t, assertion{Handle: b.handle, ClientDat: get(opts)}))
	refused(t, err, "webauthn_user_handle")
	_, err = h.authenticate(st, verify.Subject{}, nil, c.assert(t, assertion{NoHandle: true, ClientDat: get(opts)}))
	refused(t, err, "webauthn_user_handle")
}

// SI-03, SI-10: an unknown credential and a bad signature answer alike.
func TestUnknownCredentialAndBadSignatureAnswerAlike(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	c := h.enroll(alice, "passkey|dev_a", false, true, true, 0)
	st, opts := h.challenge(verify.Subject{}, nil)
	_, unknown := h.authenticate(st, verify.Subject{}, nil, c.assert(t, assertion{CredID: []byte("an unknown credential id 0123456"), ClientDat: get(opts)}))
	refused(t, unknown, "webauthn_unknown_credential")
	_, badSig := h.authenticate(st, verify.Subject{}, nil, c.assert(t, assertion{BadSig: true, ClientDat: get(opts)}))
	refused(t, badSig, "webauthn_signature")
	var e1, e2 *verify.Error
	require.ErrorAs(t, unknown, &e1)
	require.ErrorAs(t, badSig, &e2)
	assert.Equal(t, e1.Kind, e2.Kind)
	assert.Equal(t, e1.Detail, e2.Detail)
	assert.Equal(t, e1.Fields, e2.Fields)
}

// SI-02: a usernameless sign-in only accepts credentials of the engine's
// type; a step-up only the engine's type and RP.
func TestCredentialOfAnotherTypeIsRefused(t *testing.T) {
	st0, err := newHarnessStore(t)
	require.NoError(t, err)
	platform := st0.with(t, verify.TypeWebAuthnPlatform)
	pk := st0.with(t, verify.TypePasskey)
	c := platform.enroll(alice, "webauthn-platform|dev_p", false, false, false, 0)

	st, opts := pk.challenge(verify.Subject{}, nil)
	_, err = pk.authenticate(st, verify.Subject{}, nil, c.assert(t, assertion{ClientDat: get(opts)}))
	refused(t, err, "webauthn_credential_type")

	_, err = pk.e.Challenge(context.Background(), &verify.EngineStart{Subject: alice, Method: c.method, Record: c.rec, ExpiresAt: testNow.Add(time.Minute)})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)

	_, err = platform.e.Challenge(context.Background(), &verify.EngineStart{ExpiresAt: testNow.Add(time.Minute)})
	require.ErrorIs(t, err, verify.ErrInvalidRequest, "only a passkey signs in usernameless")

	// A credential of another RP (a configuration change) cannot step up.
	other := *c.method.WebAuthn
	other.RelyingPartyID = "other.example.org"
	m := c.method
	m.WebAuthn = &other
	_, err = platform.e.Challenge(context.Background(), &verify.EngineStart{Subject: alice, Method: m, Record: c.rec, ExpiresAt: testNow.Add(time.Minute)})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
}

// SI-04: §7.2 step 22.
func TestSignatureCounterRegressionIsRefusedByDefault(t *testing.T) {
	h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
	c := h.enroll(alice, "webauthn-roaming|dev_r", false, false, false, 5)
	st, opts := h.challenge(alice, c)
	for _, n := range []uint32{4, 5, 0} {
		_, err := h.authenticate(st, alice, c, c.assert(t, assertion{Counter: n, ClientDat: get(opts)}))
		refused(t, err, "webauthn_counter")
	}
	a, err := h.authenticate(st, alice, c, c.assert(t, assertion{Counter: 6, ClientDat: get(opts)}))
	require.NoError(t, err)
	assert.Equal(t, int64(6), a.Counter)
}

// SI-04
func TestSignatureCounterRegressionIsFlaggedWhereConfigured(t *testing.T) {
	var got []CounterRegression
	h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) {
		c.OnCounterRegression = func(_ context.Context, r CounterRegression) { got = append(got, r) }
	})
	c := h.enroll(alice, "webauthn-roaming|dev_r", false, false, false, 5)
	st, opts := h.challenge(alice, c)
	a, err := h.authenticate(st, alice, c, c.assert(t, assertion{Counter: 3, ClientDat: get(opts)}))
	require.NoError(t, err)
	assert.Zero(t, a.Counter, "a flagged counter is not written: the store would refuse it")
	assert.Equal(t, []CounterRegression{{Subject: alice.ID, MethodID: "webauthn-roaming|dev_r", Stored: 5, Received: 3}}, got)
	_, err = h.authenticate(st, alice, c, c.assert(t, assertion{Counter: 9, ClientDat: get(opts)}))
	require.NoError(t, err)
	assert.Len(t, got, 1, "an increasing counter is not flagged")
}

// SI-04: authenticators without a counter always send zero.
func TestZeroCounterIsAllowedAndNotWritten(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	c := h.enroll(alice, "passkey|dev_a", false, true, true, 0)
	for range 2 {
		st, opts := h.challenge(alice, c)
		a, err := h.authenticate(st, alice, c, c.assert(t, assertion{ClientDat: get(opts)}))
		require.NoError(t, err)
		assert.Zero(t, a.Counter)
		require.NoError(t, h.commitSignIn(a, "sid-"+opts.Challenge))
		h.reload(c)
	}
}

// SI-04: BE is fixed at registration.
func TestBackupEligibilityChangeIsRefused(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	synced := h.enroll(alice, "passkey|dev_s", false, true, true, 0)
	bound := h.enroll(alice, "passkey|dev_b", false, false, false, 0)
	st, opts := h.challenge(alice, synced)
	_, err := h.authenticate(st, alice, synced, synced.assert(t, assertion{Flags: flags(fUP | fUV), ClientDat: get(opts)}))
	refused(t, err, "webauthn_backup_eligible_changed")
	st, opts = h.challenge(alice, bound)
	_, err = h.authenticate(st, alice, bound, bound.assert(t, assertion{Flags: flags(fUP | fUV | fBE), ClientDat: get(opts)}))
	refused(t, err, "webauthn_backup_eligible_changed")
	_, err = h.authenticate(st, alice, bound, bound.assert(t, assertion{Flags: flags(fUP | fUV | fBS), ClientDat: get(opts)}))
	refused(t, err, "webauthn_backup_flags")
}

// SI-04: BS is recorded in credential_backed_up.
func TestBackupStateChangeIsRecorded(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	c := h.enroll(alice, "passkey|dev_a", false, true, false, 0)
	require.False(t, c.method.WebAuthn.BackedUp)
	st, opts := h.challenge(alice, c)
	a, err := h.authenticate(st, alice, c, c.assert(t, assertion{Flags: flags(fUP | fUV | fBE | fBS), ClientDat: get(opts)}))
	require.NoError(t, err)
	assert.True(t, a.Method.WebAuthn.BackedUp)
	assert.False(t, c.method.WebAuthn.BackedUp, "the caller's method is not changed in place")
	require.NoError(t, h.commitSignIn(a, "sid-1"))
	h.reload(c)
	assert.True(t, c.method.WebAuthn.BackedUp)
	j, err := json.Marshal(c.method)
	require.NoError(t, err)
	assert.Contains(t, string(j), `"credential_backed_up":true`)
}

// SI-04: a replayed assertion: its counter is no longer greater; two
// concurrent assertions with one counter: the store lets one through.
func TestReplayedAssertionIsRefused(t *testing.T) {
	h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
	c := h.enroll(alice, "webauthn-roaming|dev_r", false, false, false, 1)
	st, opts := h.challenge(alice, c)
	body := c.assert(t, assertion{Counter: 2, ClientDat: get(opts)})
	a, err := h.authenticate(st, alice, c, body)
	require.NoError(t, err)
	require.NoError(t, h.commitSignIn(a, "sid-1"))
	h.reload(c)
	_, err = h.authenticate(st, alice, c, body)
	refused(t, err, "webauthn_counter")

	// Both checks read counter 2 before either writes.
	b1 := c.assert(t, assertion{Counter: 3, ClientDat: get(opts)})
	b2 := c.assert(t, assertion{Counter: 3, ClientDat: get(opts)})
	a1, err := h.authenticate(st, alice, c, b1)
	require.NoError(t, err)
	a2, err := h.authenticate(st, alice, c, b2)
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, a := range []*verify.Confirmation{a1, a2} {
		wg.Go(func() { errs[i] = h.commitSignIn(a, "sid-c"+string(rune('0'+i))) })
	}
	wg.Wait()
	stale := 0
	for _, err := range errs {
		if err != nil {
			require.ErrorIs(t, err, store.ErrStale)
			stale++
		}
	}
	assert.Equal(t, 1, stale, "exactly one of two assertions with one counter is written")
}

// SI-01: the sealed sign-in state binds the ceremony.
func TestSignInStateIsBoundToItsCeremony(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	c := h.enroll(alice, "passkey|dev_a", false, true, true, 0)
	st, opts := h.challenge(alice, c)
	body := c.assert(t, assertion{ClientDat: get(opts)})

	expired := st
	expired.Expires = testNow.UnixMilli()
	_, err := h.authenticate(expired, alice, c, body)
	require.ErrorIs(t, err, verify.ErrExpired)

	for name, mutate := range map[string]func(*signInSealed){
		"other type":    func(s *signInSealed) { s.Type = verify.TypeWebAuthnRoaming },
		"other RP":      func(s *signInSealed) { s.RPID = "example.com" },
		"other purpose": func(s *signInSealed) { s.Purpose = "webauthn.create" },
		"zero expiry":   func(s *signInSealed) { s.Expires = 0 },
		"no uv":         func(s *signInSealed) { s.UV = "" },
		"short":         func(s *signInSealed) { s.Challenge = b64.EncodeToString(make([]byte, 15)) },
	} {
		s := st
		mutate(&s)
		_, err := h.authenticate(s, alice, c, body)
		require.ErrorIs(t, err, verify.ErrInvalidSession, name)
	}
	// A usernameless state does not serve a step-up, nor the reverse.
	_, err = h.authenticate(st, verify.Subject{}, nil, body)
	require.ErrorIs(t, err, verify.ErrInvalidSession)
	ust, _ := h.challenge(verify.Subject{}, nil)
	_, err = h.authenticate(ust, alice, c, body)
	require.ErrorIs(t, err, verify.ErrInvalidSession)

	// An enrollment's sealed state never opens as a sign-in's.
	reg, _ := h.start(alice)
	raw, err := json.Marshal(reg)
	require.NoError(t, err)
	_, err = h.e.Authenticate(context.Background(), &verify.EngineConfirm{Subject: alice, Method: c.method, Record: c.rec, State: raw,
		Request: verify.VerifyRequest{AuthnResponse: body}})
	require.ErrorIs(t, err, verify.ErrInvalidSession)
	sraw, err := json.Marshal(st)
	require.NoError(t, err)
	_, err = h.e.Confirm(context.Background(), &verify.EngineConfirm{Subject: alice, State: sraw, Request: verify.VerifyRequest{AuthnResponse: body}})
	require.ErrorIs(t, err, verify.ErrInvalidSession)
}

// WA-35, CB-*: the assertion is bounded and strictly shaped before it is
// parsed.
func TestMalformedAssertionsAreRefusedBeforeParsing(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	c := h.enroll(alice, "passkey|dev_a", false, true, true, 0)
	st, opts := h.challenge(alice, c)
	good := c.assert(t, assertion{ClientDat: get(opts)})
	edit := func(f func(m, r map[string]any)) jsontext.Value {
		var m map[string]any
		require.NoError(t, json.Unmarshal(good, &m))
		f(m, m["response"].(map[string]any))
		return mustJSON(t, m)
	}
	for field, body := range map[string]jsontext.Value{
		"authn_response":                            jsontext.Value(strings.Repeat(" ", 20000) + "{}"),
		"authn_response.response.signature":         edit(func(_, r map[string]any) { delete(r, "signature") }),
		"authn_response.response.authenticatorData": edit(func(_, r map[string]any) { r["authenticatorData"] = strings.Repeat("A", 2001) }),
		"authn_response.response.clientDataJSON":    edit(func(_, r map[string]any) { r["clientDataJSON"] = "not+base64" }),
		"authn_response.response.userHandle":        edit(func(_, r map[string]any) { r["userHandle"] = strings.Repeat("A", 87) }),
		"authn_response.id":                         edit(func(m, _ map[string]any) { m["id"] = "AAAA" }),
		"authn_response.type":                       edit(func(m, _ map[string]any) { m["type"] = "password" }),
		"authn_response.authenticatorAttachment":    edit(func(m, _ map[string]any) { m["authenticatorAttachment"] = "usb" }),
		"authn_response.clientExtensionResults":     edit(func(m, _ map[string]any) { m["clientExtensionResults"] = []int{1} }),
	} {
		_, err := h.authenticate(st, alice, c, body)
		malformed(t, err, field)
	}
	for name, body := range map[string]jsontext.Value{
		"unknown member":          edit(func(m, _ map[string]any) { m["extra"] = 1 }),
		"unknown response member": edit(func(_, r map[string]any) { r["attestationObject"] = "AAAA" }),
		"duplicate member":        jsontext.Value(strings.Replace(string(good), `"type":"public-key"`, `"type":"public-key","type":"public-key"`, 1)),
		"not an object":           jsontext.Value(`[]`),
		"trailing":                jsontext.Value(string(good) + "{}"),
	} {
		_, err := h.authenticate(st, alice, c, body)
		malformed(t, err, "authn_response")
		_ = name
	}
	// The authenticator data: short, AT set, extensions not one bounded
	// CBOR item.
	withAuthData := func(ad []byte) jsontext.Value {
		return edit(func(_, r map[string]any) { r["authenticatorData"] = b64.EncodeToString(ad) })
	}
	ad := c.authData(assertion{})
	_, err := h.authenticate(st, alice, c, withAuthData(ad[:36]))
	refused(t, err, "webauthn_auth_data")
	at := append([]byte(nil), ad...)
	at[32] |= flagAT
	_, err = h.authenticate(st, alice, c, withAuthData(at))
	refused(t, err, "webauthn_auth_data")
	for _, ext := range [][]byte{{0xBF, 0xFF}, {0xA1, 0x61, 0x61, 0x01, 0x00}, {0xC1, 0x00}} {
		_, err = h.authenticate(st, alice, c, c.assert(t, assertion{Ext: ext, ClientDat: get(opts)}))
		refused(t, err, "webauthn_auth_data")
	}
	// A null member is absent: toJSON() and other clients write nulls.
	_, err = h.authenticate(st, alice, c, edit(func(m, r map[string]any) {
		m["authenticatorAttachment"], m["clientExtensionResults"] = nil, nil
	}))
	require.NoError(t, err)
	// A UTF-8 BOM is stripped for parsing and kept in the signed bytes.
	bom := append([]byte{0xEF, 0xBB, 0xBF}, get(opts).bytes()...)
	_, err = h.authenticate(st, alice, c, c.assert(t, assertion{ClientDat: clientData{Raw: bom}}))
	require.NoError(t, err)
}

// Extension outputs nobody requested (nothing is requested at sign-in):
// well-formed authenticator outputs and client outputs are ignored by
// default; unsolicited client outputs are refused with
// Config.RejectUnsolicitedExtensions.
func TestUnsolicitedExtensionsAtSignIn(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	c := h.enroll(alice, "passkey|dev_a", false, true, true, 0)
	st, opts := h.challenge(alice, c)
	ext, err := ctap2.Marshal(map[string]any{"credProtect": 2})
	require.NoError(t, err)
	_, err = h.authenticate(st, alice, c, c.assert(t, assertion{Ext: ext, ClientDat: get(opts)}))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(c.assert(t, assertion{ClientDat: get(opts)}), &m))
	m["clientExtensionResults"] = map[string]any{"appid": true}
	body := mustJSON(t, m)
	_, err = h.authenticate(st, alice, c, body)
	require.NoError(t, err)
	strict := newHarness(t, verify.TypePasskey, func(c *Config) { c.RejectUnsolicitedExtensions = true })
	sc := strict.enroll(alice, "passkey|dev_s", false, true, true, 0)
	st, opts = strict.challenge(alice, sc)
	require.NoError(t, json.Unmarshal(sc.assert(t, assertion{ClientDat: get(opts)}), &m))
	m["clientExtensionResults"] = map[string]any{"appid": true}
	_, err = strict.authenticate(st, alice, sc, mustJSON(t, m))
	refused(t, err, "webauthn_extensions")
}

// w3cAssertion is one §16 authentication vector
// (testdata/w3c-authentication-vectors.json).
type w3cAssertion struct {
	Name              string `json:"name"`
	Section           string `json:"section"`
	AuthenticatorData string `json:"authenticatorData"`
	ClientDataJSON    string `json:"clientDataJSON"`
	Signature         string `json:"signature"`
	CredentialID      string `json:"credentialID"`
	Challenge         string `json:"challenge"`
	CredentialPubKey  string `json:"credentialPubKey"`
	AllowCrossOrigin  bool   `json:"allowCrossOrigin"`
}

// SI-02: the known-answer assertions of WebAuthn L3 §16, each a sign-in
// with the credential of its registration vector.
func TestW3CAuthenticationVectorsSignIn(t *testing.T) {
	raw, err := os.ReadFile("testdata/w3c-authentication-vectors.json")
	require.NoError(t, err)
	var doc struct {
		TopOrigin  string         `json:"topOrigin"`
		Assertions []w3cAssertion `json:"assertions"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Len(t, doc.Assertions, 14)
	for _, v := range doc.Assertions {
		t.Run(v.Name, func(t *testing.T) {
			h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) {
				c.UserVerification = UVPreferred
				if v.AllowCrossOrigin {
					c.AllowCrossOrigin, c.TopOrigins = true, []string{doc.TopOrigin}
				}
			})
			ad := unhex(t, v.AuthenticatorData)
			id := unhex(t, v.CredentialID)
			m := verify.Method{ID: "webauthn-roaming|dev_v", Type: verify.TypeWebAuthnRoaming, Subject: alice.ID, Confirmed: true, CreatedAt: testNow,
				WebAuthn: &verify.WebAuthnCredential{CredentialID: id, PublicKey: unhex(t, v.CredentialPubKey), RelyingPartyID: testRPID,
					BackupEligible: ad[32]&fBE != 0, BackedUp: ad[32]&fBS != 0, UserHandle: []byte("vector")}}
			rec, err := m.Record()
			require.NoError(t, err)
			rec.CredentialID = id
			require.NoError(t, h.store.Commit(context.Background(), storeCommit(m.ID, rec)))
			c := &credential{id: id}
			h.reload(c0(c, rec))
			st, _ := h.challenge(alice, c)
			st.Challenge = b64.EncodeToString(unhex(t, v.Challenge))
			body := mustJSON(t, map[string]any{
				"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
				"response": map[string]any{"authenticatorData": b64.EncodeToString(ad), "clientDataJSON": b64.EncodeToString(unhex(t, v.ClientDataJSON)),
					"signature": b64.EncodeToString(unhex(t, v.Signature))},
				"clientExtensionResults": map[string]any{},
			})
			a, err := h.authenticate(st, alice, c, body)
			require.NoError(t, err, v.Section)
			assert.Equal(t, m.ID, a.Record.ID)
			// The same vector with one byte of its signed data changed fails.
			ad[len(ad)-1] ^= 1
			var w map[string]any
			require.NoError(t, json.Unmarshal(body, &w))
			w["response"].(map[string]any)["authenticatorData"] = b64.EncodeToString(ad)
			_, err = h.authenticate(st, alice, c, mustJSON(t, w))
			require.Error(t, err)
		})
	}
}

// c0 seeds a credential with a record to reload from.
func c0(c *credential, rec store.Method) *credential {
	c.rec = rec
	return c
}

// harnessStore is one memory store shared by engines of several types.
type harnessStore struct{ h *harness }

func newHarnessStore(t testing.TB) (*harnessStore, error) {
	return &harnessStore{h: newHarness(t, verify.TypePasskey, nil)}, nil
}

func (s *harnessStore) with(t testing.TB, typ verify.Type) *harness {
	e, err := New(typ, s.h.store, s.h.cfg)
	require.NoError(t, err)
	return &harness{t: t, e: e, store: s.h.store, cfg: s.h.cfg}
}

// A store failure is an outage, never a bad proof.
func TestStoreFailureAtUsernamelessLookupIsNotAProofError(t *testing.T) {
	h := newHarness(t, verify.TypePasskey, nil)
	c := h.enroll(alice, "passkey|dev_a", false, true, true, 0)
	boom := errors.New("boom")
	e, err := New(verify.TypePasskey, failingLookup{h.store, boom}, h.cfg)
	require.NoError(t, err)
	h2 := &harness{t: t, e: e, store: h.store, cfg: h.cfg}
	st, opts := h2.challenge(verify.Subject{}, nil)
	_, err = h2.authenticate(st, verify.Subject{}, nil, c.assert(t, assertion{ClientDat: get(opts)}))
	require.ErrorIs(t, err, boom)
	assert.Nil(t, verify.Kind(err))
}

type failingLookup struct {
	store.Methods
	err error
}

func (f failingLookup) ByCredentialID(context.Context, []byte) (store.Method, error) {
	return store.Method{}, f.err
}

var _ = sha256.Sum256
