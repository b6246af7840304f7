package verify

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStoredAttrsMatchMarshal holds storedAttrs.appendJSON to json.Marshal
// (the stored form sqlstore keeps must not change), and checks it leaves
// what it does not write to encoding/json.
func TestStoredAttrsMatchMarshal(t *testing.T) {
	now := time.Date(2026, 11, 27, 1, 2, 3, 4000000, time.UTC)
	for _, a := range []storedAttrs{
		{},
		{Usage: []Usage{UsageSecondary}},
		{Name: "My <phone> & \"key\"\u2028", Usage: []Usage{UsagePrimary, UsageSecondary}, PhoneNumber: "+15551234567"},
		{Email: "a@example.com", PreferredAuthenticationMethod: "sms", IdentityUserID: "auth0|\xff"},
		{Usage: []Usage{}},
		{LastAuthAt: &now},
		{LastPasswordReset: &now, Name: "x"},
		{WebAuthn: &WebAuthnCredential{}},
	} {
		want, err := json.Marshal(a)
		require.NoError(t, err)
		got, ok := a.appendJSON([]byte("x"))
		if !ok {
			assert.Equal(t, "x", string(got), "appended nothing")
			assert.True(t, a.WebAuthn != nil || a.LastAuthAt != nil || a.LastPasswordReset != nil, "%+v", a)
			continue
		}
		assert.Equal(t, string(want), string(got[1:]), "%+v", a)
	}
}

// FuzzStoredAttrs holds storedAttrs.appendJSON to json.Marshal for any
// strings.
func FuzzStoredAttrs(f *testing.F) {
	f.Add("name", "secondary", "+1555", "sms", "a@b.c", "id", 1)
	f.Add("<\u2028\xff", "", "", "", "", "", 0)
	f.Fuzz(func(t *testing.T, name, usage, phone, pref, email, id string, nUsage int) {
		a := storedAttrs{Name: name, PhoneNumber: phone, PreferredAuthenticationMethod: pref, Email: email, IdentityUserID: id}
		for range nUsage % 4 {
			a.Usage = append(a.Usage, Usage(usage))
		}
		want, err := json.Marshal(a)
		require.NoError(t, err)
		got, ok := a.appendJSON(nil)
		require.True(t, ok)
		require.Equal(t, string(want), string(got))
	})
}
