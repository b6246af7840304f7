package passkey

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/big"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// The fuzz targets of the two parsers inside the attestation object that
// FuzzAttestationObject reaches only through a CBOR wrapper it must keep
// intact: the authenticator data (WebAuthn §6.1) and the credential public
// key (a COSE_Key, §6.5.1.1). SECURITY-CHECKLIST FZ-02.

// seedAuthData returns the authenticator data of every registration in
// testdata/: the W3C §16 vectors, the go-webauthn real-authenticator
// registrations, this package's generated registrations, and the
// malformed Firefox 117 authData.
func seedAuthData(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for _, r := range loadW3C(t).Registrations {
		_, _, ad := r.parts(t)
		out = append(out, ad)
	}
	fromResponse := func(resp jsontext.Value) {
		var w struct {
			Response struct {
				AttestationObject string `json:"attestationObject"`
			} `json:"response"`
		}
		if json.Unmarshal(resp, &w) != nil {
			return
		}
		// Some real responses are padded or standard base64.
		s := strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(w.Response.AttestationObject), "=")
		obj, err := b64.DecodeString(s)
		if err != nil {
			return
		}
		var o struct {
			AuthData []byte `cbor:"authData"`
		}
		if cbor.Unmarshal(obj, &o) == nil && len(o.AuthData) > 0 {
			out = append(out, o.AuthData)
		}
	}
	for _, r := range loadReal(t) {
		fromResponse(r.Response)
	}
	for _, g := range loadGenerated(t).Registrations {
		fromResponse(g.Response)
	}
	ff, err := os.ReadFile("testdata/firefox117-authdata.hex")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, unhex(t, strings.TrimSpace(string(ff))))
	if len(out) < 20 {
		t.Fatalf("only %d authData seeds", len(out))
	}
	return out
}

// coseKeyOf returns the bytes after the credential id of authData with the
// AT flag, however malformed they are, or nil.
func coseKeyOf(ad []byte) []byte {
	if len(ad) < 55 || ad[32]&0x40 == 0 {
		return nil
	}
	n := int(binary.BigEndian.Uint16(ad[53:55]))
	if len(ad) < 55+n {
		return nil
	}
	var a protocol.AuthenticatorData
	if a.Unmarshal(ad) == nil {
		return a.AttData.CredentialPublicKey
	}
	return ad[55+n:]
}

// FuzzAuthData fuzzes the authenticator data: through go-webauthn's
// AuthenticatorData.Unmarshal, which the engine's Parse calls, and through
// the engine as the authData of V-none's "none" attestation object, which
// nothing signs, so every byte is reachable. Invariants: no panic; a parse
// that succeeds reports exactly the bytes it was given (rpIdHash, flags,
// counter, AAGUID, a credential id of at most 1023 bytes); the engine
// answers a client error and no confirmation, or a confirmation whose
// credential, key and counter are those of the bytes.
//
// Checklist: FZ-02.
func FuzzAuthData(f *testing.F) {
	seeds := seedAuthData(f)
	for _, ad := range seeds {
		f.Add(ad)
	}
	n := newVNone(f)
	f.Add(n.withFlags(0x45))
	f.Add(n.withFlags(0xC5))                     // ED set, no extensions
	f.Add(append(bytes.Clone(n.authData), 0xA0)) // an empty extensions map without ED
	f.Add(n.authData[:37])
	h := n.harness(f, nil)
	st := n.state(h)
	f.Fuzz(func(t *testing.T, ad []byte) {
		if len(ad) > defaultMaxAttestationObject/2 {
			return // beyond what fits the attestationObject limit
		}
		var a protocol.AuthenticatorData
		parsed := a.Unmarshal(ad) == nil
		if parsed {
			if !bytes.Equal(a.RPIDHash, ad[:32]) || byte(a.Flags) != ad[32] || a.Counter != binary.BigEndian.Uint32(ad[33:37]) {
				t.Fatalf("parsed header differs from the bytes")
			}
			if a.Flags.HasAttestedCredentialData() {
				id := a.AttData.CredentialID
				if len(id) > maxCredentialIDLength || !bytes.Equal(a.AttData.AAGUID, ad[37:53]) || !bytes.Equal(id, ad[55:55+len(id)]) {
					t.Fatalf("parsed attested credential data differs from the bytes")
				}
			}
		}
		c, err := h.confirmT(t, st, alice, n.body(t, nil, n.attObj(t, nil, nil, ad)))
		fuzzCheck(t, c, err, n.id)
		if err != nil {
			return
		}
		if !parsed {
			t.Fatalf("the engine accepted authData go-webauthn cannot parse")
		}
		w := c.Method.WebAuthn
		if !bytes.Equal(w.PublicKey, a.AttData.CredentialPublicKey) || w.SignCount != a.Counter || c.Counter != int64(a.Counter) {
			t.Fatalf("confirmation %+v does not match the authData", w)
		}
	})
}

