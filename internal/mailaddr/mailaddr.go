// Package mailaddr validates the e-mail addresses that the otp e-mail
// engine sends codes to and that otp/smtpsender puts on an SMTP envelope:
// one rule, so that an address the engine accepts is one the sender
// accepts.
package mailaddr

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// MaxLen is the longest address accepted, in bytes: the 254 of
// RFC 5321 §4.5.3.1.3's 256-octet path minus its angle brackets.
const MaxLen = 254

// maxLocalLen is RFC 5321 §4.5.3.1.1's bound on the local part.
const maxLocalLen = 64

// ErrInvalid is matched by every error of Normalize.
var ErrInvalid = errors.New("otp: invalid e-mail address")

// Normalize validates s as an e-mail address and returns its normalised
// form, the local part unchanged and the domain in lower case.
//
// s must be an RFC 5322 §3.4.1 addr-spec as net/mail parses it, written
// exactly as net/mail prints it back, of at most MaxLen bytes, with
// further restrictions that keep the address safe to put on an SMTP
// envelope and in a header:
//   - printable ASCII only (no space, control character or UTF-8:
//     internationalised addresses of RFC 6531 need SMTPUTF8, which
//     net/smtp does not speak);
//   - no display name, angle brackets, comments or quoted local part;
//   - a local part of 1 to 64 bytes;
//   - a domain name of at least two labels of letters, digits and inner
//     hyphens, 1 to 63 bytes each, the last one not all digits: no domain
//     literal ("[192.0.2.1]") and no bare IP address.
//
// Errors match ErrInvalid and never echo s.
func Normalize(s string) (string, error) {
	if len(s) == 0 || len(s) > MaxLen {
		return "", fmt.Errorf("%w: length %d out of range [1, %d]", ErrInvalid, len(s), MaxLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return "", fmt.Errorf("%w: byte %d is not printable ASCII", ErrInvalid, i)
		}
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", fmt.Errorf("%w: not an RFC 5322 addr-spec", ErrInvalid)
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if len(local) == 0 || len(local) > maxLocalLen {
		return "", fmt.Errorf("%w: local part length %d out of range [1, %d]", ErrInvalid, len(local), maxLocalLen)
	}
	if strings.ContainsAny(local, `"\(),:;<>@[]`) {
		return "", fmt.Errorf("%w: quoted or special local part", ErrInvalid)
	}
	if !hostname(domain) {
		return "", fmt.Errorf("%w: domain is not a host name", ErrInvalid)
	}
	return local + "@" + strings.ToLower(domain), nil
}

// hostname reports whether d is a DNS host name of at least two labels,
// each 1 to 63 letters, digits and inner hyphens, the last not all digits.
func hostname(d string) bool {
	if len(d) > 253 {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}
