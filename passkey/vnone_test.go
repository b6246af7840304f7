package passkey

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// vnone is the §16 none.ES256 vector (V-none), the baseline of the
// mutation tests: nothing signs its clientDataJSON or authData, so each
// mutation exercises exactly one check.
type vnone struct {
	v        *w3cVectors
	r        w3cVector
	id       []byte
	cdj      []byte
	stmt     cbor.RawMessage
	authData []byte
}

func newVNone(t testing.TB) *vnone {
	t.Helper()
	v := loadW3C(t)
	r := v.get(t, "NoneES256")
	_, stmt, ad := r.parts(t)
	return &vnone{v: v, r: r, id: unhex(t, r.CredentialID), cdj: unhex(t, r.ClientDataJSON), stmt: stmt, authData: ad}
}

// harness is a webauthn-platform engine for example.org with user
// verification preferred (V-none has UV=0).
func (n *vnone) harness(t testing.TB, mutate func(*Config)) *harness {
	return w3cHarness(t, n.v, n.r, mutate)
}

func (n *vnone) state(h *harness) sealedState { return h.stateFor(n.r.challenge(h.t)) }

// clientData returns V-none's clientDataJSON as a JSON object to edit.
func (n *vnone) clientData(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(n.cdj, &m))
	return m
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// attObj encodes an attestation object with V-none's parts, replaced by
// the non-nil arguments.
func (n *vnone) attObj(t testing.TB, format any, stmt any, authData any) []byte {
	t.Helper()
	if format == nil {
		format = "none"
	}
	if stmt == nil {
		stmt = n.stmt
	}
	if authData == nil {
		authData = n.authData
	}
	b, err := ctap2.Marshal(map[string]any{"fmt": format, "attStmt": stmt, "authData": authData})
	require.NoError(t, err)
	return b
}

// body is V-none as an authn_response with the given parts (nil: V-none's).
func (n *vnone) body(t testing.TB, cdj, attObj []byte) jsontext.Value {
	t.Helper()
	if cdj == nil {
		cdj = n.cdj
	}
	if attObj == nil {
		attObj = unhex(t, n.r.AttestationObject)
	}
	return responseJSON(t, n.id, attObj, cdj)
}

// withFlags is V-none's authData with the flags byte replaced.
func (n *vnone) withFlags(flags byte) []byte {
	ad := bytes.Clone(n.authData)
	ad[32] = flags
	return ad
}

// confirm runs V-none's ceremony with body on a fresh harness.
func (n *vnone) confirm(t testing.TB, body jsontext.Value, mutate func(*Config)) (*verify.Confirmation, error) {
	t.Helper()
	h := n.harness(t, mutate)
	return h.confirm(n.state(h), alice, body)
}

// refused asserts err is the vague proof error with the given reason.
func refused(t testing.TB, err error, reason string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, verify.ErrInvalidProof, "err = %v", err)
	assert.Equal(t, reason, verify.ReasonOf(err))
	var e *verify.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "The authenticator response could not be verified", e.Detail, "GN-08: one message for every proof failure")
}

// malformed asserts err is an invalid-request error naming field.
func malformed(t testing.TB, err error, field string) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, verify.ErrInvalidRequest, "err = %v", err)
	var e *verify.Error
	require.ErrorAs(t, err, &e)
	require.Len(t, e.Fields, 1)
	assert.Equal(t, field, e.Fields[0].Field)
}

func sha256Sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }
