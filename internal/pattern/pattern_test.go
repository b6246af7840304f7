package pattern

import (
	"strings"
	"testing"
)

// TestSpecPatternsAcceptExactlyWhatTheSpecAllows: Connection is
// ^[a-zA-Z0-9-]+$ of at most 128 characters, IdentityUserId ^\S+$ of at
// most 255 characters (counted as code points) in valid UTF-8.
func TestSpecPatternsAcceptExactlyWhatTheSpecAllows(t *testing.T) {
	for s, want := range map[string]bool{
		"Username-Password-Authentication": true,
		"a":                                true,
		strings.Repeat("c", 128):           true,
		strings.Repeat("c", 129):           false,
		"":                                 false,
		"with space":                       false,
		"under_score":                      false,
		"é":                                false,
	} {
		if got := Connection(s); got != want {
			t.Errorf("Connection(%.20q) = %v, want %v", s, got, want)
		}
	}
	for s, want := range map[string]bool{
		"auth0|507f1f77bcf86cd799439011": true,
		strings.Repeat("é", 255):         true,
		strings.Repeat("é", 256):         false,
		"":                               false,
		"a b":                            false,
		"a\tb":                           false,
		"a\u00a0b":                       false,
		"a\u3000b":                       false,
		"a\ufeffb":                       false,
		"\xff":                           false,
	} {
		if got := Identity(s); got != want {
			t.Errorf("Identity(%.20q) = %v, want %v", s, got, want)
		}
	}
}
