package otp

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// The tests of issue 16 items 2 and 3: send budgets against SMS and voice
// pumping and mail bombing, and numbers checked against the numbering
// plan. The scenario tests use the default configuration only.

// requireLimited asserts a 429-kind refusal carrying the bucket's state.
func requireLimited(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, verify.ErrRateLimited)
	var ve *verify.Error
	require.ErrorAs(t, err, &ve)
	require.NotNil(t, ve.RateLimit)
	assert.False(t, ve.RateLimit.Allowed)
	assert.Positive(t, ve.RateLimit.RetryAfter)
}

// TestPumpingOneRangeIsStopped reproduces the attack of issue 16: voice
// codes to 200 numbers of one range, from one client through 20
// accounts. Before the budgets all 200 were sent; the defaults stop it
// after a handful, and every refused start sends nothing.
func TestPumpingOneRangeIsStopped(t *testing.T) { // AB-03, AB-04
	f := newOOBFixture(t, oobOptions{})
	client := verify.Client{IP: "203.0.113.7"}
	refused := 0
	for i := range 200 {
		sub := verify.Subject{ID: fmt.Sprintf("auth0|attacker%02d", i%20)}
		before := f.sender.count()
		_, err := f.svc.Start(context.Background(), sub, verify.StartRequest{
			Type: verify.TypePhone, PhoneNumber: fmt.Sprintf("+44791112%04d", i), PreferredAuthenticationMethod: "voice",
		}, client)
		if err != nil {
			requireLimited(t, err)
			assert.Equal(t, before, f.sender.count(), "a refused start sends nothing")
			refused++
		}
	}
	sent := f.sender.count()
	t.Logf("%d of 200 voice codes sent", sent)
	assert.LessOrEqual(t, sent, 10, "the range budget holds")
	assert.Equal(t, 200-sent, refused)
}

// TestPumpingFromOneIPAcrossRangesIsStopped: the same client spreading
// over many ranges and countries meets its IP budget.
func TestPumpingFromOneIPAcrossRangesIsStopped(t *testing.T) { // AB-03
	f := newOOBFixture(t, oobOptions{})
	client := verify.Client{IP: "2001:db8::7"}
	for i := range 100 {
		sub := verify.Subject{ID: fmt.Sprintf("auth0|a%03d", i)}
		number := fmt.Sprintf("+4479%02d123456", 10+i%80)
		if i%2 == 1 {
			number = fmt.Sprintf("+336%02d345678", 10+i%20)
		}
		_, err := f.svc.Start(context.Background(), sub, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: number}, client)
		if err != nil {
			requireLimited(t, err)
		}
	}
	assert.Equal(t, defaultIPSendRequests, f.sender.count())
	// Another client is not affected.
	_, err := f.svc.Start(context.Background(), verify.Subject{ID: "auth0|bystander"}, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+447700123456"}, verify.Client{IP: "198.51.100.1"})
	require.NoError(t, err)
}

