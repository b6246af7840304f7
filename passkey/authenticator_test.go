package passkey

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/require"
)

// testAuthenticator is an in-repo software authenticator for mutation tests
// that need valid signatures over mutated data (SECURITY-CHECKLIST: "re-sign
// with a test authenticator"). It makes ECDSA P-256 credentials and none,
// packed (self and x5c) and fido-u2f attestations.
type testAuthenticator struct {
	key    *ecdsa.PrivateKey
	credID []byte
	aaguid [16]byte
}

func newTestAuthenticator(t testing.TB) *testAuthenticator {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	a := &testAuthenticator{key: k, credID: make([]byte, 32)}
	_, _ = rand.Read(a.credID)
	copy(a.aaguid[:], []byte("verifykit-test!!"))
	return a
}

// clientData is the content of a clientDataJSON, written in the member
// order browsers use; Extra members are appended; Raw replaces it all.
type clientData struct {
	Type        string
	Challenge   string
	Origin      string
	CrossOrigin *bool
	TopOrigin   string
	Extra       string // raw JSON members, e.g. `"tokenBinding":{}`
	Raw         []byte
}

func (c clientData) bytes() []byte {
	if c.Raw != nil {
		return c.Raw
	}
	var b bytes.Buffer
	q := func(s string) string { j, _ := json.Marshal(s); return string(j) }
	b.WriteString(`{"type":` + q(c.Type) + `,"challenge":` + q(c.Challenge) + `,"origin":` + q(c.Origin))
	if c.CrossOrigin != nil {
		if *c.CrossOrigin {
			b.WriteString(`,"crossOrigin":true`)
		} else {
			b.WriteString(`,"crossOrigin":false`)
		}
	}
	if c.TopOrigin != "" {
		b.WriteString(`,"topOrigin":` + q(c.TopOrigin))
	}
	if c.Extra != "" {
		b.WriteString("," + c.Extra)
	}
	b.WriteString("}")
	return b.Bytes()
}

// attCA is a test attestation CA and a leaf batch certificate under it.
type attCA struct {
	rootKey  *ecdsa.PrivateKey
	root     *x509.Certificate
	leafKey  *ecdsa.PrivateKey
	leafDER  []byte
	rootDER  []byte
	notAfter time.Time
}

// newAttCA makes a root and a leaf meeting WebAuthn §8.2.1 (packed) with
// the given AAGUID extension (nil: none); mutate adjusts the leaf template.
func newAttCA(t testing.TB, aaguid []byte, mutate func(*x509.Certificate)) *attCA {
	t.Helper()
	rk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	nb, na := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2124, 1, 1, 0, 0, 0, 0, time.UTC)
	rootTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), NotBefore: nb, NotAfter: na,
		Subject:               pkix.Name{CommonName: "verifykit test attestation root", Organization: []string{"verifykit"}, OrganizationalUnit: []string{"Authenticator Attestation CA"}, Country: []string{"AA"}},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rk.PublicKey, rk)
	require.NoError(t, err)
	root, err := x509.ParseCertificate(rootDER)
	require.NoError(t, err)
	lk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), NotBefore: nb, NotAfter: na,
		Subject:               pkix.Name{CommonName: "verifykit test authenticator", Organization: []string{"verifykit"}, OrganizationalUnit: []string{"Authenticator Attestation"}, Country: []string{"AA"}},
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
	}
	if aaguid != nil {
		v, err := asn1.Marshal(aaguid)
		require.NoError(t, err)
		leafTmpl.ExtraExtensions = append(leafTmpl.ExtraExtensions, pkix.Extension{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 45724, 1, 1, 4}, Value: v})
	}
	if mutate != nil {
		mutate(leafTmpl)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, root, &lk.PublicKey, rk)
	require.NoError(t, err)
	return &attCA{rootKey: rk, root: root, rootDER: rootDER, leafKey: lk, leafDER: leafDER, notAfter: na}
}

// registration describes one attestation to make. The zero value is a
// none attestation with flags UP|UV|AT, counter 0.
type registration struct {
	RPID      string
	Flags     byte // authData flags; 0 means UP|UV|AT
	Counter   uint32
	Format    string  // "none", "packed-self", "packed", "fido-u2f"
	CA        *attCA  // for "packed" and "fido-u2f"
	Alg       int64   // attStmt alg override (packed); 0: -7
	COSEKey   []byte  // credential public key override
	CredID    []byte  // override of the authenticator's credential id
	AAGUID    *[]byte // override (fido-u2f uses zeros)
	Ext       []byte  // extension CBOR appended to authData
	Trailing  []byte  // bytes appended to authData after everything
	AttStmt   map[string]any
	ClientDat clientData
}

var ctap2 = func() cbor.EncMode {
	m, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return m
}()

