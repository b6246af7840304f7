package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The otp engines' default send budgets, per hour, which the server keeps:
// per user and per destination (PhoneConfig.SendLimit), per client IP
// (IPLimit) and per number range (PrefixLimit).
const (
	defaultSendRequests       = 10
	defaultIPSendRequests     = 20
	defaultPrefixSendRequests = 10
)

// outboxCount is how many lines the outbox holds.
func (s *server) outboxCount(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(s.outbox)
	if os.IsNotExist(err) {
		return 0
	}
	require.NoError(t, err)
	return strings.Count(string(b), "\n")
}

// requireThrottled asserts a 429 with the rate-limit headers.
func requireThrottled(t *testing.T, res *http.Response, m map[string]any) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, res.StatusCode, m)
	assert.Equal(t, "rate_limited", m["type"])
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"} {
		assert.NotEmpty(t, res.Header.Get(h), h)
	}
	assert.Equal(t, "0", res.Header.Get("X-RateLimit-Remaining"))
}

// TestServerPumpingIsStopped replays issue 16's attack over HTTP: voice
// codes to the numbers of one range from one client through 20 accounts.
// The range budget answers 429 with the headers after 10 and nothing more
// is sent; the refused starts still count against the client's IP
// budget, so moving to other ranges gains the client nothing.
func TestServerPumpingIsStopped(t *testing.T) { // AB-03, AB-04
	s := startServer(t, "-rate-limit", "0", "-demo-users")
	for i := range 40 {
		token := fmt.Sprintf("%s.acct%02d", testToken, i%20)
		res, m := s.postAs(t, token, "createAuthenticationMethod", "/authentication-methods",
			fmt.Sprintf(`{"type":"phone","phone_number":"+44791112%04d","preferred_authentication_method":"voice"}`, i))
		switch {
		case i < defaultPrefixSendRequests:
			require.Equal(t, http.StatusAccepted, res.StatusCode, m)
		case i < defaultIPSendRequests:
			requireThrottled(t, res, m)
			assert.Equal(t, fmt.Sprint(defaultPrefixSendRequests), res.Header.Get("X-RateLimit-Limit"), "the range budget")
		default:
			requireThrottled(t, res, m)
			assert.Equal(t, fmt.Sprint(defaultIPSendRequests), res.Header.Get("X-RateLimit-Limit"), "the IP budget")
		}
	}
	assert.Equal(t, defaultPrefixSendRequests, s.outboxCount(t), "a refused start sends nothing")
	for i := range 10 {
		token := fmt.Sprintf("%s.other%02d", testToken, i)
		res, m := s.postAs(t, token, "createAuthenticationMethod", "/authentication-methods",
			fmt.Sprintf(`{"type":"phone","phone_number":"+4479%02d123456"}`, 20+i))
		requireThrottled(t, res, m)
		assert.Equal(t, fmt.Sprint(defaultIPSendRequests), res.Header.Get("X-RateLimit-Limit"), "other ranges, same client")
	}
	assert.Equal(t, defaultPrefixSendRequests, s.outboxCount(t))
}

// TestServerNumbersAndCountries: numbers are checked against the
// numbering plan over HTTP, and -phone-countries restricts the regions.
func TestServerNumbersAndCountries(t *testing.T) { // AB-05, AB-06
	s := startServer(t, "-rate-limit", "0", "-phone-countries", "GB,FR")
	for _, n := range []string{"+4407911123456", "+449098790000", "+12015550123"} {
		res, m := s.start(t, `{"type":"phone","phone_number":"`+n+`"}`)
		require.Equal(t, http.StatusBadRequest, res.StatusCode, m)
		assert.Contains(t, fmt.Sprint(m["validation_errors"]), "phone_number", n)
	}
	// +44 7911 is Guernsey's (GG) by the numbering plan: not listed.
	res, m := s.start(t, `{"type":"phone","phone_number":"+44 7911 123456"}`)
	require.Equal(t, http.StatusBadRequest, res.StatusCode, m)
	res, m = s.start(t, `{"type":"phone","phone_number":"+44 7700 123456"}`)
	require.Equal(t, http.StatusAccepted, res.StatusCode, m)
	assert.Len(t, s.outboxTo(t, "+447700123456"), 1, "sent to the canonical E.164 form")
	assert.Equal(t, 1, s.outboxCount(t))
}

// TestServerMailboxVariants: case variants and +tags of one mailbox from
// many accounts share one budget over HTTP (AB-07).
func TestServerMailboxVariants(t *testing.T) { // AB-07
	s := startServer(t, "-rate-limit", "0", "-demo-users")
	for i := range 15 {
		token := fmt.Sprintf("%s.acct%02d", testToken, i)
		addr := []string{"victim@example.com", "Victim@Example.com", "VICTIM+x@example.com"}[i%3]
		res, m := s.postAs(t, token, "createAuthenticationMethod", "/authentication-methods", `{"type":"email","email":"`+addr+`"}`)
		if i < defaultSendRequests {
			require.Equal(t, http.StatusAccepted, res.StatusCode, m)
			continue
		}
		requireThrottled(t, res, m)
	}
	assert.Equal(t, defaultSendRequests, s.outboxCount(t))
}
