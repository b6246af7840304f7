package passkey

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// The software authenticator of the sign-in tests: it signs assertions
// (WebAuthn §6.3.3 authenticatorGetAssertion) over authenticator data and
// clientDataJSON it builds, with an ECDSA P-256 or an Ed25519 key, so that
// every mutation of a §7.2 step carries a valid signature.

// signer is a credential's private key.
type signer struct {
	ec *ecdsa.PrivateKey
	ed ed25519.PrivateKey
}

func (s signer) sign(t testing.TB, msg []byte) []byte {
	t.Helper()
	if s.ed != nil {
		return ed25519.Sign(s.ed, msg)
	}
	return sign(t, s.ec, msg)
}

func (s signer) coseKey(t testing.TB) []byte {
	t.Helper()
	if s.ed != nil {
		b, err := ctap2.Marshal(map[int]any{1: 1, 3: -8, -1: 6, -2: []byte(s.ed.Public().(ed25519.PublicKey))})
		require.NoError(t, err)
		return b
	}
	x, y := ecXY(&s.ec.PublicKey)
	b, err := ctap2.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	require.NoError(t, err)
	return b
}

// credential is an enrolled credential and its private key.
type credential struct {
	key    signer
	id     []byte
	handle []byte
	method verify.Method // as stored
	rec    store.Method
}

// assertion describes one assertion to sign. The zero value is UP|UV,
// counter 0, the RP's hash, the credential's id and user handle, and a
// clientDataJSON of type webauthn.get for the challenge and origin given.
type assertion struct {
	RPID       string // default testRPID
	Flags      *byte  // default UP|UV (0x05), plus BE|BS as enrolled
	Counter    uint32
	Ext        []byte
	CredID     []byte
	NoHandle   bool
	Handle     []byte // overrides the credential's
	ClientDat  clientData
	BadSig     bool   // flip a bit of the signature
	SignedData []byte // sign these bytes instead
}

const (
	fUP = 0x01
	fUV = 0x04
	fBE = 0x08
	fBS = 0x10
)

func flags(b byte) *byte { return &b }

func (c *credential) authData(a assertion) []byte {
	rp := a.RPID
	if rp == "" {
		rp = testRPID
	}
	h := sha256.Sum256([]byte(rp))
	var f byte = fUP | fUV
	if c.method.WebAuthn.BackupEligible {
		f |= fBE
	}
	if c.method.WebAuthn.BackedUp {
		f |= fBS
	}
	if a.Flags != nil {
		f = *a.Flags
	}
	if a.Ext != nil {
		f |= flagED
	}
	var b bytes.Buffer
	b.Write(h[:])
	b.WriteByte(f)
	_ = binary.Write(&b, binary.BigEndian, a.Counter)
	b.Write(a.Ext)
	return b.Bytes()
}

// assert signs a and returns its authn_response, in the shape of
// PublicKeyCredential.toJSON().
func (c *credential) assert(t testing.TB, a assertion) jsontext.Value {
	t.Helper()
	ad := c.authData(a)
	cdj := a.ClientDat.bytes()
	cdh := sha256.Sum256(cdj)
	msg := append(bytes.Clone(ad), cdh[:]...)
	if a.SignedData != nil {
		msg = a.SignedData
	}
	sig := c.key.sign(t, msg)
	if a.BadSig {
		sig[len(sig)-1] ^= 1
	}
	id := c.id
	if a.CredID != nil {
		id = a.CredID
	}
	resp := map[string]any{
		"clientDataJSON": b64.EncodeToString(cdj), "authenticatorData": b64.EncodeToString(ad),
		"signature": b64.EncodeToString(sig),
	}
	switch {
	case a.Handle != nil:
		resp["userHandle"] = b64.EncodeToString(a.Handle)
	case !a.NoHandle:
		resp["userHandle"] = b64.EncodeToString(c.handle)
	}
	return mustJSON(t, map[string]any{
		"id": b64.EncodeToString(id), "rawId": b64.EncodeToString(id), "type": "public-key",
		"response": resp, "authenticatorAttachment": "platform", "clientExtensionResults": map[string]any{},
	})
}