// FuzzCOSEKey fuzzes the credential public key: through checkKey, the
// engine's key check over go-webauthn's webauthncose.ParsePublicKey, and
// through the engine as the key of V-none's authData. Seeds are the keys
// of every registration in testdata/. Invariants: no panic; checkKey
// accepts only what ParsePublicKey parses, with an offered algorithm and
// RSA moduli of at least minRSABits; the engine confirms a key only if
// checkKey accepts it, and stores it byte for byte.
//
// Checklist: FZ-02.
func FuzzCOSEKey(f *testing.F) {
	for _, ad := range seedAuthData(f) {
		if k := coseKeyOf(ad); k != nil {
			f.Add(k)
		}
	}
	n := newVNone(f)
	key := coseKeyOf(n.authData)
	if key == nil {
		f.Fatal("V-none has no credential key")
	}
	prefix := n.authData[:len(n.authData)-len(key)]
	f.Add([]byte{0xA1, 0x01, 0x02})                                     // kty EC2 and nothing else
	f.Add([]byte{0xA4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x40}) // OKP Ed25519 with an empty x
	h := n.harness(f, func(c *Config) {
		c.Algorithms = []int64{AlgEdDSA, AlgES256, AlgES384, AlgES512, AlgPS256, AlgRS256}
	})
	st := n.state(h)
	f.Fuzz(func(t *testing.T, k []byte) {
		if len(k) > defaultMaxAttestationObject/2 {
			return
		}
		alg, kerr := checkKey(k)
		if kerr == nil {
			pk, err := webauthncose.ParsePublicKey(k)
			if err != nil || pk == nil || alg == 0 {
				t.Fatalf("checkKey accepted a key go-webauthn refuses (alg %d): %v", alg, err)
			}
			if rsa, ok := pk.(webauthncose.RSAPublicKeyData); ok && new(big.Int).SetBytes(rsa.Modulus).BitLen() < minRSABits {
				t.Fatalf("checkKey accepted an RSA key under %d bits", minRSABits)
			}
		} else if alg != 0 {
			t.Fatalf("checkKey failed with algorithm %d", alg)
		}
		ad := append(bytes.Clone(prefix), k...)
		c, err := h.confirmT(t, st, alice, n.body(t, nil, n.attObj(t, nil, nil, ad)))
		fuzzCheck(t, c, err, n.id)
		if err != nil {
			return
		}
		if kerr != nil {
			t.Fatalf("the engine confirmed a key checkKey refuses: %v", kerr)
		}
		if !bytes.Equal(c.Method.WebAuthn.PublicKey, k) || c.Method.WebAuthn.Algorithm != alg {
			t.Fatalf("the stored key or algorithm differs from the one sent")
		}
		if !slices.Contains(h.e.s.algs, alg) {
			t.Fatalf("confirmed a key of algorithm %d, which was not offered", alg)
		}
	})
}
