package passkey

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/metadata"
	"github.com/go-webauthn/webauthn/metadata/providers/memory"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/google/go-tpm/tpm2"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/sqlstore"
	"github.com/verifykit/verifykit/verify"
)

type uuidT = uuid.UUID

func uuidOf(t testing.TB, b []byte) uuid.UUID {
	t.Helper()
	u, err := uuid.FromBytes(b)
	require.NoError(t, err)
	return u
}

// editAttObj decodes the attestation object of an authn_response, lets f
// edit it and returns the response re-encoded.
func editAttObj(t testing.TB, body json.RawMessage, f func(o map[string]any)) json.RawMessage {
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
func flipSignatureBit(t testing.TB, body json.RawMessage) json.RawMessage {
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

func checklistPart2(t *testing.T, n *vnone) {
	t.Run("WA-24", func(t *testing.T) {
		// The 1023-byte §16 vector registers (WA-01). 1024 bytes: the rawId
		// is over the spec's 1364 characters and is refused before parsing;
		// with a short rawId, go-webauthn refuses the authData's length.
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
	})

	t.Run("WA-25", func(t *testing.T) {
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
	})

	t.Run("WA-26", func(t *testing.T) {
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
	})

	t.Run("WA-27", func(t *testing.T) {
		ext := func(v any) json.RawMessage {
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
	})

	t.Run("WA-28", func(t *testing.T) { serviceCrossUser(t) })

	t.Run("WA-29", func(t *testing.T) {
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
	})

	t.Run("WA-30", func(t *testing.T) {
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
	})

	t.Run("WA-31", func(t *testing.T) {
		// Pinned: the client-reported attachment is not used and not
		// recorded; the type's policy decides.
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
	})

	t.Run("WA-32", func(t *testing.T) {
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
	})

	t.Run("WA-33", func(t *testing.T) {
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
	})

	t.Run("WA-34", func(t *testing.T) {
		c, err := fresh(t, registration{Counter: 0x01020304}, nil)
		require.NoError(t, err)
		assert.Equal(t, uint32(0x01020304), c.Method.WebAuthn.SignCount)
		assert.Equal(t, int64(0x01020304), c.Counter)
	})

	t.Run("WA-35", func(t *testing.T) {
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
	})

	afChecks(t, n)
	cbChecks(t, n)
}

func afChecks(t *testing.T, n *vnone) {
	t.Run("AF-01", func(t *testing.T) {
		_, err := n.confirm(t, n.body(t, nil, n.attObj(t, nil, map[string]any{"alg": -7, "sig": []byte{1}, "x5c": []any{[]byte{2}}}, nil)), nil)
		refused(t, err, "webauthn_attestation")
	})

	t.Run("AF-02", func(t *testing.T) {
		_, err := fresh(t, registration{Format: "packed-self", Alg: -257}, nil)
		refused(t, err, "webauthn_attestation")
		doc := loadGenerated(t)
		g := doc.get(t, "packed-self-es256")
		c, err := b64.DecodeString(g.Challenge)
		require.NoError(t, err)
		h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
		_, err = h.confirm(h.stateFor(c), alice, flipSignatureBit(t, g.Response))
		refused(t, err, "webauthn_attestation")
		// r = s = 0 (CVE-2022-21449).
		zero := editAttObj(t, g.Response, func(o map[string]any) {
			o["attStmt"].(map[any]any)["sig"] = []byte{0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00}
		})
		_, err = h.confirm(h.stateFor(c), alice, zero)
		refused(t, err, "webauthn_attestation")
	})

	t.Run("AF-03", func(t *testing.T) {
		// A self signature with an unrelated x5c is full attestation and
		// verifies against the certificate's key: refused.
		a := newTestAuthenticator(t)
		ca := newAttCA(t, nil, nil)
		h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
		st, opts := h.start(alice)
		r := registration{RPID: testRPID, Format: "packed-self", ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}}
		body := editAttObj(t, a.register(t, r), func(o map[string]any) { o["attStmt"].(map[any]any)["x5c"] = []any{ca.leafDER} })
		_, err := h.confirm(st, alice, body)
		refused(t, err, "webauthn_attestation")
	})

	t.Run("AF-04", func(t *testing.T) {
		ca := newAttCA(t, nil, nil)
		for name, stmt := range map[string]map[string]any{
			"empty":       {},
			"alg missing": {"sig": []byte{1}, "x5c": []any{ca.leafDER}},
			"alg text":    {"alg": "ES256", "sig": []byte{1}, "x5c": []any{ca.leafDER}},
			"sig missing": {"alg": -7, "x5c": []any{ca.leafDER}},
			"sig empty":   {"alg": -7, "sig": []byte{}, "x5c": []any{ca.leafDER}},
			"x5c map":     {"alg": -7, "sig": []byte{1}, "x5c": map[string]any{}},
			"x5c empty":   {"alg": -7, "sig": []byte{1}, "x5c": []any{}},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := fresh(t, registration{Format: "packed", CA: ca, AttStmt: stmt}, nil)
				require.ErrorIs(t, err, verify.ErrInvalidProof)
			})
		}
	})

	t.Run("AF-05", func(t *testing.T) {
		for name, ca := range map[string]*attCA{
			"AAGUID extension mismatch": newAttCA(t, bytes.Repeat([]byte{9}, 16), nil),
			"CA:TRUE":                   newAttCA(t, nil, func(c *x509.Certificate) { c.IsCA = true }),
			"OU not Authenticator Attestation": newAttCA(t, nil, func(c *x509.Certificate) {
				c.Subject.OrganizationalUnit = []string{"Something Else"}
			}),
		} {
			t.Run(name, func(t *testing.T) {
				_, err := fresh(t, registration{Format: "packed", CA: ca}, nil)
				refused(t, err, "webauthn_attestation")
			})
		}
	})

	t.Run("AF-06", func(t *testing.T) {
		// go-webauthn checks the leaf's validity against the system clock,
		// so these certificates are dated around it.
		now := time.Now()
		for name, f := range map[string]func(*x509.Certificate){
			"expired":       func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(-48*time.Hour), now.Add(-time.Hour) },
			"not yet valid": func(c *x509.Certificate) { c.NotBefore, c.NotAfter = now.Add(time.Hour), now.Add(48*time.Hour) },
		} {
			t.Run(name, func(t *testing.T) {
				_, err := fresh(t, registration{Format: "packed", CA: newAttCA(t, nil, f)}, nil)
				refused(t, err, "webauthn_attestation")
			})
		}
		ca := newAttCA(t, nil, nil)
		t.Run("x5c reversed", func(t *testing.T) {
			a := newTestAuthenticator(t)
			h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
			st, opts := h.start(alice)
			r := registration{RPID: testRPID, Format: "packed", CA: ca, ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}}
			body := editAttObj(t, a.register(t, r), func(o map[string]any) { o["attStmt"].(map[any]any)["x5c"] = []any{ca.rootDER, ca.leafDER} })
			_, err := h.confirm(st, alice, body)
			refused(t, err, "webauthn_attestation")
		})
		t.Run("signed by the credential key", func(t *testing.T) {
			a := newTestAuthenticator(t)
			h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
			st, opts := h.start(alice)
			r := registration{RPID: testRPID, Format: "packed-self", ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}}
			body := editAttObj(t, a.register(t, r), func(o map[string]any) { o["attStmt"].(map[any]any)["x5c"] = []any{ca.leafDER} })
			_, err := h.confirm(st, alice, body)
			refused(t, err, "webauthn_attestation")
		})
		t.Run("expired intermediate", func(t *testing.T) {
			chain := newChain(t, now.Add(-48*time.Hour), now.Add(-time.Hour))
			a := newTestAuthenticator(t)
			h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) {
				c.Trust = TrustPolicy{Metadata: chainMetadata(t, a, chain.root), RequireTrustedAttestation: true}
			})
			st, opts := h.start(alice)
			body := a.register(t, registration{RPID: testRPID, Format: "packed", CA: chain.attCA,
				AttStmt: nil, ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}})
			body = editAttObj(t, body, func(o map[string]any) {
				o["attStmt"].(map[any]any)["x5c"] = []any{chain.attCA.leafDER, chain.intermediate}
			})
			_, err := h.confirm(st, alice, body)
			require.ErrorIs(t, err, verify.ErrInvalidProof)
			assert.Contains(t, []string{"webauthn_metadata", "webauthn_attestation"}, verify.ReasonOf(err))
			// The same chain with a valid intermediate is trusted.
			good := newChain(t, now.Add(-48*time.Hour), now.Add(48*time.Hour))
			b := newTestAuthenticator(t)
			h = newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) {
				c.Trust = TrustPolicy{Metadata: chainMetadata(t, b, good.root), RequireTrustedAttestation: true}
			})
			st, opts = h.start(alice)
			body = b.register(t, registration{RPID: testRPID, Format: "packed", CA: good.attCA, ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}})
			body = editAttObj(t, body, func(o map[string]any) {
				o["attStmt"].(map[any]any)["x5c"] = []any{good.attCA.leafDER, good.intermediate}
			})
			_, err = h.confirm(st, alice, body)
			require.NoError(t, err)
		})
	})

	t.Run("AF-07", func(t *testing.T) {
		for name, m := range map[string]*tpmMutation{
			"magic":     {certInfo: func(c *tpm2.TPMSAttest) { c.Magic = 0x12345678 }},
			"extraData": {certInfo: func(c *tpm2.TPMSAttest) { c.ExtraData.Buffer[0] ^= 1 }},
			"pubArea.unique": {pub: func(p *tpm2.TPMTPublic) {
				pt, _ := p.Unique.ECC()
				pt.X.Buffer[0] ^= 1
			}},
			"ver 1.2":      {stmt: func(s map[string]any) { s["ver"] = "1.2" }},
			"x5c reversed": {stmt: func(s map[string]any) { x := s["x5c"].([]any); s["x5c"] = []any{x[1], x[0]} }},
			"unknown alg":  {stmt: func(s map[string]any) { s["alg"] = int64(-65000) }},
		} {
			t.Run(name, func(t *testing.T) {
				a := newTestAuthenticator(t)
				h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
				st, opts := h.start(alice)
				body, _ := tpmRegistration(t, a, clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}, m)
				_, err := h.confirm(st, alice, body)
				refused(t, err, "webauthn_attestation")
			})
		}
	})

	t.Run("AF-08", func(t *testing.T) {
		for name, m := range map[string]*tpmMutation{
			"non-empty subject":       {aik: func(c *x509.Certificate) { c.Subject = pkix.Name{CommonName: "aik"} }},
			"test vendor id:FFFFF1D0": {manufacturer: "FFFFF1D0"},
			"unknown manufacturer":    {manufacturer: "00000000"},
			"AAGUID extension mismatch": {aik: func(c *x509.Certificate) {
				v, _ := asn1.Marshal(bytes.Repeat([]byte{9}, 16))
				c.ExtraExtensions = append(c.ExtraExtensions, pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 45724, 1, 1, 4}, Value: v})
			}},
			"CA:TRUE":    {aik: func(c *x509.Certificate) { c.IsCA = true }},
			"no AIK EKU": {aik: func(c *x509.Certificate) { c.ExtraExtensions = c.ExtraExtensions[:1] }},
		} {
			t.Run(name, func(t *testing.T) {
				a := newTestAuthenticator(t)
				h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
				st, opts := h.start(alice)
				body, _ := tpmRegistration(t, a, clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}, m)
				_, err := h.confirm(st, alice, body)
				refused(t, err, "webauthn_attestation")
			})
		}
	})

	regs := loadReal(t)
	t.Run("AF-09", func(t *testing.T) {
		// Android Key certificates chain to Google's roots; nothing can be
		// minted here. The real Pixel registration registers
		// (TestGoWebAuthnRegistrations); its mutations are refused. The
		// AuthorizationList rules (allApplications, origin, purpose) are
		// go-webauthn's and covered by its own tests.
		r := regs["androidKeyTestResponse2"]
		challenge, origin, rpID, pcc := r.ceremony(t)
		h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) {
			c.RPID, c.Origins, c.MaxAttestationObject = rpID, []string{origin}, maxMaxAttestationObject
		})
		_, err := h.confirm(h.stateFor(challenge), alice, r.Response)
		require.NoError(t, err)
		for name, body := range map[string]json.RawMessage{
			"x5c reversed": editAttObj(t, r.Response, func(o map[string]any) {
				x := o["attStmt"].(map[any]any)["x5c"].([]any)
				o["attStmt"].(map[any]any)["x5c"] = append([]any{x[1], x[0]}, x[2:]...)
			}),
			"credential key is not the leaf key": editAttObj(t, r.Response, func(o map[string]any) {
				ad := bytes.Clone(o["authData"].([]byte))
				copy(ad[len(ad)-77:], newTestAuthenticator(t).coseKey())
				o["authData"] = ad
			}),
			"signature": flipSignatureBit(t, r.Response),
		} {
			t.Run(name, func(t *testing.T) {
				_, err := h.confirm(h.stateFor(challenge), alice, body)
				require.ErrorIs(t, err, verify.ErrInvalidProof)
			})
		}
		_ = pcc
	})

	t.Run("AF-10", func(t *testing.T) {
		// SafetyNet is off by default (TestGoWebAuthnRegistrations pins both
		// verdicts); a JWS signed under Google's WebPKI chain cannot be minted
		// here, so ctsProfileMatch and timestamp are go-webauthn's tests.
		_, err := n.confirm(t, n.body(t, nil, n.attObj(t, "android-safetynet", map[string]any{"ver": "1", "response": []byte("x")}, nil)), nil)
		refused(t, err, "webauthn_format")
		_, err = n.confirm(t, n.body(t, nil, n.attObj(t, "android-safetynet", map[string]any{"ver": "1", "response": []byte("x.y.z")}, nil)),
			func(c *Config) { c.Formats = knownFormats })
		refused(t, err, "webauthn_attestation")
	})

	t.Run("AF-11", func(t *testing.T) {
		ca := newAttCA(t, nil, nil)
		nonzero := bytes.Repeat([]byte{1}, 16)
		_, err := fresh(t, registration{Format: "fido-u2f", CA: ca, AAGUID: &nonzero}, nil)
		refused(t, err, "webauthn_attestation")
		a := newTestAuthenticator(t)
		h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
		st, opts := h.start(alice)
		r := registration{RPID: testRPID, Format: "fido-u2f", CA: ca, ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}}
		body := a.register(t, r)
		_, err = h.confirm(st, alice, editAttObj(t, body, func(o map[string]any) {
			o["attStmt"].(map[any]any)["x5c"] = []any{ca.leafDER, ca.rootDER}
		}))
		refused(t, err, "webauthn_attestation")
		_, err = h.confirm(st, alice, flipSignatureBit(t, body))
		refused(t, err, "webauthn_attestation")
		_, err = h.confirm(st, alice, body)
		require.NoError(t, err)
		// A P-384 credential key.
		k384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		require.NoError(t, err)
		key, err := ctap2.Marshal(map[int]any{1: 2, 3: -35, -1: 2, -2: k384.X.FillBytes(make([]byte, 48)), -3: k384.Y.FillBytes(make([]byte, 48))})
		require.NoError(t, err)
		_, err = fresh(t, registration{Format: "fido-u2f", CA: ca, COSEKey: key}, func(c *Config) { c.Algorithms = []int64{AlgES256, AlgES384} })
		refused(t, err, "webauthn_attestation")
	})

	t.Run("AF-12", func(t *testing.T) {
		r := regs["appleTestResponse"]
		challenge, origin, rpID, pcc := r.ceremony(t)
		body := fixCredentialID(r.Response, pcc)
		h := newHarness(t, verify.TypeWebAuthnPlatform, func(c *Config) {
			c.RPID, c.Origins, c.MaxAttestationObject = rpID, []string{origin}, maxMaxAttestationObject
		})
		_, err := h.confirm(h.stateFor(challenge), alice, body)
		require.NoError(t, err)
		for name, f := range map[string]func(ad []byte){
			"flags":          func(ad []byte) { ad[32] ^= 0x08 },
			"credential key": func(ad []byte) { copy(ad[len(ad)-77:], newTestAuthenticator(t).coseKey()) },
		} {
			t.Run(name, func(t *testing.T) {
				mut := editAttObj(t, body, func(o map[string]any) {
					ad := bytes.Clone(o["authData"].([]byte))
					f(ad)
					o["authData"] = ad
				})
				_, err := h.confirm(h.stateFor(challenge), alice, mut)
				refused(t, err, "webauthn_attestation")
			})
		}
	})

	t.Run("AF-13", func(t *testing.T) {
		// Compound (§8.9) is not offered: refused as an unknown format
		// (WA-21); an array attStmt is refused for every other format.
		_, err := n.confirm(t, n.body(t, nil, n.attObj(t, "compound", []any{map[string]any{"fmt": "none", "attStmt": map[string]any{}}}, nil)), nil)
		require.ErrorIs(t, err, verify.ErrInvalidProof)
		_, err = n.confirm(t, n.body(t, nil, n.attObj(t, "packed", []any{map[string]any{"alg": -7}}, nil)), nil)
		refused(t, err, "webauthn_parse")
	})

	t.Run("AF-14", func(t *testing.T) { runMetadataBlob(t) })

	t.Run("AF-15", func(t *testing.T) {
		// Pinned: DER only (go-webauthn's default SignaturePolicy): a BER
		// signature with a padded integer is refused; the high-S twin of a
		// valid signature is valid DER and ECDSA, and accepted — attestation
		// signatures are not assumed unique.
		a := newTestAuthenticator(t)
		h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
		st, opts := h.start(alice)
		body := a.register(t, registration{RPID: testRPID, Format: "packed-self", ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}})
		var sig struct{ R, S *big.Int }
		body2 := editAttObj(t, body, func(o map[string]any) {
			_, err := asn1.Unmarshal(o["attStmt"].(map[any]any)["sig"].([]byte), &sig)
			require.NoError(t, err)
		})
		_ = body2
		ber := berSig(sig.R, sig.S)
		_, err := h.confirm(st, alice, editAttObj(t, body, func(o map[string]any) { o["attStmt"].(map[any]any)["sig"] = ber }))
		refused(t, err, "webauthn_attestation")
		highS, err := asn1.Marshal(struct{ R, S *big.Int }{sig.R, new(big.Int).Sub(elliptic.P256().Params().N, sig.S)})
		require.NoError(t, err)
		_, err = h.confirm(st, alice, editAttObj(t, body, func(o map[string]any) { o["attStmt"].(map[any]any)["sig"] = highS }))
		require.NoError(t, err)
	})
}

