package passkey

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"math/big"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// checkJSONCopies checks the members PublicKeyCredential.toJSON() adds to
// a registration's response (WebAuthn §5.1, AuthenticatorAttestationResponseJSON)
// against the attestation object they copy: authenticatorData must be its
// authData byte for byte; publicKey, the credential public key in SPKI DER
// form as getPublicKey() returns it, must be the attested COSE key; and
// publicKeyAlgorithm its COSE algorithm. An absent member is not checked
// (a browser sends no publicKey for an algorithm it cannot express in
// SPKI). A mismatch is verify.ErrInvalidRequest naming the member: the
// client's JSON contradicts its own attestation.
func checkJSONCopies(d *decoded, pcc *protocol.ParsedCredentialCreationData, alg int64) error {
	ao := &pcc.Response.AttestationObject
	if d.authData != nil && !bytes.Equal(d.authData, ao.RawAuthData) {
		return badField(".response.authenticatorData", "/response/authenticatorData", "authenticatorData does not match the attestation object's authData")
	}
	if d.alg != nil && *d.alg != alg {
		return badField(".response.publicKeyAlgorithm", "/response/publicKeyAlgorithm", "publicKeyAlgorithm does not match the attested credential public key")
	}
	if d.publicKey != nil {
		want, err := coseToCrypto(ao.AuthData.AttData.CredentialPublicKey)
		got, perr := x509.ParsePKIXPublicKey(d.publicKey)
		eq, _ := got.(interface{ Equal(crypto.PublicKey) bool })
		if err != nil || perr != nil || eq == nil || !eq.Equal(want) {
			return badField(".response.publicKey", "/response/publicKey", "publicKey does not match the attested credential public key")
		}
	}
	return nil
}

var errCOSE = errors.New("passkey: COSE key has no SPKI form")

// coseToCrypto returns the crypto/* public key of a COSE key that
// checkKey accepted.
func coseToCrypto(cose []byte) (crypto.PublicKey, error) {
	key, err := webauthncose.ParsePublicKey(cose)
	if err != nil {
		return nil, err
	}
	switch k := key.(type) {
	case webauthncose.EC2PublicKeyData:
		var c elliptic.Curve
		switch webauthncose.COSEEllipticCurve(k.Curve) {
		case webauthncose.P256:
			c = elliptic.P256()
		case webauthncose.P384:
			c = elliptic.P384()
		case webauthncose.P521:
			c = elliptic.P521()
		default:
			return nil, errCOSE
		}
		return ecdsa.ParseUncompressedPublicKey(c, append(append([]byte{4}, leftPad(k.XCoord, c)...), leftPad(k.YCoord, c)...))
	case webauthncose.OKPPublicKeyData:
		if len(k.XCoord) != ed25519.PublicKeySize {
			return nil, errCOSE
		}
		return ed25519.PublicKey(k.XCoord), nil
	case webauthncose.RSAPublicKeyData:
		e := new(big.Int).SetBytes(k.Exponent)
		if !e.IsInt64() || e.Int64() > 1<<31-1 {
			return nil, errCOSE
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(k.Modulus), E: int(e.Int64())}, nil
	}
	return nil, errCOSE
}

func leftPad(b []byte, c elliptic.Curve) []byte {
	n := (c.Params().BitSize + 7) / 8
	if len(b) >= n {
		return b
	}
	return append(make([]byte, n-len(b)), b...)
}