// ecXY returns the affine coordinates of a P-256 public key, 32 bytes
// each, from its uncompressed encoding.
func ecXY(pub *ecdsa.PublicKey) (x, y []byte) {
	b, err := pub.Bytes() // 0x04 ‖ X ‖ Y
	if err != nil || len(b) != 65 {
		panic(fmt.Sprintf("not a P-256 public key: %v", err))
	}
	return b[1:33], b[33:]
}

func (a *testAuthenticator) coseKey() []byte {
	x, y := ecXY(&a.key.PublicKey)
	b, err := ctap2.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		panic(err)
	}
	return b
}

// authData builds the authenticator data of r (WebAuthn §6.1).
func (a *testAuthenticator) authData(r registration) []byte {
	h := sha256.Sum256([]byte(r.RPID))
	flags := r.Flags
	if flags == 0 {
		flags = 0x45
	}
	credID := a.credID
	if r.CredID != nil {
		credID = r.CredID
	}
	aaguid := a.aaguid[:]
	if r.AAGUID != nil {
		aaguid = *r.AAGUID
	} else if r.Format == "fido-u2f" {
		aaguid = make([]byte, 16)
	}
	key := r.COSEKey
	if key == nil {
		key = a.coseKey()
	}
	var b bytes.Buffer
	b.Write(h[:])
	b.WriteByte(flags)
	_ = binary.Write(&b, binary.BigEndian, r.Counter)
	b.Write(aaguid)
	_ = binary.Write(&b, binary.BigEndian, uint16(len(credID)))
	b.Write(credID)
	b.Write(key)
	b.Write(r.Ext)
	b.Write(r.Trailing)
	return b.Bytes()
}

func sign(t testing.TB, k *ecdsa.PrivateKey, msg []byte) []byte {
	t.Helper()
	d := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, k, d[:])
	require.NoError(t, err)
	return sig
}

// attestationObject returns the CBOR attestation object and the
// clientDataJSON of r.
func (a *testAuthenticator) attestationObject(t testing.TB, r registration) ([]byte, []byte) {
	t.Helper()
	cdj := r.ClientDat.bytes()
	cdh := sha256.Sum256(cdj)
	ad := a.authData(r)
	stmt := r.AttStmt
	format := r.Format
	alg := r.Alg
	if alg == 0 {
		alg = -7
	}
	switch r.Format {
	case "", "none":
		format = "none"
		if stmt == nil {
			stmt = map[string]any{}
		}
	case "packed-self":
		format = "packed"
		if stmt == nil {
			stmt = map[string]any{"alg": alg, "sig": sign(t, a.key, append(bytes.Clone(ad), cdh[:]...))}
		}
	case "packed":
		if stmt == nil {
			stmt = map[string]any{"alg": alg, "sig": sign(t, r.CA.leafKey, append(bytes.Clone(ad), cdh[:]...)), "x5c": []any{r.CA.leafDER}}
		}
	case "fido-u2f":
		if stmt == nil {
			h := sha256.Sum256([]byte(r.RPID))
			credID := a.credID
			if r.CredID != nil {
				credID = r.CredID
			}
			msg := []byte{0}
			msg = append(msg, h[:]...)
			msg = append(msg, cdh[:]...)
			msg = append(msg, credID...)
			pub, err := a.key.PublicKey.Bytes() // the U2F wire form: 0x04 ‖ X ‖ Y
			require.NoError(t, err)
			msg = append(msg, pub...)
			stmt = map[string]any{"sig": sign(t, r.CA.leafKey, msg), "x5c": []any{r.CA.leafDER}}
		}
	}
	obj, err := ctap2.Marshal(map[string]any{"fmt": format, "attStmt": stmt, "authData": ad})
	require.NoError(t, err)
	return obj, cdj
}

// responseJSON is an authn_response as a browser's client would send it.
func responseJSON(t testing.TB, rawID, attObj, cdj []byte, transports ...string) jsontext.Value {
	t.Helper()
	resp := map[string]any{"attestationObject": b64.EncodeToString(attObj), "clientDataJSON": b64.EncodeToString(cdj)}
	if transports != nil {
		resp["transports"] = transports
	}
	b, err := json.Marshal(map[string]any{
		"id": b64.EncodeToString(rawID), "rawId": b64.EncodeToString(rawID), "type": "public-key",
		"response": resp, "clientExtensionResults": map[string]any{},
	})
	require.NoError(t, err)
	return b
}

// register makes the authn_response of r.
func (a *testAuthenticator) register(t testing.TB, r registration, transports ...string) jsontext.Value {
	t.Helper()
	obj, cdj := a.attestationObject(t, r)
	id := a.credID
	if r.CredID != nil {
		id = r.CredID
	}
	return responseJSON(t, id, obj, cdj, transports...)
}

var _ crypto.Signer = (*ecdsa.PrivateKey)(nil)
