package password

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// TestLengthIsCountedAsTyped: min_length and the 256-character maximum
// count the password as typed (code points after NFC), not after NFKC:
// U+FDFA is one character, 18 after NFKC, and never meets a minimum of
// 15 alone; a decomposed é counts once (issue 16 item 4).
func TestLengthIsCountedAsTyped(t *testing.T) { // AB-09
	f := newFixture(t, Config{})
	require.Equal(t, 15, f.eng.policy.Complexity.MinLength)
	tests := []struct {
		name string
		pw   string
		rule Rule // "" for accepted; RuleMaxLength stands for the 400 on new_password
	}{
		{"U+FDFA alone", "\ufdfa", RuleMinLength},
		{"U+FDFA and 13 letters", "\ufdfa" + "tangerinequar", RuleMinLength},
		{"U+FDFA and 14 letters", "\ufdfa" + "tangerinequart", ""},
		{"8 decomposed é", strings.Repeat("e\u0301", 8), RuleMinLength},
		{"15 decomposed é", strings.Repeat("e\u0301", 7) + "tangerine", ""},
		{"200 decomposed é, 400 code points before NFC", strings.Repeat("e\u0301", 200), ""},
		{"256 U+FDFA", strings.Repeat("\ufdfa", 128) + strings.Repeat("x\ufdfa", 64), ""},
		{"257 characters", strings.Repeat("é", 257), RuleMaxLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.set(t, alice, tc.pw)
			switch tc.rule {
			case "":
				require.NoError(t, err)
			case RuleMaxLength:
				requireField(t, err, "new_password")
			default:
				var pe *PolicyError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, tc.rule, pe.Violations[0].Rule)
			}
		})
	}
}

// TestInvisiblePasswordIsRefused: a password of only white space or with
// no visible character is refused (400 on new_password), whatever its
// length (issue 16 item 4).
func TestInvisiblePasswordIsRefused(t *testing.T) { // AB-10
	f := newFixture(t, Config{})
	for name, pw := range map[string]string{
		"15 spaces":           strings.Repeat(" ", 15),
		"15 U+200B":           strings.Repeat("\u200b", 15),
		"15 U+3164":           strings.Repeat("\u3164", 15),
		"ideographic spaces":  strings.Repeat("\u3000", 20),
		"zero-width and bidi": strings.Repeat("\u200d\u202e\u2060\ufeff", 5),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := f.set(t, alice, pw)
			requireField(t, err, "new_password")
			assert.ErrorIs(t, f.eng.Check(ctx, alice, pw), verify.ErrInvalidRequest)
		})
	}
	_, err := f.set(t, alice, strings.Repeat(" ", 14)+"x")
	require.NoError(t, err, "one visible character is enough")
}

func requireField(t *testing.T, err error, field string) {
	t.Helper()
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
	var ve *verify.Error
	require.ErrorAs(t, err, &ve)
	require.Len(t, ve.Fields, 1)
	assert.Equal(t, field, ve.Fields[0].Field)
	var pe *PolicyError
	assert.False(t, errors.As(err, &pe), "a request error, not a policy violation")
}
