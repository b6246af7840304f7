// Package pattern holds the two string patterns of the My Account API that
// verify, verify/httpapi and password all check, so that they check the
// same thing.
package pattern

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The spec's maxLength of Connection and IdentityUserId.
const (
	MaxConnection = 128
	MaxIdentity   = 255
)

// Connection reports whether s is a Connection: ^[a-zA-Z0-9-]+$, 1 to
// MaxConnection characters.
func Connection(s string) bool {
	return len(s) >= 1 && len(s) <= MaxConnection && strings.IndexFunc(s, NotConnection) < 0
}

// NotConnection matches the characters Connection's pattern excludes.
func NotConnection(c rune) bool {
	return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')
}

// Identity reports whether s is an IdentityUserId: valid UTF-8 of 1 to
// MaxIdentity characters, none of them whitespace (^\S+$).
func Identity(s string) bool {
	n := utf8.RuneCountInString(s)
	return utf8.ValidString(s) && n >= 1 && n <= MaxIdentity && strings.IndexFunc(s, Space) < 0
}

// Space matches the whitespace IdentityUserId's \S excludes: Unicode's,
// and U+FEFF, which JavaScript's \s also matches.
func Space(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' }
