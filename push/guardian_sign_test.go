package push_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"

	"github.com/verifykit/verifykit/push/devicetest"
)

// signRS256 returns the base64url RS256 signature of in by d's key.
func signRS256(d *devicetest.Device, in string) (string, error) {
	digest := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, d.Key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sig), nil
}
