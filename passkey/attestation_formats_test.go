package passkey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/go-webauthn/webauthn/metadata"
	"github.com/go-webauthn/webauthn/metadata/providers/memory"
	"github.com/google/go-tpm/tpm2"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/verifykit/verifykit/verify"
)

// The attestation-format rows of SECURITY-CHECKLIST (AF-*, WebAuthn §8),
// one test each.

// AF-01: a "none" attestation has an empty attStmt.
func TestNoneAttestationMustHaveAnEmptyStatement(t *testing.T) {
	n := newVNone(t)
	_, err := n.confirm(t, n.body(t, nil, n.attObj(t, nil, map[string]any{"alg": -7, "sig": []byte{1}, "x5c": []any{[]byte{2}}}, nil)), nil)
	refused(t, err, "webauthn_attestation")
}

// AF-02: packed self attestation: the alg matches the key and the signature verifies.
func TestPackedSelfAttestationMustVerify(t *testing.T) {
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
}

// AF-03: self attestation carries no x5c.
//
// A self signature with an unrelated x5c is full attestation and
// verifies against the certificate's key: refused.
func TestSelfAttestationWithACertificateIsRefused(t *testing.T) {
	a := newTestAuthenticator(t)
	ca := newAttCA(t, nil, nil)
	h := newHarness(t, verify.TypeWebAuthnRoaming, nil)
	st, opts := h.start(alice)
	r := registration{RPID: testRPID, Format: "packed-self", ClientDat: clientData{Type: "webauthn.create", Challenge: opts.Challenge, Origin: testOrigin}}
	body := editAttObj(t, a.register(t, r), func(o map[string]any) { o["attStmt"].(map[any]any)["x5c"] = []any{ca.leafDER} })
	_, err := h.confirm(st, alice, body)
	refused(t, err, "webauthn_attestation")
}

// AF-04: packed full attestation: alg, sig and x5c are present and typed, and the signature verifies.
func TestPackedFullAttestationStatementIsChecked(t *testing.T) {
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
}

// AF-05: the packed attestation certificate meets §8.2.1 (version, subject, AAGUID extension, CA false).
func TestPackedAttestationCertificateRequirements(t *testing.T) {
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
}

// AF-06: validity dates and chain order of attestation certificates are checked.
//
// go-webauthn checks the leaf's validity against the system clock,
// so these certificates are dated around it.
func TestAttestationCertificateDatesAndChainAreChecked(t *testing.T) {
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
}

// AF-07: tpm: certInfo, pubArea and extraData are checked; an unknown alg fails closed.
func TestTPMCertInfoAndPubAreaAreChecked(t *testing.T) {
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
}

// AF-08: tpm: the AIK certificate meets §8.3.1; the test vendor is refused.
func TestTPMAIKCertificateAndTestVendorAreRefused(t *testing.T) {
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
}

// AF-09: android-key: challenge, key and authorization lists are checked.
//
// Android Key certificates chain to Google's roots; nothing can be
// minted here. The real Pixel registration registers
// (TestGoWebAuthnRegistrations); its mutations are refused. The
// AuthorizationList rules (allApplications, origin, purpose) are
// go-webauthn's and covered by its own tests.
func TestAndroidKeyMutationsAreRefused(t *testing.T) {

	regs := loadReal(t)
	r := regs["androidKeyTestResponse2"]
	challenge, origin, rpID, pcc := r.ceremony(t)
	h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) {
		c.RPID, c.Origins, c.MaxAttestationObject = rpID, []string{origin}, maxMaxAttestationObject
	})
	_, err := h.confirm(h.stateFor(challenge), alice, r.Response)
	require.NoError(t, err)
	for name, body := range map[string]jsontext.Value{
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
}

// AF-10: android-safetynet is refused unless configured.
//
// SafetyNet is off by default (TestGoWebAuthnRegistrations pins both
// verdicts); a JWS signed under Google's WebPKI chain cannot be minted
// here, so ctsProfileMatch and timestamp are go-webauthn's tests.
func TestSafetyNetIsRefusedByDefault(t *testing.T) {
	n := newVNone(t)
	_, err := n.confirm(t, n.body(t, nil, n.attObj(t, "android-safetynet", map[string]any{"ver": "1", "response": []byte("x")}, nil)), nil)
	refused(t, err, "webauthn_format")
	_, err = n.confirm(t, n.body(t, nil, n.attObj(t, "android-safetynet", map[string]any{"ver": "1", "response": []byte("x.y.z")}, nil)),
		func(c *Config) { c.Formats = knownFormats })
	refused(t, err, "webauthn_attestation")
}

// AF-11: fido-u2f: one P-256 certificate, a zero AAGUID and a valid signature.
func TestFIDOU2FNeedsAZeroAAGUIDAndOneP256Certificate(t *testing.T) {
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
}

// AF-12: apple: the nonce and the key match the certificate.
func TestAppleAttestationNonceAndKeyAreChecked(t *testing.T) {

	regs := loadReal(t)
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
}

// AF-13: compound attestation is refused (not offered).
//
// Compound (§8.9) is not offered: refused as an unknown format
// (WA-21); an array attStmt is refused for every other format.
func TestCompoundAttestationIsRefused(t *testing.T) {
	n := newVNone(t)
	_, err := n.confirm(t, n.body(t, nil, n.attObj(t, "compound", []any{map[string]any{"fmt": "none", "attStmt": map[string]any{}}}, nil)), nil)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	_, err = n.confirm(t, n.body(t, nil, n.attObj(t, "packed", []any{map[string]any{"alg": -7}}, nil)), nil)
	refused(t, err, "webauthn_parse")
}

// AF-14: the MDS BLOB is verified, and a bad one never fails open.
func TestMetadataBLOBIsVerified(t *testing.T) {
	runMetadataBlob(t)
}

// AF-15: ECDSA attestation signatures follow a pinned encoding policy (DER).
//
// Pinned: DER only (go-webauthn's default SignaturePolicy): a BER
// signature with a padded integer is refused; the high-S twin of a
// valid signature is valid DER and ECDSA, and accepted — attestation
// signatures are not assumed unique.
func TestECDSASignaturesMustBeDER(t *testing.T) {
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
