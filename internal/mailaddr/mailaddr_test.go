package mailaddr

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOnlySafePlainAddressesAreAccepted: the e-mail engine sends codes to,
// and smtpsender puts on an SMTP envelope, only plain addr-specs of
// printable ASCII with a host-name domain; errors never echo the input.
//
// OT-10: the destination is validated and normalised.
func TestOnlySafePlainAddressesAreAccepted(t *testing.T) {
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com"
	require.Len(t, long, 254)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"plain", "user@example.com", "user@example.com"},
		{"domain lower-cased, local kept", "User.Name+tag@Example.COM", "User.Name+tag@example.com"},
		{"atext symbols", "a!#$%&'*+-/=?^_`{|}~@example.com", "a!#$%&'*+-/=?^_`{|}~@example.com"},
		{"hyphen and digits in labels", "u@mail-1.example2.co.uk", "u@mail-1.example2.co.uk"},
		{"254 bytes", long, long},
		{"255 bytes", long[:64] + "@e" + long[65:], ""},
		{"empty", "", ""},
		{"no at", "user.example.com", ""},
		{"two ats", "a@b@example.com", ""},
		{"empty local", "@example.com", ""},
		{"local 65 bytes", strings.Repeat("a", 65) + "@example.com", ""},
		{"display name", "Alice <alice@example.com>", ""},
		{"angle brackets", "<alice@example.com>", ""},
		{"comment", "alice@example.com(comment)", ""},
		{"quoted local", `"alice"@example.com`, ""},
		{"quoted local with space", `"a b"@example.com`, ""},
		{"leading dot", ".alice@example.com", ""},
		{"double dot", "al..ice@example.com", ""},
		{"trailing dot", "alice.@example.com", ""},
		{"domain literal", "alice@[192.0.2.1]", ""},
		{"bare IP", "alice@192.0.2.1", ""},
		{"single label", "alice@localhost", ""},
		{"label leading hyphen", "alice@-example.com", ""},
		{"label trailing hyphen", "alice@example-.com", ""},
		{"empty label", "alice@example..com", ""},
		{"trailing dot domain", "alice@example.com.", ""},
		{"label 64 bytes", "alice@" + strings.Repeat("x", 64) + ".com", ""},
		{"underscore in domain", "alice@ex_ample.com", ""},
		{"space", "alice @example.com", ""},
		{"CRLF header injection", "alice@example.com\r\nBcc: eve@example.com", ""},
		{"NUL", "alice@example.com\x00", ""},
		{"UTF-8 local", "jösé@example.com", ""},
		{"IDN domain", "alice@bücher.de", ""},
		{"list", "alice@example.com,eve@example.com", ""},
		{"group", "g:alice@example.com;", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Normalize(tc.in)
			if tc.want == "" {
				require.ErrorIs(t, err, ErrInvalid)
				assert.Empty(t, got)
				if tc.in != "" {
					assert.NotContains(t, err.Error(), tc.in, "errors never echo the input")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
