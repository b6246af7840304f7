package passkey

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// fuzzSignIn is a fixed sign-in for the assertion fuzz targets: an Ed25519
// passkey from a fixed seed, a fixed challenge, so that the seeds in
// testdata/fuzz are valid assertions and mutations start from one.
type fuzzSignIn struct {
	h  *harness
	c  *credential
	st signInSealed
}

func newFuzzSignIn(t testing.TB) *fuzzSignIn {
	h := newHarness(t, verify.TypePasskey, nil)
	c := &credential{
		key:    signer{ed: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x42}, 32))},
		id:     bytes.Repeat([]byte{0xC1}, 32),
		handle: bytes.Repeat([]byte{0x11}, 32),
	}
	m := verify.Method{ID: "passkey|dev_fuzz", Type: verify.TypePasskey, Subject: alice.ID, Confirmed: true, CreatedAt: testNow,
		WebAuthn: &verify.WebAuthnCredential{CredentialID: c.id, PublicKey: c.key.coseKey(t), RelyingPartyID: testRPID,
			BackupEligible: true, BackedUp: true, UserHandle: c.handle, Algorithm: AlgEdDSA}}
	rec, err := m.Record()
	require.NoError(t, err)
	rec.CredentialID = c.id
	require.NoError(t, h.store.Commit(context.Background(), storeCommit(m.ID, rec)))
	h.reload(c0(c, rec))
	st := signInSealed{Version: signInVersion, Purpose: signInPurpose, Type: verify.TypePasskey, RPID: testRPID,
		Challenge: b64.EncodeToString(bytes.Repeat([]byte{0xCC}, 32)), UV: UVRequired, Expires: testNow.Add(300e9).UnixMilli()}
	return &fuzzSignIn{h: h, c: c, st: st}
}

func (f *fuzzSignIn) valid(t testing.TB) jsontext.Value {
	return f.c.assert(t, assertion{Counter: 1, ClientDat: clientData{Type: "webauthn.get", Challenge: f.st.Challenge, Origin: testOrigin}})
}

// check is the invariant of the assertion fuzz targets: no panic; an
// error is a client error with no authentication; a success names the
// fuzz credential's method and a counter the authenticator data carries.
func (f *fuzzSignIn) check(t *testing.T, a *verify.Confirmation, err error) {
	if err != nil {
		if a != nil {
			t.Fatalf("error %v with an authentication", err)
		}
		if verify.Kind(err) == nil {
			t.Fatalf("internal error for client bytes: %v", err)
		}
		return
	}
	if a.Record.ID != "passkey|dev_fuzz" || a.Method.WebAuthn == nil || !bytes.Equal(a.Method.WebAuthn.CredentialID, f.c.id) || a.Counter < 0 {
		t.Fatalf("bad authentication %+v", a)
	}
}

// FuzzAssertionResponse fuzzes a usernameless sign-in's whole
// authn_response (the JSON, then everything inside it), seeded with valid
// assertions (testdata/fuzz/FuzzAssertionResponse and the one built here).
func FuzzAssertionResponse(f *testing.F) {
	s := newFuzzSignIn(f)
	f.Add([]byte(s.valid(f)))
	f.Add([]byte(`{"id":"","rawId":"","type":"public-key","response":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := s.h.authenticateT(t, s.st, verify.Subject{}, nil, body)
		s.check(t, a, err)
	})
}

// FuzzAssertionAuthenticatorData fuzzes the authenticator data of a
// signed assertion (flags, counter, extension CBOR), re-signing each
// input so that the checks after the signature are reached.
func FuzzAssertionAuthenticatorData(f *testing.F) {
	s := newFuzzSignIn(f)
	f.Add(s.c.authData(assertion{Counter: 1}))
	f.Add(s.c.authData(assertion{Ext: []byte{0xA1, 0x6B, 'c', 'r', 'e', 'd', 'P', 'r', 'o', 't', 'e', 'c', 't', 0x02}}))
	f.Add(append(s.c.authData(assertion{}), 0xBF, 0xFF))
	cd := clientData{Type: "webauthn.get", Challenge: s.st.Challenge, Origin: testOrigin}
	f.Fuzz(func(t *testing.T, ad []byte) {
		if len(ad) > defaultMaxAttestationObject*3/4 {
			return
		}
		cdj := cd.bytes()
		body := s.c.assert(t, assertion{ClientDat: cd})
		var w map[string]any
		require.NoError(t, json.Unmarshal(body, &w))
		r := w["response"].(map[string]any)
		r["authenticatorData"] = b64.EncodeToString(ad)
		h := sha256Sum(string(cdj))
		r["signature"] = b64.EncodeToString(s.c.key.sign(t, append(bytes.Clone(ad), h[:]...)))
		a, err := s.h.authenticateT(t, s.st, verify.Subject{}, nil, mustJSON(t, w))
		s.check(t, a, err)
		if err == nil && (len(ad) < 37 || ad[32]&fUP == 0 || ad[32]&fUV == 0 || ad[32]&fBE == 0) {
			t.Fatalf("accepted authenticator data without UP, UV or the enrolled BE: %x", ad)
		}
	})
}

// The seeds named valid-* in testdata/fuzz/FuzzAssertionResponse are
// accepted assertions, so that fuzzing starts past the parser; the others
// are refused.
func TestAssertionFuzzSeedsStartFromValidAssertions(t *testing.T) {
	s := newFuzzSignIn(t)
	dir := "testdata/fuzz/FuzzAssertionResponse"
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		lines := strings.SplitN(string(raw), "\n", 3)
		require.Equal(t, "go test fuzz v1", lines[0])
		q, ok := strings.CutSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")")
		require.True(t, ok)
		body, err := strconv.Unquote(q)
		require.NoError(t, err)
		_, err = s.h.authenticate(s.st, verify.Subject{}, nil, jsontext.Value(body))
		if strings.HasPrefix(e.Name(), "valid-") || e.Name() == "bom" {
			require.NoError(t, err, e.Name())
		} else {
			require.Error(t, err, e.Name())
		}
	}
}
