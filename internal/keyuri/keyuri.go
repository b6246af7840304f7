// Package keyuri writes the parts of otpauth:// Key URIs (the Google
// Authenticator Key URI format) that the TOTP and push engines share: the
// account shown for a user, the "issuer:account" label, and percent-encoded
// components.
package keyuri

import (
	"strings"
	"unicode"

	"github.com/verifykit/verifykit/verify"
)

// Account is the label's account for sub: its Email, else Username, else
// ID.
func Account(sub verify.Subject) string {
	switch {
	case sub.Email != "":
		return sub.Email
	case sub.Username != "":
		return sub.Username
	}
	return sub.ID
}

// WriteLabel writes the label "issuer:account", each part percent-encoded.
// Authenticator apps split the label at its first colon, even an encoded
// one, so a ':' or control character in account becomes '_', and invalid
// UTF-8 becomes U+FFFD (SECURITY-CHECKLIST TO-11: an account cannot inject
// a secret or an issuer).
func WriteLabel(b *strings.Builder, issuer, account string) {
	Escape(b, issuer)
	b.WriteByte(':')
	Escape(b, labelSafe(account))
}

func labelSafe(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == ':' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, s)
}

// Escape writes s percent-encoded, keeping only RFC 3986 unreserved
// characters and '@', so that ':', '?', '&', '=' and '#' cannot end a label
// or a query value.
func Escape(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', c == '@':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0x0f])
		}
	}
}