// TestEachPhoneBudgetRefuses: each budget is configurable and refuses on
// its own (429 state, nothing sent), the others left wide open.
func TestEachPhoneBudgetRefuses(t *testing.T) { // AB-03, AB-04, AB-14
	wide := verify.Limit{Requests: maxBudgetRequests, Window: defaultSendWindow}
	three := verify.Limit{Requests: 3, Window: defaultSendWindow}
	base := func() PhoneConfig {
		return PhoneConfig{SendLimit: verify.Limit{Requests: maxSendRequests, Window: defaultSendWindow},
			IPLimit: wide, PrefixLimit: wide, CountryLimit: wide, CeilingLimit: wide}
	}
	tests := []struct {
		name   string
		set    func(*PhoneConfig)
		number func(i int) string
		ip     func(i int) string
	}{
		{"ip", func(c *PhoneConfig) { c.IPLimit = three },
			func(i int) string { return fmt.Sprintf("+4479%02d123456", 10+i) }, func(int) string { return "203.0.113.9" }},
		{"prefix", func(c *PhoneConfig) { c.PrefixLimit = three },
			func(i int) string { return fmt.Sprintf("+447911123%03d", i) }, func(i int) string { return fmt.Sprintf("203.0.113.%d", i) }},
		{"country", func(c *PhoneConfig) { c.CountryLimit = three },
			func(i int) string { return fmt.Sprintf("+4479%02d123456", 10+i) }, func(i int) string { return fmt.Sprintf("203.0.113.%d", i) }},
		{"ceiling", func(c *PhoneConfig) { c.CeilingLimit = three },
			func(i int) string {
				return []string{"+447911123456", "+33612345678", "+4915123456789", "+12015550123", "+34612345678"}[i]
			}, func(i int) string { return fmt.Sprintf("203.0.113.%d", i) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.set(&cfg)
			f := newOOBFixture(t, oobOptions{phone: cfg})
			for i := range 3 {
				_, err := f.svc.Start(context.Background(), verify.Subject{ID: fmt.Sprint("u", i)},
					verify.StartRequest{Type: verify.TypePhone, PhoneNumber: tc.number(i)}, verify.Client{IP: tc.ip(i)})
				require.NoError(t, err, i)
			}
			_, err := f.svc.Start(context.Background(), verify.Subject{ID: "u9"},
				verify.StartRequest{Type: verify.TypePhone, PhoneNumber: tc.number(3)}, verify.Client{IP: tc.ip(3)})
			requireLimited(t, err)
			var ve *verify.Error
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "phone_send_limited_"+tc.name, ve.Reason)
			assert.Equal(t, 3, ve.RateLimit.Limit)
			assert.Equal(t, 3, f.sender.count(), "nothing sent")
		})
	}
	t.Run("out of range", func(t *testing.T) {
		for _, c := range []PhoneConfig{
			{IPLimit: verify.Limit{Requests: maxBudgetRequests + 1, Window: defaultSendWindow}},
			{PrefixLimit: verify.Limit{Requests: 1, Window: 0}},
			{CountryLimit: verify.Limit{Requests: -1, Window: defaultSendWindow}},
			{CeilingLimit: verify.Limit{Requests: 1, Window: maxSendWindow + 1}},
			{Countries: []string{}}, {Countries: []string{"gb"}}, {Countries: []string{"XX"}},
			{SMSNumberTypes: []NumberType{"premium"}}, {VoiceNumberTypes: []NumberType{}},
		} {
			c.HashKey = oobKey
			_, err := NewPhone(c, &oobSender{}, unlimited{})
			assert.Error(t, err, "%+v", c)
		}
	})
}

type unlimited struct{}

func (unlimited) Allow(context.Context, string, verify.Limit) (verify.RateLimit, error) {
	return verify.RateLimit{Allowed: true}, nil
}

// TestNumberingPlanIsEnforced: numbers are checked against libphonenumber's
// plan: invalid numbers and a trunk 0 after the country code are refused;
// premium-rate, shared-cost, toll-free and other non-mobile numbers are
// refused for SMS; fixed lines are accepted for voice only; the canonical
// E.164 form is what is sent to and stored.
func TestNumberingPlanIsEnforced(t *testing.T) { // AB-05
	f := newOOBFixture(t, oobOptions{})
	tests := []struct {
		number, channel string
		ok              bool
	}{
		{"+4407911123456", "sms", false}, // trunk 0 after +44
		{"+4407911123456", "voice", false},
		{"+15551234567", "sms", false},  // 555 is no US area code
		{"+447700900123", "sms", false}, // Ofcom's drama range is not assigned
		{"+447911123456", "sms", true},  // mobile
		{"+44 7911 123456", "sms", true},
		{"+12015550123", "sms", true},   // US: fixed line or mobile
		{"+442079460958", "sms", false}, // London fixed line
		{"+442079460958", "voice", true},
		{"+19005551234", "sms", false}, // US premium rate
		{"+19005551234", "voice", false},
		{"+449098790000", "voice", false}, // UK premium rate
		{"+448431234567", "voice", false}, // UK 084x
		{"+18005551234", "sms", false},    // toll free
		{"+18005551234", "voice", false},
		{"+33612345678", "sms", true},
		{"+33140000000", "sms", false},
	}
	for _, tc := range tests {
		t.Run(tc.number+" "+tc.channel, func(t *testing.T) {
			before := f.sender.count()
			_, err := f.svc.Start(context.Background(), verify.Subject{ID: "auth0|" + strings.ReplaceAll(tc.number, " ", "")},
				verify.StartRequest{Type: verify.TypePhone, PhoneNumber: tc.number, PreferredAuthenticationMethod: tc.channel}, verify.Client{})
			if tc.ok {
				require.NoError(t, err)
				assert.Equal(t, strings.ReplaceAll(tc.number, " ", ""), f.sender.last(t).To, "canonical E.164")
				return
			}
			require.ErrorIs(t, err, verify.ErrInvalidRequest)
			var ve *verify.Error
			require.ErrorAs(t, err, &ve)
			require.Len(t, ve.Fields, 1)
			assert.Equal(t, "phone_number", ve.Fields[0].Field)
			assert.Equal(t, before, f.sender.count(), "nothing sent")
		})
	}
	t.Run("types configurable", func(t *testing.T) {
		g := newOOBFixture(t, oobOptions{phone: PhoneConfig{SMSNumberTypes: []NumberType{NumberFixedLine}}})
		_, err := g.svc.Start(context.Background(), g.sub, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+442079460958"}, verify.Client{})
		require.NoError(t, err)
		_, err = g.svc.Start(context.Background(), g.sub, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+447911123456"}, verify.Client{})
		require.ErrorIs(t, err, verify.ErrInvalidRequest)
	})
	t.Run("parsePhone", func(t *testing.T) {
		n, err := parsePhone("+44 7911 123456")
		require.NoError(t, err)
		assert.Equal(t, phoneNumber{E164: "+447911123456", CountryCode: 44, Region: "GG", Type: NumberMobile}, n)
		_, err = parsePhone("+4407911123456")
		assert.ErrorIs(t, err, errInvalidPhone)
	})
}

// TestCountryAllowList: with Config.Countries only numbers of the listed
// regions enroll (AB-06).
func TestCountryAllowList(t *testing.T) { // AB-06
	f := newOOBFixture(t, oobOptions{phone: PhoneConfig{Countries: []string{"FR", "US"}}})
	_, err := f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+33612345678"}, verify.Client{})
	require.NoError(t, err)
	_, err = f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+12015550123"}, verify.Client{})
	require.NoError(t, err)
	for _, n := range []string{"+447911123456", "+4915123456789", "+16135550123"} { // GB (GG), DE, CA (same +1)
		_, err = f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: n}, verify.Client{})
		require.ErrorIs(t, err, verify.ErrInvalidRequest, n)
	}
	assert.Equal(t, 2, f.sender.count())
}