// berSig encodes (r, s) with a superfluous leading zero byte on r: valid
// BER, not DER.
func berSig(r, s *big.Int) []byte {
	rb := append([]byte{0, 0}, r.Bytes()...)
	if r.Bytes()[0] < 0x80 {
		rb = rb[1:]
		rb = append([]byte{0}, rb...)
	}
	sb, _ := asn1.Marshal(s)
	ri := append([]byte{0x02, byte(len(rb))}, rb...)
	body := append(ri, sb...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// chain is root → intermediate → leaf, the intermediate valid in [nb, na].
type chain struct {
	root         *x509.Certificate
	intermediate []byte
	attCA        *attCA
}

func newChain(t testing.TB, nb, na time.Time) *chain {
	t.Helper()
	root := newAttCA(t, nil, nil)
	ik, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	itmpl := &x509.Certificate{SerialNumber: big.NewInt(3), NotBefore: nb, NotAfter: na, IsCA: true, BasicConstraintsValid: true,
		Subject: pkix.Name{CommonName: "verifykit test intermediate"}, KeyUsage: x509.KeyUsageCertSign}
	iDER, err := x509.CreateCertificate(rand.Reader, itmpl, root.root, &ik.PublicKey, root.rootKey)
	require.NoError(t, err)
	icert, err := x509.ParseCertificate(iDER)
	require.NoError(t, err)
	lk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ltmpl := &x509.Certificate{SerialNumber: big.NewInt(4), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), BasicConstraintsValid: true,
		Subject:  pkix.Name{CommonName: "leaf", Organization: []string{"verifykit"}, OrganizationalUnit: []string{"Authenticator Attestation"}, Country: []string{"AA"}},
		KeyUsage: x509.KeyUsageDigitalSignature}
	lDER, err := x509.CreateCertificate(rand.Reader, ltmpl, icert, &lk.PublicKey, ik)
	require.NoError(t, err)
	return &chain{root: root.root, intermediate: iDER, attCA: &attCA{leafKey: lk, leafDER: lDER, rootDER: root.rootDER, root: root.root}}
}

// chainMetadata trusts root for a's AAGUID.
func chainMetadata(t testing.TB, a *testAuthenticator, root *x509.Certificate) metadata.Provider {
	t.Helper()
	id := uuidOf(t, a.aaguid[:])
	p, err := memory.New(memory.WithMetadata(map[uuid.UUID]*metadata.Entry{id: {
		AaGUID: id,
		MetadataStatement: metadata.Statement{AaGUID: id, AttestationTypes: metadata.AuthenticatorAttestationTypes{metadata.BasicFull},
			AttestationRootCertificates: []*x509.Certificate{root}},
		StatusReports: []metadata.StatusReport{{Status: metadata.FidoCertified}},
	}}), memory.WithValidateEntry(false), memory.WithValidateTrustAnchor(true), memory.WithValidateStatus(true))
	require.NoError(t, err)
	return p
}

func cbChecks(t *testing.T, n *vnone) {
	vnoneObj := unhex(t, n.r.AttestationObject)

	t.Run("CB-01", func(t *testing.T) {
		assert.Equal(t, cbor.DecOptions{
			DupMapKey: cbor.DupMapKeyEnforcedAPF, IndefLength: cbor.IndefLengthForbidden, TagsMd: cbor.TagsForbidden,
			MaxNestedLevels: 4, MaxArrayElements: 16, MaxMapPairs: 16,
		}, cborLimits)
		got := cborMode.DecOptions()
		assert.Equal(t, cbor.DupMapKeyEnforcedAPF, got.DupMapKey)
		assert.Equal(t, cbor.IndefLengthForbidden, got.IndefLength)
		assert.Equal(t, cbor.TagsForbidden, got.TagsMd)
		assert.Equal(t, 4, got.MaxNestedLevels)
		assert.Equal(t, 16, got.MaxArrayElements)
		assert.Equal(t, 16, got.MaxMapPairs)
		// No CBOR decoding outside the bounded modes: this package's code
		// never calls the package-level cbor.Unmarshal.
		files, err := filepath.Glob("*.go")
		require.NoError(t, err)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			assert.NotRegexp(t, `(^|[^A-Za-z0-9_])cbor\.Unmarshal(First)?\(`, string(b), f)
		}
	})

	t.Run("CB-02", func(t *testing.T) {
		dup := []byte{0xa4, 0x63, 'f', 'm', 't', 0x64, 'n', 'o', 'n', 'e', 0x63, 'f', 'm', 't', 0x66, 'p', 'a', 'c', 'k', 'e', 'd'}
		rest := vnoneObj[1+4+5:] // after the map header, "fmt" and "none"
		obj := append(dup, rest...)
		_, err := n.confirm(t, n.body(t, nil, obj), nil)
		refused(t, err, "webauthn_parse") // go-webauthn's decoder
		// go-webauthn's decoder (webauthncbor, DupMapKeyEnforcedAPF).
		var v map[string]any
		require.Error(t, webauthncbor.Unmarshal(obj, &v))
		// A COSE key with two x (-2) entries.
		a := newTestAuthenticator(t)
		key := a.coseKey()
		require.Equal(t, byte(0xa5), key[0])
		dupKey := append([]byte{0xa6}, key[1:]...)
		dupKey = append(dupKey, 0x21, 0x58, 0x20)
		dupKey = append(dupKey, bytes.Repeat([]byte{1}, 32)...)
		_, err = fresh(t, registration{COSEKey: dupKey}, nil)
		require.ErrorIs(t, err, verify.ErrInvalidProof)
	})

	t.Run("CB-03", func(t *testing.T) {
		obj := append([]byte{0xbf}, vnoneObj[1:]...)
		obj = append(obj, 0xff)
		_, err := n.confirm(t, n.body(t, nil, obj), nil)
		refused(t, err, "webauthn_cbor")
		_, err = n.confirm(t, n.body(t, nil, []byte{0xBF, 0x63, 0x66, 0x6D, 0x74, 0x64, 0x6E, 0x6F, 0x6E, 0x65, 0xFF}), nil)
		refused(t, err, "webauthn_cbor")
	})

	t.Run("CB-04", func(t *testing.T) {
		i := bytes.Index(vnoneObj, []byte("authData")) + len("authData")
		tagged := append(append(bytes.Clone(vnoneObj[:i]), 0xd8, 0x18), vnoneObj[i:]...)
		_, err := n.confirm(t, n.body(t, nil, tagged), nil)
		refused(t, err, "webauthn_cbor")
	})

	t.Run("CB-05", func(t *testing.T) {
		deep := append(bytes.Repeat([]byte{0x81}, 10000), 0x00)
		obj, err := ctap2.Marshal(map[string]any{"fmt": "none", "attStmt": cbor.RawMessage(deep), "authData": n.authData})
		require.NoError(t, err)
		_, err = n.confirm(t, n.body(t, nil, obj), func(c *Config) { c.MaxAttestationObject = 20000 })
		refused(t, err, "webauthn_cbor")
		require.Error(t, checkAttestationObject(deep))
	})

	t.Run("CB-06", func(t *testing.T) {
		bomb := []byte{0x9B, 0x00, 0x00, 0x42, 0xFA, 0x42, 0xFA, 0x42, 0xFA, 0x42}
		for name, obj := range map[string][]byte{
			"as attStmt":  append(append([]byte{0xa3, 0x63, 'f', 'm', 't', 0x64, 'n', 'o', 'n', 'e', 0x67, 'a', 't', 't', 'S', 't', 'm', 't'}, bomb...), vnoneObj[len(vnoneObj)-len(n.authData)-11:]...),
			"as authData": append(bytes.Clone(vnoneObj[:len(vnoneObj)-len(n.authData)-2]), bomb...),
			"alone":       bomb,
		} {
			t.Run(name, func(t *testing.T) {
				_, err := n.confirm(t, n.body(t, nil, obj), nil)
				refused(t, err, "webauthn_cbor")
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for range 100 {
					_ = checkAttestationObject(obj)
				}
				runtime.ReadMemStats(&after)
				assert.Less(t, (after.TotalAlloc-before.TotalAlloc)/100, uint64(1024))
			})
		}
	})

	t.Run("CB-07", func(t *testing.T) {
		for _, tail := range [][]byte{{0x00}, {0xa0}} {
			obj := append(bytes.Clone(vnoneObj), tail...)
			_, err := n.confirm(t, n.body(t, nil, obj), nil)
			refused(t, err, "webauthn_cbor")
			// go-webauthn's parser refuses it on its own too.
			_, err = protocol.ParseCredentialCreationResponseBytes(n.body(t, nil, obj))
			require.Error(t, err)
		}
	})

	t.Run("CB-08", func(t *testing.T) {
		_, err := n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, append(bytes.Clone(n.authData), 0x00))), nil)
		refused(t, err, "webauthn_parse")
		ad := bytes.Clone(n.authData)
		ad[53], ad[54] = 0x03, 0xff // credentialIdLength 1023 > the bytes left
		_, err = n.confirm(t, n.body(t, nil, n.attObj(t, nil, nil, ad)), nil)
		refused(t, err, "webauthn_parse")
	})

	t.Run("CB-09", func(t *testing.T) {
		a := newTestAuthenticator(t)
		key, err := ctap2.Marshal(map[int]any{1: 2, 3: -7, -1: "P-256", -2: a.key.X.FillBytes(make([]byte, 32)), -3: a.key.Y.FillBytes(make([]byte, 32))})
		require.NoError(t, err)
		_, err = fresh(t, registration{COSEKey: key}, nil)
		require.ErrorIs(t, err, verify.ErrInvalidProof)
		key, err = ctap2.Marshal(map[int]any{1: "EC2", 3: -7, -1: 1, -2: a.key.X.FillBytes(make([]byte, 32)), -3: a.key.Y.FillBytes(make([]byte, 32))})
		require.NoError(t, err)
		_, err = fresh(t, registration{COSEKey: key}, nil)
		require.ErrorIs(t, err, verify.ErrInvalidProof)
	})

	t.Run("CB-10", func(t *testing.T) {
		bigCD := append(bytes.Clone(n.cdj[:len(n.cdj)-1]), []byte(`,"pad":"`+strings.Repeat("x", 64<<10)+`"}`)...)
		_, err := n.confirm(t, n.body(t, bigCD, nil), nil)
		malformed(t, err, "authn_response") // over the whole response's bound
		bigObj := append(bytes.Clone(vnoneObj), make([]byte, 256<<10)...)
		_, err = n.confirm(t, n.body(t, nil, bigObj), nil)
		malformed(t, err, "authn_response")
		// Each field's own cap: 1001 characters of clientDataJSON, 2001 of
		// attestationObject.
		_, err = n.confirm(t, n.body(t, append(bytes.Clone(n.cdj[:len(n.cdj)-1]), []byte(`,"p":"`+strings.Repeat("x", 1001-len(n.cdj))+`"}`)...), nil), nil)
		malformed(t, err, "authn_response.response.clientDataJSON")
		_, err = n.confirm(t, n.body(t, nil, append(bytes.Clone(vnoneObj), make([]byte, 1500-len(vnoneObj)+1)...)), nil)
		malformed(t, err, "authn_response.response.attestationObject")
		// The caps are configurable: the spec's defaults refuse a real TPM
		// attestation, a raised cap accepts it.
		r := loadReal(t)["testAttestationTPMResponses_0"]
		challenge, origin, rpID, pcc := r.ceremony(t)
		if !validNow(t, pcc) {
			t.Skip("the TPM vector's AIK certificate has expired (go-webauthn checks the system clock)")
		}
		h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) { c.RPID, c.Origins = rpID, []string{origin} })
		_, err = h.confirm(h.stateFor(challenge), alice, r.Response)
		malformed(t, err, "authn_response.response.attestationObject")
		h = newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) { c.RPID, c.Origins, c.MaxAttestationObject = rpID, []string{origin}, 8000 })
		_, err = h.confirm(h.stateFor(challenge), alice, r.Response)
		require.NoError(t, err)
		for _, v := range []int{999, maxMaxAttestationObject + 1} {
			cfg := baseConfig()
			cfg.MaxAttestationObject = v
			_, err := New(verify.TypePasskey, h.store, cfg)
			require.ErrorIs(t, err, ErrConfig)
		}
	})

	t.Run("CB-11", func(t *testing.T) {
		// Every single-bit flip of V-none's attestation object and
		// clientDataJSON: no panic, and an error means no confirmation.
		h := n.harness(t, nil)
		st := n.state(h)
		for _, which := range []string{"attestationObject", "clientDataJSON"} {
			src := vnoneObj
			if which == "clientDataJSON" {
				src = n.cdj
			}
			for i := range len(src) * 8 {
				b := bytes.Clone(src)
				b[i/8] ^= 1 << (i % 8)
				body := n.body(t, nil, b)
				if which == "clientDataJSON" {
					body = n.body(t, b, nil)
				}
				c, err := h.confirm(st, alice, body)
				if err != nil {
					require.Nil(t, c)
					require.NotNil(t, verify.Kind(err), "a client error, not an internal one: %v", err)
				}
			}
		}
	})

	t.Run("CB-12", func(t *testing.T) {
		// Firefox 117's authData (strings for kty and crv, the key's x as an
		// array of integers): pinned, refused (go-webauthn cannot parse the
		// credential key); SimpleWebAuthn repairs it instead. The log
		// reason, webauthn_parse, says where.
		ff, err := os.ReadFile("testdata/firefox117-authdata.hex")
		require.NoError(t, err)
		ad := unhex(t, strings.TrimSpace(string(ff)))
		rp := sha256Sum(testRPID)
		copy(ad, rp[:])
		credID := ad[55 : 55+(int(ad[53])<<8|int(ad[54]))]
		obj := n.attObj(t, nil, nil, ad)
		h := n.harness(t, func(c *Config) { c.Algorithms = knownAlgorithms })
		_, err = h.confirm(n.state(h), alice, responseJSON(t, credID, obj, n.cdj))
		refused(t, err, "webauthn_parse")
	})
}
