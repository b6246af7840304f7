package passkey

import (
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/go-tpm/tpm2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

var update = flag.Bool("update", false, "regenerate testdata/generated-registrations.json")

const generatedFile = "testdata/generated-registrations.json"

// generatedVector is a registration made by this package's test
// authenticator, kept as a known answer: once written, the bytes never
// change, so a change in verification shows.
type generatedVector struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Format      string         `json:"format"`
	RPID        string         `json:"rpId"`
	Origin      string         `json:"origin"`
	Challenge   string         `json:"challenge"`
	Root        string         `json:"attestationRoot,omitempty"` // hex DER
	Response    jsontext.Value `json:"response"`
}

type generatedDoc struct {
	Source        string            `json:"source"`
	Registrations []generatedVector `json:"registrations"`
}

// TestGeneratedRegistrations verifies the registrations this package
// produced (go test -run TestGeneratedRegistrations -update rewrites them):
// none, packed self, packed x5c with an AAGUID extension, fido-u2f, and a
// TPM 2.0 attestation with an AIK certificate valid until 2124 (WebAuthn
// §8.3), which the §16 TPM vector cannot provide against a production
// go-webauthn.
func TestGeneratedRegistrations(t *testing.T) {
	if *update {
		writeGenerated(t)
	}
	doc := loadGenerated(t)
	require.Len(t, doc.Registrations, 5)
	for _, g := range doc.Registrations {
		t.Run(g.Name, func(t *testing.T) {
			h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) { c.RPID, c.Origins = g.RPID, []string{g.Origin} })
			challenge, err := b64.DecodeString(g.Challenge)
			require.NoError(t, err)
			c, err := h.confirm(h.stateFor(challenge), alice, g.Response)
			require.NoError(t, err)
			assert.Equal(t, g.Format, c.Method.WebAuthn.AttestationFormat)
			assert.Equal(t, map[string]string{"none-es256": "None", "packed-self-es256": "Self", "packed-x5c-es256": "Basic",
				"fido-u2f-es256": "Basic", "tpm-es256": "AttCA"}[g.Name], c.Method.WebAuthn.AttestationType)
			var w struct {
				RawID string `json:"rawId"`
			}
			require.NoError(t, json.Unmarshal(g.Response, &w))
			assert.Equal(t, w.RawID, b64.EncodeToString(c.CredentialID))
		})
	}
}

func loadGenerated(t testing.TB) *generatedDoc {
	t.Helper()
	b, err := os.ReadFile(generatedFile)
	require.NoError(t, err)
	var doc generatedDoc
	require.NoError(t, json.Unmarshal(b, &doc))
	return &doc
}