// TestMailboxVariantsShareOneBudget reproduces the mail bombing of issue
// 16: case variants and +tags of one mailbox, from many accounts, share
// the per-address budget; the address sent to is still the one typed.
func TestMailboxVariantsShareOneBudget(t *testing.T) { // AB-07
	f := newOOBFixture(t, oobOptions{})
	variants := []string{"victim@example.com", "Victim@example.com", "VICTIM@EXAMPLE.COM", "victim+1@example.com", "ViCtIm+spam@Example.Com"}
	for i := range 42 {
		addr := variants[i%len(variants)]
		if i >= len(variants) {
			addr = strings.Replace(addr, "@", fmt.Sprintf("+%d@", i), 1)
			if strings.Count(addr, "+") > 1 {
				addr = strings.Replace(addr, fmt.Sprintf("+%d@", i), "@", 1)
			}
		}
		_, err := f.svc.Start(context.Background(), verify.Subject{ID: fmt.Sprintf("auth0|acct%02d", i)}, verify.StartRequest{Type: verify.TypeEmail, Email: addr}, verify.Client{})
		if err != nil {
			requireLimited(t, err)
		}
	}
	assert.Equal(t, 10, f.sender.count(), "one mailbox, one budget")
	assert.Equal(t, "Victim@example.com", f.sender.msgs[1].To, "the address is kept as typed")
}

// TestDomainBudget: the codes sent to one domain are bounded across
// mailboxes and accounts (AB-08).
func TestDomainBudget(t *testing.T) { // AB-08
	f := newOOBFixture(t, oobOptions{email: EmailConfig{DomainLimit: verify.Limit{Requests: 5, Window: defaultSendWindow}}})
	for i := range 8 {
		_, err := f.svc.Start(context.Background(), verify.Subject{ID: fmt.Sprint("u", i)},
			verify.StartRequest{Type: verify.TypeEmail, Email: fmt.Sprintf("user%d@Victim-Corp.example", i)}, verify.Client{IP: fmt.Sprintf("192.0.2.%d", i)})
		if i < 5 {
			require.NoError(t, err)
		} else {
			requireLimited(t, err)
		}
	}
	assert.Equal(t, 5, f.sender.count())
	_, err := f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypeEmail, Email: "a@other.example"}, verify.Client{})
	require.NoError(t, err, "another domain has its own budget")
}

// FuzzParsePhone: no panic; a success is the canonical E.164 form, a
// fixed point, of the number normalizePhone reads (AB-05).
func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"+447911123456", "+4407911123456", "+1 (201) 555-0123", "+19005551234", "+33612345678", "+0123456789", "+999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parsePhone(s)
		if err != nil {
			require.ErrorIs(t, err, errInvalidPhone)
			require.Zero(t, n)
			return
		}
		norm, err := normalizePhone(s)
		require.NoError(t, err)
		require.Equal(t, norm, n.E164)
		again, err := parsePhone(n.E164)
		require.NoError(t, err)
		require.Equal(t, n, again)
		require.NotEmpty(t, n.Region)
	})
}
