package passkey

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/verifykit/verifykit/verify"
)

// fuzzCheck is the invariant of every fuzz target: no panic; an error is a
// client error (never an internal one) with no confirmation; a confirmation
// carries a credential id equal to the rawId sent, at most 1023 bytes, and
// a COSE key.
func fuzzCheck(t *testing.T, c *verify.Confirmation, err error, rawID []byte) {
	if err != nil {
		if c != nil {
			t.Fatalf("error %v with a confirmation", err)
		}
		if verify.Kind(err) == nil {
			t.Fatalf("internal error for client bytes: %v", err)
		}
		return
	}
	cred := c.Method.WebAuthn
	if cred == nil || !bytes.Equal(cred.CredentialID, rawID) || len(cred.CredentialID) > maxCredentialIDLength || len(cred.PublicKey) == 0 {
		t.Fatalf("bad confirmation %+v", cred)
	}
}

// FuzzAttestationObject fuzzes the attestationObject of V-none's ceremony
// (CBOR, authData, COSE key, attestation statement), seeded with every
// known-answer attestation object.
//
// Checklist: FZ-02.
func FuzzAttestationObject(f *testing.F) {
	n := newVNone(f)
	for _, r := range n.v.Registrations {
		f.Add(unhex(f, r.AttestationObject))
	}
	for _, g := range loadGenerated(f).Registrations {
		var w struct {
			Response struct {
				AttestationObject string `json:"attestationObject"`
			} `json:"response"`
		}
		if err := json.Unmarshal(g.Response, &w); err == nil {
			if b, err := b64.DecodeString(w.Response.AttestationObject); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte{0x9B, 0x00, 0x00, 0x42, 0xFA, 0x42, 0xFA, 0x42, 0xFA, 0x42})
	f.Add([]byte{0xBF, 0x63, 0x66, 0x6D, 0x74, 0x64, 0x6E, 0x6F, 0x6E, 0x65, 0xFF})
	h := n.harness(f, nil)
	st := n.state(h)
	f.Fuzz(func(t *testing.T, obj []byte) {
		if len(obj) > defaultMaxAttestationObject*3/4 {
			return
		}
		c, err := h.confirmT(t, st, alice, n.body(t, nil, obj))
		fuzzCheck(t, c, err, n.id)
	})
}

// FuzzClientDataJSON fuzzes the clientDataJSON of V-none's ceremony,
// seeded with every known-answer clientDataJSON.
//
// Checklist: FZ-02.
func FuzzClientDataJSON(f *testing.F) {
	n := newVNone(f)
	for _, r := range n.v.Registrations {
		f.Add(unhex(f, r.ClientDataJSON))
	}
	f.Add(append([]byte{0xEF, 0xBB, 0xBF}, n.cdj...))
	f.Add([]byte(`{"type":"webauthn.create","type":"webauthn.get"}`))
	h := n.harness(f, nil)
	st := n.state(h)
	f.Fuzz(func(t *testing.T, cdj []byte) {
		if len(cdj) > defaultMaxClientDataJSON*3/4 {
			return
		}
		c, err := h.confirmT(t, st, alice, n.body(t, cdj, nil))
		fuzzCheck(t, c, err, n.id)
	})
}

// FuzzAuthnResponse fuzzes the whole authn_response JSON, seeded with the
// known-answer responses.
//
// Checklist: CB-11, FZ-01.
func FuzzAuthnResponse(f *testing.F) {
	n := newVNone(f)
	f.Add([]byte(n.body(f, nil, nil)))
	for _, g := range loadGenerated(f).Registrations {
		f.Add([]byte(g.Response))
	}
	h := n.harness(f, nil)
	st := n.state(h)
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := h.confirmT(t, st, alice, body)
		if err == nil {
			var w struct {
				RawID string `json:"rawId"`
			}
			if json.Unmarshal(body, &w) != nil {
				t.Fatal("accepted a body that is not JSON")
			}
			id, derr := b64.DecodeString(w.RawID)
			if derr != nil {
				t.Fatal("accepted a bad rawId")
			}
			fuzzCheck(t, c, err, id)
			return
		}
		fuzzCheck(t, c, err, nil)
	})
}