func (d *generatedDoc) get(t testing.TB, name string) generatedVector {
	t.Helper()
	for _, g := range d.Registrations {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("no generated vector %q", name)
	return generatedVector{}
}

func writeGenerated(t *testing.T) {
	t.Helper()
	var doc generatedDoc
	doc.Source = "made by passkey/generated_test.go (go test ./passkey -run TestGeneratedRegistrations -update); RP example.org"
	add := func(name, desc, format string, r registration, a *testAuthenticator, root []byte, transports ...string) {
		challenge := make([]byte, 32)
		_, _ = rand.Read(challenge)
		r.RPID = testRPID
		r.ClientDat = clientData{Type: "webauthn.create", Challenge: b64.EncodeToString(challenge), Origin: testOrigin, CrossOrigin: new(bool)}
		g := generatedVector{Name: name, Description: desc, Format: format, RPID: testRPID, Origin: testOrigin,
			Challenge: b64.EncodeToString(challenge), Response: a.register(t, r, transports...)}
		if root != nil {
			g.Root = hex.EncodeToString(root)
		}
		doc.Registrations = append(doc.Registrations, g)
	}
	a := newTestAuthenticator(t)
	add("none-es256", "none attestation, ES256, flags UP|UV|AT", "none", registration{Format: "none"}, a, nil, "usb")
	a = newTestAuthenticator(t)
	add("packed-self-es256", "packed self attestation, ES256, flags UP|UV|BE|BS|AT", "packed", registration{Format: "packed-self", Flags: 0x5d}, a, nil, "internal", "hybrid")
	a = newTestAuthenticator(t)
	ca := newAttCA(t, a.aaguid[:], nil)
	add("packed-x5c-es256", "packed full attestation, ES256, leaf with the AAGUID extension under a test root", "packed", registration{Format: "packed", CA: ca}, a, ca.rootDER, "usb", "nfc")
	a = newTestAuthenticator(t)
	ca = newAttCA(t, nil, nil)
	add("fido-u2f-es256", "fido-u2f attestation, flags UP|AT", "fido-u2f", registration{Format: "fido-u2f", CA: ca, Flags: 0x41}, a, ca.rootDER, "usb")
	a = newTestAuthenticator(t)
	challenge := make([]byte, 32)
	_, _ = rand.Read(challenge)
	cd := clientData{Type: "webauthn.create", Challenge: b64.EncodeToString(challenge), Origin: testOrigin, CrossOrigin: new(bool)}
	body, root := tpmRegistration(t, a, cd, nil)
	doc.Registrations = append(doc.Registrations, generatedVector{
		Name: "tpm-es256", Description: "tpm attestation, ES256 credential, ECDSA P-256 AIK (manufacturer id:49465800, valid 2024–2124)",
		Format: "tpm", RPID: testRPID, Origin: testOrigin, Challenge: cd.Challenge, Root: hex.EncodeToString(root), Response: body,
	})
	b, err := json.MarshalIndent(doc, "", " ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(generatedFile, append(b, '\n'), 0o644))
}

// tpmMutation alters a TPM attestation while it is made.
type tpmMutation struct {
	pub          func(*tpm2.TPMTPublic) // after its name is taken for certInfo
	certInfo     func(*tpm2.TPMSAttest) // before it is signed
	aik          func(*x509.Certificate)
	manufacturer string // TCG manufacturer id; default 49465800 (Infineon)
	stmt         func(map[string]any)
}

// tpmRegistration makes a TPM 2.0 attestation (WebAuthn §8.3) of a's
// credential: pubArea and certInfo as a TPM writes them (go-tpm's
// encoders), signed by an AIK whose certificate has an empty subject, a
// TCG SAN naming a listed manufacturer, the AIK EKU and CA=false.
func tpmRegistration(t testing.TB, a *testAuthenticator, cd clientData, m *tpmMutation) (jsontext.Value, []byte) {
	t.Helper()
	if m == nil {
		m = &tpmMutation{}
	}
	x, y := ecXY(&a.key.PublicKey)
	pub := tpm2.TPMTPublic{
		Type: tpm2.TPMAlgECC, NameAlg: tpm2.TPMAlgSHA256,
		ObjectAttributes: tpm2.TPMAObject{SignEncrypt: true, FixedTPM: true, FixedParent: true, SensitiveDataOrigin: true, UserWithAuth: true},
		Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
			Symmetric: tpm2.TPMTSymDefObject{Algorithm: tpm2.TPMAlgNull},
			Scheme: tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgECDSA, Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgECDSA,
				&tpm2.TPMSSigSchemeECDSA{HashAlg: tpm2.TPMAlgSHA256})},
			CurveID: tpm2.TPMECCNistP256, KDF: tpm2.TPMTKDFScheme{Scheme: tpm2.TPMAlgNull},
		}),
		Unique: tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
			X: tpm2.TPM2BECCParameter{Buffer: x},
			Y: tpm2.TPM2BECCParameter{Buffer: y},
		}),
	}
	name, err := tpm2.ObjectName(&pub)
	require.NoError(t, err)
	if m.pub != nil {
		m.pub(&pub)
	}
	r := registration{RPID: testRPID, Format: "tpm", Flags: 0x45, ClientDat: cd}
	authData := a.authData(r)
	cdh := sha256.Sum256(cd.bytes())
	extra := sha256.Sum256(append(append([]byte{}, authData...), cdh[:]...))
	certInfo := tpm2.TPMSAttest{
		Magic: tpm2.TPMGeneratedValue, Type: tpm2.TPMSTAttestCertify,
		QualifiedSigner: tpm2.TPM2BName{Buffer: name.Buffer},
		ExtraData:       tpm2.TPM2BData{Buffer: extra[:]},
		ClockInfo:       tpm2.TPMSClockInfo{Clock: 1, ResetCount: 1, RestartCount: 1, Safe: true},
		FirmwareVersion: 0x0001000200030004,
		Attested: tpm2.NewTPMUAttest(tpm2.TPMSTAttestCertify, &tpm2.TPMSCertifyInfo{
			Name: *name, QualifiedName: tpm2.TPM2BName{Buffer: name.Buffer},
		}),
	}
	if m.certInfo != nil {
		m.certInfo(&certInfo)
	}
	certInfoBytes := tpm2.Marshal(certInfo)
	pubArea := tpm2.Marshal(pub)

	// The AIK and its certificate under a test CA.
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	nb, na := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2124, 1, 1, 0, 0, 0, 0, time.UTC)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: nb, NotAfter: na, IsCA: true, BasicConstraintsValid: true,
		Subject: pkix.Name{CommonName: "verifykit test TPM CA", Organization: []string{"verifykit"}}, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	aik, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	dn, err := asn1.Marshal(pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 23, 133, 2, 1}, Value: "id:" + cmp.Or(m.manufacturer, "49465800")}},
		{{Type: asn1.ObjectIdentifier{2, 23, 133, 2, 2}, Value: "SLB9670"}},
		{{Type: asn1.ObjectIdentifier{2, 23, 133, 2, 3}, Value: "id:0D"}},
	})
	require.NoError(t, err)
	san, err := asn1.Marshal([]asn1.RawValue{{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: dn}})
	require.NoError(t, err)
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{2, 23, 133, 8, 3}})
	require.NoError(t, err)
	aikTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), NotBefore: nb, NotAfter: na, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{2, 5, 29, 17}, Critical: true, Value: san},
			{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Value: eku},
		},
	}
	if m.aik != nil {
		m.aik(aikTmpl)
	}
	aikDER, err := x509.CreateCertificate(rand.Reader, aikTmpl, caCert, &aik.PublicKey, caKey)
	require.NoError(t, err)
	stmt := map[string]any{
		"ver": "2.0", "alg": int64(-7), "sig": sign(t, aik, certInfoBytes),
		"x5c": []any{aikDER, caDER}, "certInfo": certInfoBytes, "pubArea": pubArea,
	}
	if m.stmt != nil {
		m.stmt(stmt)
	}
	r.AttStmt = stmt
	obj, cdj := a.attestationObject(t, r)
	return responseJSON(t, a.credID, obj, cdj, "internal"), caDER
}
