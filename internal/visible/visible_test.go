package visible

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestNothingVisibleIsDetected: text of spaces, zero-width, filler or
// format characters has nothing visible; text with one letter, digit,
// symbol or punctuation mark does.
func TestNothingVisibleIsDetected(t *testing.T) {
	for _, s := range []string{"", strings.Repeat(" ", 15), strings.Repeat("\u200b", 15), strings.Repeat("\u3164", 15),
		"\u202e\u2066\u00a0\u3000", "\ufeff\u2060\u200d", "\u115f\u1160\uffa0\u2800", "\ufe0f\u034f", "\u0301\u0301"} {
		assert.False(t, Has(s), "%q", s)
	}
	for _, s := range []string{"a", " x ", "\u200b1\u200b", "\ufdfa", "é", "😀", "-", "\u3164a"} {
		assert.True(t, Has(s), "%q", s)
	}
	assert.True(t, Format('\u202e'))
	assert.True(t, Format('\u200b'))
	assert.False(t, Format('a'))
	assert.False(t, Format('\u3164'))
}
