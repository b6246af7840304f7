package otp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"

	"github.com/verifykit/verifykit/verify"
)

// Recovery codes.
const (
	// recoveryCodeAlphabet is Crockford's base32 alphabet: digits and upper
	// case letters without I, L, O and U, so that no two symbols are easily
	// confused. 32 symbols: 5 bits each.
	recoveryCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	// recoveryCodeLen is the length of a recovery code in symbols.
	recoveryCodeLen = 24
	// recoveryCodeBits is the entropy of a recovery code: 24 symbols × 5
	// bits = 120 bits, above the 112 bits at which NIST SP 800-63B §5.1.2.2
	// allows a fast (unsalted, unstretched) hash.
	recoveryCodeBits = recoveryCodeLen * 5
	// minHashKeySize is the minimum length of a keyed-hash key: 256 bits.
	minHashKeySize = 32
	// maxRecoveryInput bounds the client input read at sign-in: the
	// code with a separator between every two symbols, and some slack.
	maxRecoveryInput = 2*recoveryCodeLen + 16
)

// recoveryDomain separates recovery-code hashes from every other use of the
// hash key.
const recoveryDomain = "verifykit/otp/recovery-code/v1"

// RecoveryCodeConfig configures a RecoveryCode engine.
type RecoveryCodeConfig struct {
	// HashKey keys the HMAC-SHA256 under which codes are kept: at least
	// 32 random bytes, shared by every server process and
	// kept out of the store (like the sealing keys). Required. Changing it
	// invalidates every recovery code issued under the old key.
	HashKey []byte
}

// RecoveryCode is the engine of verify.TypeRecoveryCode: Start issues one
// code, shown to the user once; Confirm records that the user acknowledged
// it; at sign-in (verify.Engine, in signin.go) Authenticate checks it
// and replaces it with a new one. It is immutable and safe for concurrent
// use.
type RecoveryCode struct {
	key []byte
}

var _ verify.Engine = (*RecoveryCode)(nil)

// NewRecoveryCode validates cfg and returns a RecoveryCode engine.
func NewRecoveryCode(cfg RecoveryCodeConfig) (*RecoveryCode, error) {
	if len(cfg.HashKey) < minHashKeySize {
		return nil, configErrorf("HashKey of %d bytes is shorter than %d", len(cfg.HashKey), minHashKeySize)
	}
	return &RecoveryCode{key: bytes.Clone(cfg.HashKey)}, nil
}

// Type returns verify.TypeRecoveryCode.
func (e *RecoveryCode) Type() verify.Type { return verify.TypeRecoveryCode }

// Start draws a code of 24 symbols of Crockford's base32 alphabet (0-9 and
// A-Z without I, L, O, U) from crypto/rand (120 bits) and returns it in
// Challenge.RecoveryCode. Only its keyed hash, bound to the method id, is
// sealed into the auth_session; the code itself is never kept.
func (e *RecoveryCode) Start(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	if req.MethodID == "" {
		return nil, errors.New("otp: recovery-code start without a method id")
	}
	code, err := randomSymbols(recoveryCodeAlphabet, recoveryCodeLen)
	if err != nil {
		return nil, err
	}
	h := e.hash(req.MethodID, code)
	return &verify.Challenge{State: encodeState(h[:]), RecoveryCode: code}, nil
}

// Confirm records that the user has the code: the enrollment's verify
// carries only the auth_session, so there is nothing to check but the
// sealed state, and nothing is consumed (SECURITY-CHECKLIST RC-08; the
// service makes the auth_session single use). It returns the keyed hash in
// Confirmation.Secret, which is all the store keeps.
func (e *RecoveryCode) Confirm(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	if p, one := req.Request.Proof(); !one || p != "" {
		return nil, verify.InvalidField("auth_session", "", "recovery-code takes only auth_session")
	}
	h, err := decodeState(req.State, sha256.Size)
	if err != nil || len(h) != sha256.Size {
		return nil, invalidState("recovery_code_state")
	}
	return &verify.Confirmation{Secret: h}, nil
}

// hash is the stored form of a recovery code: HMAC-SHA256 under the hash
// key of the domain, the method id (a per-method salt: equal codes of two
// methods hash differently) and the normalised code.
func (e *RecoveryCode) hash(methodID, code string) [sha256.Size]byte {
	return keyedHash(e.key, recoveryDomain, methodID, code)
}

// normalizeRecoveryCode returns code in the form Start issues, and whether
// it is a well-formed recovery code. Pinned rules (RC-05): ASCII only;
// '-' and ' ' anywhere are removed; letters are upper-cased; Crockford's
// look-alikes are read as what they resemble (O as 0, I and L as 1); the
// result must be recoveryCodeLen symbols of recoveryCodeAlphabet. So
// "abcd-efgh…" and "ABCDEFGH…" are the same code. Inputs longer than
// 2×recoveryCodeLen+16 bytes are rejected unread.
func normalizeRecoveryCode(code string) (string, bool) {
	if len(code) > maxRecoveryInput {
		return "", false
	}
	var out [recoveryCodeLen]byte
	n := 0
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == '-' || c == ' ':
			continue
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		switch c {
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		}
		if !isRecoverySymbol(c) || n == recoveryCodeLen {
			return "", false
		}
		out[n] = c
		n++
	}
	if n != recoveryCodeLen {
		return "", false
	}
	return string(out[:]), true
}

func isRecoverySymbol(c byte) bool {
	return ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U')
}
