package otp

// Shared helpers of the engines of this package. They are small on purpose
// and documented so that every engine here (TOTP, recovery codes, and the
// e-mailed and texted codes) handles secrets the same way:
//
//   - configError / ErrConfig: configuration errors that name the range;
//   - invalidProof: the one vague client error for a wrong code;
//   - readDigits: the pinned input rule for numeric codes;
//   - keyedHash: the domain-separated keyed hash under which codes are kept;
//   - randomSymbols: uniform random codes from crypto/rand;
//   - encodeState / decodeState: a sealed state that is one base64url string.
//
// Every comparison of a secret value is subtle.ConstantTimeCompare over
// fixed-length values; none of these helpers compares secrets itself.

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/verify"
)

// ErrConfig is matched (errors.Is) by every error the New… constructors of
// this package return for a bad Config. The error's message names the
// field and its allowed range.
var ErrConfig = errors.New("otp: invalid config")

// configError is an ErrConfig with its own message, so that the message
// reads "otp: Skew 5 out of range [0, 2]" rather than a chain of prefixes.
type configError struct{ msg string }

func (e *configError) Error() string        { return e.msg }
func (e *configError) Is(target error) bool { return target == ErrConfig }

// configErrorf returns an ErrConfig whose message is "otp: " + the
// formatted text.
func configErrorf(format string, args ...any) error {
	return &configError{msg: "otp: " + fmt.Sprintf(format, args...)}
}

// detailInvalidCode is the client-facing text of every invalid-proof error
// of this package. It is one constant so that a wrong code, a malformed
// code and a replayed code are indistinguishable to the client
// (SECURITY-CHECKLIST TO-13); the Reason tells them apart in logs.
const detailInvalidCode = "The code is invalid"

// invalidProof returns the verify.ErrInvalidProof error of this package
// with the machine reason code reason (for logs and events only).
func invalidProof(reason string) error {
	return verify.NewError(verify.ErrInvalidProof, reason, detailInvalidCode)
}

// invalidState returns the error for a sealed state the engine cannot read.
// The seal authenticated it, so this means a state from another engine
// version or a key shared with another product: the client can only start
// again.
func invalidState(reason string) error {
	return verify.NewError(verify.ErrInvalidSession, reason, "The auth_session is invalid")
}

// readDigits copies code into dst if code is exactly n ASCII digits
// '0'…'9' and reports whether it did. Nothing else is accepted: no
// surrounding or inner whitespace, no sign, no Unicode digits (so
// "１２３４５６" fails); the caller (a UI) strips what it displays as
// grouping. dst must have room for n bytes. The check does not depend on
// any secret, so it may exit early.
func readDigits(dst []byte, code string, n int) bool {
	if len(code) != n || len(dst) < n {
		return false
	}
	for i := 0; i < n; i++ {
		c := code[i]
		if c < '0' || c > '9' {
			return false
		}
		dst[i] = c
	}
	return true
}

// keyedHash returns HMAC-SHA256 under key of domain and parts, each
// preceded by its length as a big-endian uint32, so that no two different
// (domain, parts) sequences hash the same input. domain separates uses of
// one key ("verifykit/otp/recovery-code/v1"); parts bind the hash to its
// context (a method id) and carry the normalised code. Codes are kept only
// in this form: the key is needed to test a guess, so a copy of the store
// alone gives nothing to brute-force offline.
func keyedHash(key []byte, domain string, parts ...string) [sha256.Size]byte {
	mac := hmac.New(sha256.New, key)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(domain)))
	mac.Write(n[:])
	mac.Write([]byte(domain))
	for _, p := range parts {
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		mac.Write(n[:])
		mac.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	mac.Sum(sum[:0])
	return sum
}

// randomSymbols returns n symbols drawn uniformly and independently from
// alphabet (2 to 256 distinct ASCII symbols) with crypto/rand. Bytes at or
// above the largest multiple of len(alphabet) are rejected, so there is no
// modulo bias; each symbol carries log2(len(alphabet)) bits.
func randomSymbols(alphabet string, n int) (string, error) {
	a := len(alphabet)
	if a < 2 || a > 256 || n < 0 {
		return "", fmt.Errorf("otp: randomSymbols: bad alphabet size %d or length %d", a, n)
	}
	limit := 256 - 256%a // accept bytes in [0, limit)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/2+8)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("otp: random: %w", err)
		}
		for _, c := range buf {
			if int(c) < limit && len(out) < n {
				out = append(out, alphabet[int(c)%a])
			}
		}
	}
	return string(out), nil
}

// stateEncoding encodes sealed engine states: base64url without padding,
// strict (one encoding per byte string).
var stateEncoding = base64.RawURLEncoding.Strict()

// encodeState returns b as the Challenge.State of an engine whose whole
// pending state is one byte string. It becomes a JSON string in the sealed
// auth_session.
func encodeState(b []byte) string { return stateEncoding.EncodeToString(b) }

// decodeState decodes the sealed state raw, the JSON string made by
// encodeState, and returns its bytes. It fails for anything else: a value
// that is not a JSON string (null included), a string not in
// stateEncoding, or one that decodes to more than maxLen bytes (checked
// before decoding).
func decodeState(raw jsontext.Value, maxLen int) ([]byte, error) {
	// json/v2 reads null into a string as "": refuse it first.
	if raw.Kind() != '"' {
		return nil, errors.New("otp: state is not a JSON string")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("otp: state: %w", err)
	}
	if stateEncoding.DecodedLen(len(s)) > maxLen {
		return nil, fmt.Errorf("otp: state longer than %d bytes", maxLen)
	}
	b, err := stateEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("otp: state: %w", err)
	}
	return b, nil
}
