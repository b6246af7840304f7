package tokenauth

import (
	"encoding/base64"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// claims is a decoded JSON object (a JWT claims set or a JOSE header)
// whose members are read by exact, case-sensitive name: "SUB" is not sub.
type claims map[string]jsontext.Value

var errClaim = errors.New("claim of the wrong type")

// decodeObject decodes the JSON object b with json/v2, which refuses a
// member name repeated in any object of it (RFC 7519 §4: claim names are
// unique; RFC 7515 §4: so are header names) and invalid UTF-8, rather than
// keeping the last duplicate or replacing the bytes as encoding/json does.
func decodeObject(b []byte) (claims, error) {
	var m claims
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// peekHeader decodes the protected header of a compact JWS without
// verifying anything, to check typ and alg before the JWS is parsed.
func peekHeader(compact string) (claims, error) {
	h, _, ok := strings.Cut(compact, ".")
	if !ok {
		return nil, errors.New("not a compact JWS")
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return nil, err
	}
	return decodeObject(b)
}

// has reports whether name is present (even as null).
func (c claims) has(name string) bool {
	_, ok := c[name]
	return ok
}

// str returns the string member name; ok is false when it is absent. A
// member of another type (null included) is an error.
func (c claims) str(name string) (v string, ok bool, err error) {
	raw, ok := c[name]
	if !ok {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil || len(raw) == 0 || raw[0] != '"' {
		return "", true, errClaim
	}
	return v, true, nil
}

// strs returns the array of strings member name.
func (c claims) strs(name string) (v []string, ok bool, err error) {
	raw, ok := c[name]
	if !ok {
		return nil, false, nil
	}
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &v) != nil {
		return nil, true, errClaim
	}
	return v, true, nil
}

// audience returns aud, a string or an array of strings (RFC 7519 §4.1.3).
func (c claims) audience() ([]string, bool, error) {
	if s, ok, err := c.str("aud"); err == nil {
		if !ok {
			return nil, false, nil
		}
		return []string{s}, true, nil
	}
	return c.strs("aud")
}

// date returns the NumericDate member name (RFC 7519 §2), a JSON number of
// seconds, possibly fractional (truncated to the second).
func (c claims) date(name string) (t time.Time, ok bool, err error) {
	raw, ok := c[name]
	if !ok {
		return time.Time{}, false, nil
	}
	var f float64
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) || json.Unmarshal(raw, &f) != nil {
		return time.Time{}, true, errClaim
	}
	// Bound it far inside time.Time and int64: year ±~10^11 would wrap.
	if math.IsNaN(f) || f <= -1<<40 || f >= 1<<40 {
		return time.Time{}, true, errClaim
	}
	return time.Unix(int64(f), 0), true, nil
}

// object returns the object member name.
func (c claims) object(name string) (claims, bool, error) {
	raw, ok := c[name]
	if !ok {
		return nil, false, nil
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, true, errClaim
	}
	m, err := decodeObject(raw)
	if err != nil {
		return nil, true, errClaim
	}
	return m, true, nil
}
