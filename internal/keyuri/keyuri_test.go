package keyuri_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/keyuri"
	"github.com/verifykit/verifykit/verify"
)

func TestAccount(t *testing.T) {
	assert.Equal(t, "a@b.c", keyuri.Account(verify.Subject{ID: "id", Username: "u", Email: "a@b.c"}))
	assert.Equal(t, "u", keyuri.Account(verify.Subject{ID: "id", Username: "u"}))
	assert.Equal(t, "id", keyuri.Account(verify.Subject{ID: "id"}))
}

// TestWriteLabel: a hostile account parses back as one label whose account
// part holds no colon, and adds no query parameter.
func TestWriteLabel(t *testing.T) {
	for _, account := range []string{"a@b.c:evil?secret=AAAA", "x&issuer=Evil#frag", "tab\tname", "bad\xffutf8", "ünïcode ✓"} {
		var b strings.Builder
		b.WriteString("otpauth://totp/")
		keyuri.WriteLabel(&b, "Example Co", account)
		b.WriteString("?secret=REAL")
		u, err := url.Parse(b.String())
		require.NoError(t, err, account)
		assert.Equal(t, url.Values{"secret": {"REAL"}}, u.Query(), account)
		issuer, acct, ok := strings.Cut(strings.TrimPrefix(u.Path, "/"), ":")
		require.True(t, ok, account)
		assert.Equal(t, "Example Co", issuer)
		assert.NotContains(t, acct, ":", account)
	}
}
