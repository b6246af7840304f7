package passkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// mdsSigner signs MDS3 BLOBs under a test root, as the FIDO Alliance signs
// the real one under GlobalSign Root R46.
type mdsSigner struct {
	rootDER []byte
	leafDER []byte
	key     *ecdsa.PrivateKey
}

func newMDSSigner(t testing.TB) *mdsSigner {
	t.Helper()
	rk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	nb, na := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2124, 1, 1, 0, 0, 0, 0, time.UTC)
	rt := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: nb, NotAfter: na, IsCA: true, BasicConstraintsValid: true,
		Subject: pkix.Name{CommonName: "verifykit test MDS root"}, KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rt, rt, &rk.PublicKey, rk)
	require.NoError(t, err)
	root, err := x509.ParseCertificate(rootDER)
	require.NoError(t, err)
	lk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	lt := &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: nb, NotAfter: na,
		Subject: pkix.Name{CommonName: "verifykit test MDS signer"}, KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, lt, root, &lk.PublicKey, rk)
	require.NoError(t, err)
	return &mdsSigner{rootDER: rootDER, leafDER: leafDER, key: lk}
}

func (s *mdsSigner) root() string { return base64.StdEncoding.EncodeToString(s.rootDER) }

// blob signs payload as an ES256 JWS with the x5c header [leaf, root].
func (s *mdsSigner) blob(t testing.TB, payload any) []byte {
	t.Helper()
	std := base64.StdEncoding.EncodeToString
	hdr := mustJSON(t, map[string]any{"alg": "ES256", "typ": "JWT", "x5c": []string{std(s.leafDER), std(s.rootDER)}})
	signing := b64.EncodeToString(hdr) + "." + b64.EncodeToString(mustJSON(t, payload))
	d := sha256.Sum256([]byte(signing))
	r, sv, err := ecdsa.Sign(rand.Reader, s.key, d[:])
	require.NoError(t, err)
	sig := append(r.FillBytes(make([]byte, 32)), sv.FillBytes(make([]byte, 32))...)
	return []byte(signing + "." + b64.EncodeToString(sig))
}

// mdsPayload lists one entry: the generated packed x5c authenticator,
// whose attestations chain to root, with the given status.
func mdsPayload(t testing.TB, aaguid string, root []byte, status string) map[string]any {
	t.Helper()
	return map[string]any{
		"legalHeader": "test", "no": 42, "nextUpdate": "2026-07-01",
		"entries": []any{map[string]any{
			"aaguid": aaguid,
			"metadataStatement": map[string]any{
				"aaguid": aaguid, "description": "verifykit test authenticator", "protocolFamily": "fido2", "schema": 3,
				"attestationTypes":            []string{"basic_full"},
				"attestationRootCertificates": []string{base64.StdEncoding.EncodeToString(root)},
			},
			"statusReports":          []any{map[string]any{"status": status, "effectiveDate": "2025-01-01"}},
			"timeOfLastStatusChange": "2025-01-01",
		}},
	}
}

