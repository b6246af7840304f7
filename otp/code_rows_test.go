package otp

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// The e-mail and phone code rows of SECURITY-CHECKLIST (OT-*), one test
// each.

// OT-01: codes come from crypto/rand, uniformly.
func TestCodesAreRandomAndUniform(t *testing.T) {
	t.Run("static", TestStaticSources)
	t.Run("distribution", TestCodeDistribution)
	f := newOOBFixture(t, oobOptions{email: EmailConfig{Digits: 10}})
	f.startEmail(t, "a@example.com")
	assert.Regexp(t, `^[0-9]{10}$`, f.sender.last(t).Code, "length is configurable")
}

// OT-02: a code lives at most 10 minutes.
func TestCodeExpiresWithinTenMinutes(t *testing.T) {
	for _, tc := range []struct {
		after time.Duration
		ok    bool
	}{{9*time.Minute + 59*time.Second, true}, {10 * time.Minute, false}, {10*time.Minute + time.Second, false}} {
		f := newOOBFixture(t, oobOptions{email: EmailConfig{TTL: maxCodeTTL}, ttl: verify.MaxSessionTTL})
		// The code's expiry is checked by the engine itself, not only
		// through the auth_session's: call it directly past the session.
		ch, err := f.email.Start(context.Background(), &verify.EngineStart{Subject: f.sub, MethodID: "email|x", Request: verify.StartRequest{Email: "a@example.com"}})
		require.NoError(t, err)
		state, err := json.Marshal(ch.State)
		require.NoError(t, err)
		code := f.sender.last(t).Code
		f.clock.Add(tc.after)
		_, err = f.email.Confirm(context.Background(), &verify.EngineConfirm{Subject: f.sub, MethodID: "email|x", State: state, Request: verify.VerifyRequest{OTPCode: &code}})
		if tc.ok {
			require.NoError(t, err, "after %v", tc.after)
		} else {
			require.ErrorIs(t, err, verify.ErrExpired, "after %v", tc.after)
		}
	}
}

// OT-03: a code is single use; a resend invalidates it.
func TestCodeIsAcceptedOnceForItsSession(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	en, code := f.startEmail(t, "a@example.com")
	_, err := f.confirm(f.sub, en, code)
	require.NoError(t, err)
	_, err = f.confirm(f.sub, en, code)
	require.ErrorIs(t, err, verify.ErrAlreadyUsed, "a code is accepted once")
	t.Run("resend", TestResend)
}

// OT-04: a code is bound to its enrollment, user and destination.
func TestCodeIsBoundToEnrollmentUserAndDestination(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	en1, code1 := f.startEmail(t, "a@example.com")
	en2, code2 := f.startEmail(t, "a@example.com")
	// Same user, same address: E1's code against E2's session. The
	// keyed hash binds the method id, so even a code that happens to
	// be the same digits is checked against E2's binding.
	_, err := f.confirm(f.sub, en2, code1)
	if code1 != code2 {
		require.ErrorIs(t, err, verify.ErrInvalidProof)
	}
	// The hash binds user, method id, channel and destination.
	ch, err := f.email.Start(context.Background(), &verify.EngineStart{Subject: f.sub, MethodID: "email|a", Request: verify.StartRequest{Email: "a@example.com"}})
	require.NoError(t, err)
	code := f.sender.last(t).Code
	state, err := json.Marshal(ch.State)
	require.NoError(t, err)
	for name, ec := range map[string]verify.EngineConfirm{
		"other method id": {Subject: f.sub, MethodID: "email|b"},
		"other user":      {Subject: verify.Subject{ID: "auth0|mallory"}, MethodID: "email|a"},
	} {
		ec.State, ec.Request.OTPCode = state, &code
		_, err := f.email.Confirm(context.Background(), &ec)
		require.ErrorIs(t, err, verify.ErrInvalidProof, name)
	}
	_, err = f.email.Confirm(context.Background(), &verify.EngineConfirm{Subject: f.sub, MethodID: "email|a", State: state, Request: verify.VerifyRequest{OTPCode: &code}})
	require.NoError(t, err)
	_, err = f.confirm(f.sub, en1, code1)
	require.NoError(t, err, "E1 still confirms with its own code")
}

// OT-05: attempts per code are limited, with an account-level limit.
func TestCodeAttemptsAreLimited(t *testing.T) {
	t.Run("per code", TestFiveWrongCodes)
	t.Run("parallel", TestParallelGuesses)
	// Account level: with the default send limit (10 an hour) and 5
	// attempts per code, a user gets at most 50 guesses an hour, then
	// every start is refused.
	f := newOOBFixture(t, oobOptions{})
	guesses := 0
	for i := 0; i < 1000; i++ {
		en, err := f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypeEmail, Email: "a@example.com"}, verify.Client{})
		if errors.Is(err, verify.ErrRateLimited) {
			break
		}
		require.NoError(t, err)
		code := f.sender.last(t).Code
		for {
			_, err := f.confirm(f.sub, en, wrong(code))
			if errors.Is(err, verify.ErrTooManyAttempts) {
				break
			}
			require.ErrorIs(t, err, verify.ErrInvalidProof)
			guesses++
		}
	}
	assert.Equal(t, defaultSendRequests*verify.DefaultMaxAttempts, guesses)
	assert.Equal(t, defaultSendRequests, f.sender.count())
}

