package passkey

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// diagnose names, for logs and events, the §7.1 step a response that
// go-webauthn refused fails. It decides nothing: go-webauthn has already
// refused the response, and the client sees one vague error whatever the
// reason (SECURITY-CHECKLIST GN-08). Predicates run in the spec's order.
func (e *Engine) diagnose(pcc *protocol.ParsedCredentialCreationData, err error, challenge string, uvRequired bool, params []protocol.CredentialParameter) string {
	c := &pcc.Response.CollectedClientData
	a := &pcc.Response.AttestationObject.AuthData
	rpIDHash := sha256.Sum256([]byte(e.s.rpID))
	var key webauthncose.PublicKeyData
	switch {
	case c.Type != protocol.CreateCeremony: // step 7
		return "webauthn_type"
	case subtle.ConstantTimeCompare([]byte(c.Challenge), []byte(challenge)) != 1: // step 8
		return "webauthn_challenge"
	case c.CrossOrigin && !e.s.allowCrossOrigin: // step 10
		return "webauthn_cross_origin"
	case c.TopOrigin != "" && !c.CrossOrigin: // step 11
		return "webauthn_top_origin"
	//lint:ignore SA1019 go-webauthn v0.18.2 still parses and checks tokenBinding (client.go, Verify); this names that refusal.
	case c.TokenBinding != nil:
		return "webauthn_client_data"
	case !bytes.Equal(a.RPIDHash, rpIDHash[:]): // step 14
		return "webauthn_rp_id"
	case !a.Flags.HasUserPresent(): // step 15
		return "webauthn_user_presence"
	case uvRequired && !a.Flags.HasUserVerified(): // step 16
		return "webauthn_user_verification"
	case webauthncbor.Unmarshal(a.AttData.CredentialPublicKey, &key) != nil || !offered(params, key.Algorithm): // step 20
		return "webauthn_alg"
	case !bytes.Equal(pcc.RawID, a.AttData.CredentialID):
		return "webauthn_credential_id"
	}
	// Steps 21–24: the statement, or its trust path against the metadata.
	for ; err != nil; err = errors.Unwrap(err) {
		if pe, ok := err.(*protocol.Error); ok && pe.Type == protocol.ErrMetadata.Type {
			return "webauthn_metadata"
		}
	}
	return "webauthn_attestation"
}

func offered(params []protocol.CredentialParameter, alg int64) bool {
	for _, p := range params {
		if int64(p.Algorithm) == alg {
			return true
		}
	}
	return false
}