// enroll stores a credential of the harness's type for sub, as Confirm
// and the service would: an ECDSA P-256 one through the engine's own
// registration (Start, a packed self attestation, Confirm), an Ed25519
// one (ed) as a record. be and bs are the backup flags at registration.
func (h *harness) enroll(sub verify.Subject, id string, ed, be, bs bool, counter uint32) *credential {
	t := h.t
	t.Helper()
	c := &credential{id: make([]byte, 32)}
	_, _ = rand.Read(c.id)
	var f byte = fUP | fUV | 0x40
	if be {
		f |= fBE
	}
	if bs {
		f |= fBS
	}
	if ed {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		c.key = signer{ed: k}
		c.handle = bytes.Repeat([]byte{byte(len(id))}, 32)
		m := verify.Method{
			ID: id, Type: h.e.Type(), Subject: sub.ID, Confirmed: true, CreatedAt: testNow, Usage: h.e.Type().DefaultUsage(),
			IdentityUserID: sub.ID,
			WebAuthn: &verify.WebAuthnCredential{
				CredentialID: c.id, PublicKey: c.key.coseKey(t), BackupEligible: be, BackedUp: bs,
				Transports: []string{"internal", "hybrid"}, UserHandle: c.handle, RelyingPartyID: testRPID,
				SignCount: counter, UserVerified: true, AttestationFormat: "none", AttestationType: "None", Algorithm: AlgEdDSA,
			},
		}
		rec, err := m.Record()
		require.NoError(t, err)
		rec.CredentialID, rec.Counter = c.id, int64(counter)
		require.NoError(t, h.store.Commit(context.Background(), storeCommit(id, rec)))
	} else {
		a := newTestAuthenticator(t)
		a.credID = c.id
		c.key = signer{ec: a.key}
		st, opts := h.start(sub)
		conf, err := h.confirm(st, sub, a.register(t, registration{
			RPID: testRPID, Flags: f, Counter: counter, Format: "packed-self",
			ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin},
		}, "internal", "hybrid"))
		require.NoError(t, err)
		h.save(sub, id, conf)
		c.handle = st.UserHandle
	}
	rec, err := h.store.Get(context.Background(), sub.ID, id)
	require.NoError(t, err)
	c.rec = rec
	c.method, err = verify.MethodFromRecord(rec)
	require.NoError(t, err)
	return c
}

// reload rereads the credential's record, as the service does before
// each authentication.
func (h *harness) reload(c *credential) {
	h.t.Helper()
	rec, err := h.store.Get(context.Background(), c.rec.Subject, c.rec.ID)
	require.NoError(h.t, err)
	c.rec = rec
	c.method, err = verify.MethodFromRecord(rec)
	require.NoError(h.t, err)
}

// challenge runs Challenge: a step-up of c for sub, or usernameless when
// c is nil.
func (h *harness) challenge(sub verify.Subject, c *credential) (signInSealed, requestOptions) {
	h.t.Helper()
	req := &verify.EngineStart{Subject: sub, ExpiresAt: testNow.Add(5 * time.Minute)}
	if c != nil {
		req.Method, req.Record = c.method, c.rec
	}
	ss, err := h.e.Challenge(context.Background(), req)
	require.NoError(h.t, err)
	st, ok := ss.State.(signInSealed)
	require.True(h.t, ok)
	var opts requestOptions
	require.NoError(h.t, json.Unmarshal(ss.AuthnParamsPublicKey, &opts))
	return st, opts
}

// authenticate runs Authenticate of body against st: a step-up of c for
// sub, or usernameless when sub is zero.
func (h *harness) authenticate(st signInSealed, sub verify.Subject, c *credential, body jsontext.Value) (*verify.Confirmation, error) {
	h.t.Helper()
	return h.authenticateT(h.t, st, sub, c, body)
}

func (h *harness) authenticateT(t testing.TB, st signInSealed, sub verify.Subject, c *credential, body jsontext.Value) (*verify.Confirmation, error) {
	t.Helper()
	raw, err := json.Marshal(st)
	require.NoError(t, err)
	req := &verify.EngineConfirm{
		Subject: sub, State: raw, IssuedAt: testNow,
		Request: verify.VerifyRequest{AuthSession: "x", AuthnResponse: body},
	}
	if sub.ID != "" && c != nil {
		req.Method, req.Record = c.method, c.rec
	}
	return h.e.Authenticate(context.Background(), req)
}

// get is the clientData of a sign-in for the challenge of opts.
func get(opts requestOptions) clientData {
	return clientData{Type: "webauthn.get", Challenge: opts.Challenge, Origin: testOrigin}
}

// commitSignIn writes a successful authentication as the service does,
// through store.SignIn; it reports store.ErrStale for a counter not
// advanced.
func (h *harness) commitSignIn(a *verify.Confirmation, sid string) error {
	h.t.Helper()
	m := a.Method
	m.LastAuthAt = testNow
	rec, err := m.Record()
	require.NoError(h.t, err)
	_, err = h.store.SignIn(context.Background(), store.SignIn{
		SessionID: sid, SessionExpires: testNow.Add(time.Hour), Subject: a.Record.Subject,
		MethodID: a.Record.ID, Counter: a.Counter, Attrs: rec.Attrs,
	})
	return err
}