// runMetadataBlob: SECURITY-CHECKLIST AF-14 and WA-23 (d) with a real MDS3
// BLOB, loaded by LoadMetadata and used as TrustPolicy.Metadata.
func runMetadataBlob(t *testing.T) {
	g := loadGenerated(t).get(t, "packed-x5c-es256")
	var w struct {
		Response struct {
			AttestationObject string `json:"attestationObject"`
		} `json:"response"`
	}
	require.NoError(t, json.Unmarshal(g.Response, &w))
	obj, err := b64.DecodeString(w.Response.AttestationObject)
	require.NoError(t, err)
	var parts struct {
		AuthData []byte `cbor:"authData"`
	}
	require.NoError(t, cborMode.Unmarshal(obj, &parts))
	aaguid := uuidOf(t, parts.AuthData[37:53]).String()
	root := unhex(t, g.Root)
	challenge, err := b64.DecodeString(g.Challenge)
	require.NoError(t, err)
	s := newMDSSigner(t)
	opts := MetadataOptions{RootCertificate: s.root(), Now: fixedClock}

	confirm := func(t *testing.T, md *Metadata, require bool) error {
		h := newHarness(t, verify.TypeWebAuthnRoaming, func(c *Config) {
			c.Trust = TrustPolicy{Metadata: md, RequireTrustedAttestation: require}
		})
		_, err := h.confirm(h.stateFor(challenge), alice, g.Response)
		return err
	}

	t.Run("certified", func(t *testing.T) {
		md, err := LoadMetadata(s.blob(t, mdsPayload(t, aaguid, root, "FIDO_CERTIFIED_L1")), opts)
		require.NoError(t, err)
		assert.Equal(t, 42, md.Number)
		assert.Equal(t, 1, md.Entries)
		assert.Equal(t, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), md.NextUpdate)
		require.NoError(t, confirm(t, md, true))
	})
	for _, status := range []string{"REVOKED", "ATTESTATION_KEY_COMPROMISE", "USER_VERIFICATION_BYPASS", "USER_KEY_REMOTE_COMPROMISE", "USER_KEY_PHYSICAL_COMPROMISE"} {
		t.Run(status, func(t *testing.T) {
			md, err := LoadMetadata(s.blob(t, mdsPayload(t, aaguid, root, status)), opts)
			require.NoError(t, err)
			refused(t, confirm(t, md, false), "webauthn_metadata")
		})
	}
	t.Run("other root", func(t *testing.T) {
		md, err := LoadMetadata(s.blob(t, mdsPayload(t, aaguid, s.rootDER, "FIDO_CERTIFIED")), opts)
		require.NoError(t, err)
		refused(t, confirm(t, md, false), "webauthn_metadata")
	})
	t.Run("no entry", func(t *testing.T) {
		md, err := LoadMetadata(s.blob(t, mdsPayload(t, "00000000-0000-0000-0000-000000000001", root, "FIDO_CERTIFIED")), opts)
		require.NoError(t, err)
		require.NoError(t, confirm(t, md, false), "an AAGUID without an entry passes the provider")
		refused(t, confirm(t, md, true), "webauthn_untrusted_attestation")
	})

	good := s.blob(t, mdsPayload(t, aaguid, root, "FIDO_CERTIFIED"))
	t.Run("broken signature", func(t *testing.T) {
		bad := []byte(string(good))
		bad[len(bad)-10] ^= 0x01
		_, err := LoadMetadata(bad, opts)
		require.ErrorIs(t, err, ErrMetadata)
	})
	t.Run("signed under another root", func(t *testing.T) {
		_, err := LoadMetadata(newMDSSigner(t).blob(t, mdsPayload(t, aaguid, root, "FIDO_CERTIFIED")), opts)
		require.ErrorIs(t, err, ErrMetadata)
		// Not under the FIDO production root either (the default).
		_, err = LoadMetadata(good, MetadataOptions{Now: fixedClock})
		require.ErrorIs(t, err, ErrMetadata)
	})
	t.Run("corrupt", func(t *testing.T) {
		for _, b := range [][]byte{nil, []byte("x"), []byte("a.b.c"), good[:len(good)/2], append([]byte("{"), good...)} {
			_, err := LoadMetadata(b, opts)
			require.ErrorIs(t, err, ErrMetadata)
		}
		for i := 0; i < len(good); i += 7 {
			b := []byte(string(good))
			b[i] ^= 0x20
			md, err := LoadMetadata(b, opts)
			if err == nil {
				assert.NotNil(t, md) // a flip the base64 decoder ignores
			}
		}
	})
	t.Run("stale", func(t *testing.T) {
		late := MetadataOptions{RootCertificate: s.root(), Now: func() time.Time { return time.Date(2026, 7, 3, 0, 0, 0, 0, time.UTC) }}
		_, err := LoadMetadata(good, late)
		require.ErrorIs(t, err, ErrMetadata)
		late.AllowStale = true
		_, err = LoadMetadata(good, late)
		require.NoError(t, err)
	})
	t.Run("file and PEM root", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "blob.jwt")
		require.NoError(t, os.WriteFile(path, good, 0o600))
		pemRoot := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.rootDER}))
		md, err := LoadMetadataFile(path, MetadataOptions{RootCertificate: pemRoot, Now: fixedClock})
		require.NoError(t, err)
		assert.Equal(t, 1, md.Entries)
		_, err = LoadMetadataFile(filepath.Join(t.TempDir(), "missing"), opts)
		require.ErrorIs(t, err, ErrMetadata)
		_, err = LoadMetadata(good, MetadataOptions{RootCertificate: "not a certificate!"})
		require.ErrorIs(t, err, ErrMetadata)
	})
}