// OT-06: sends are throttled.
func TestSendsAreThrottled(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	refused := 0
	for i := 0; i < 20; i++ { // 20 resends within the same minute
		_, err := f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+12015550123"}, verify.Client{})
		if errors.Is(err, verify.ErrRateLimited) {
			refused++
			continue
		}
		require.NoError(t, err)
	}
	assert.Equal(t, 10, refused)
	assert.Equal(t, defaultSendRequests, f.sender.count(), "the provider sees at most N sends")
	t.Run("throttle", TestSendThrottle)
}

// OT-07: codes are hashed and compared in constant time.
func TestCodesAreKeptAsKeyedHashes(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	ch, err := f.email.Start(context.Background(), &verify.EngineStart{Subject: f.sub, MethodID: "email|a", Request: verify.StartRequest{Email: "a@example.com"}})
	require.NoError(t, err)
	code := f.sender.last(t).Code
	state := ch.State.(string)
	raw, err := stateEncoding.DecodeString(state)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), code, "the sealed state holds a keyed hash, not the code")
	assert.NotContains(t, state, code)
	c, err := f.email.Confirm(context.Background(), &verify.EngineConfirm{Subject: f.sub, MethodID: "email|a", State: jsontext.Value(`"` + state + `"`), Request: verify.VerifyRequest{OTPCode: &code}})
	require.NoError(t, err)
	assert.Empty(t, c.Secret, "nothing about the code is stored with the method")
	t.Run("static", TestStaticSources)
}

// OT-08: PSTN delivery can be restricted; the number is sealed.
func TestPhoneChannelsCanBeRestricted(t *testing.T) {
	f := newOOBFixture(t, oobOptions{phone: PhoneConfig{Forbidden: true}})
	_, err := f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+12015550123"}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrForbidden)
	assert.Equal(t, AssuranceRestricted, f.phone.Assurance())
	// The number is sealed at start; a code sent to one number cannot
	// confirm another, whatever the client sends.
	g := newOOBFixture(t, oobOptions{})
	ch, err := g.phone.Start(context.Background(), &verify.EngineStart{Subject: g.sub, MethodID: "phone|a", Request: verify.StartRequest{PhoneNumber: "+12015550123"}})
	require.NoError(t, err)
	code := g.sender.last(t).Code
	state := ch.State.(string)
	raw, err := stateEncoding.DecodeString(state)
	require.NoError(t, err)
	forged := bytes.Replace(raw, []byte("+12015550123"), []byte("+12015559999"), 1)
	_, err = g.phone.Confirm(context.Background(), &verify.EngineConfirm{Subject: g.sub, MethodID: "phone|a", State: jsontext.Value(`"` + encodeState(forged) + `"`), Request: verify.VerifyRequest{OTPCode: &code}})
	require.ErrorIs(t, err, verify.ErrInvalidProof, "the keyed hash binds the number")
}

// OT-09: e-mail codes are low assurance and can be forbidden.
func TestEmailIsLowAssuranceAndCanBeForbidden(t *testing.T) {
	f := newOOBFixture(t, oobOptions{email: EmailConfig{Forbidden: true}})
	_, err := f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypeEmail, Email: "a@example.com"}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrForbidden)
	var ve *verify.Error
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "email_forbidden", ve.Reason)
	assert.Zero(t, f.sender.count())
	assert.Equal(t, AssuranceLow, f.email.Assurance())
}

// OT-10: the destination is validated, normalised and sealed.
func TestDestinationIsValidatedAndNormalised(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	en, code := f.startPhone(t, "+1 (201) 555-0123", "voice")
	assert.Equal(t, "+12015550123", f.sender.last(t).To)
	// The verify request has no destination field at all (VerifyRequest
	// carries auth_session and the proof only; verify/httpapi rejects
	// unknown members): the method gets what was sealed.
	m, err := f.confirm(f.sub, en, code)
	require.NoError(t, err)
	assert.Equal(t, "+12015550123", m.PhoneNumber)
	assert.Equal(t, "voice", m.PreferredAuthenticationMethod)
	t.Run("phone", TestNormalizePhone)

	// E-mail: the engine uses internal/mailaddr's rule (its table is
	// TestOnlySafePlainAddressesAreAccepted there): the domain is lower-cased,
	// the local part kept, and anything but a plain addr-spec refused.
	en, code = f.startEmail(t, "User.Name@Example.COM")
	assert.Equal(t, "User.Name@example.com", f.sender.last(t).To)
	m, err = f.confirm(f.sub, en, code)
	require.NoError(t, err)
	assert.Equal(t, "User.Name@example.com", m.Email)
	_, err = f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypeEmail, Email: "Alice <alice@example.com>"}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
}

// OT-11: no enumeration by destination.
func TestStartRevealsNoOtherAccountsDestination(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	owner, other := verify.Subject{ID: "auth0|owner"}, verify.Subject{ID: "auth0|other"}
	en, code := func() (*verify.Enrollment, string) {
		en := f.start(t, owner, verify.StartRequest{Type: verify.TypeEmail, Email: "taken@example.com"})
		return en, f.sender.last(t).Code
	}()
	_, err := f.confirm(owner, en, code)
	require.NoError(t, err)
	// The address is now another account's method: the start answers
	// exactly as for a fresh address, and the message is sent alike.
	fresh := f.start(t, other, verify.StartRequest{Type: verify.TypeEmail, Email: "fresh@example.com"})
	taken := f.start(t, other, verify.StartRequest{Type: verify.TypeEmail, Email: "taken@example.com"})
	shape := func(en *verify.Enrollment) []string {
		b, err := json.Marshal(en)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		return keys
	}
	assert.ElementsMatch(t, shape(fresh), shape(taken))
	assert.Equal(t, len(fresh.AuthSession), len(taken.AuthSession))
	assert.Equal(t, 3, f.sender.count())
}
