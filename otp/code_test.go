package otp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// The tests of the Email and Phone engines ("out-of-band codes"). Their
// helpers are prefixed oob so they never collide with the TOTP tests'.

// oobKey is a fixed 32-byte code hash key for tests.
var oobKey = []byte("oob-test-hash-key-0123456789abcd")

// oobSender records the messages sent; err, when set, is returned instead.
type oobSender struct {
	mu   sync.Mutex
	msgs []Message
	err  error
}

func (s *oobSender) Send(ctx context.Context, m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *oobSender) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// last returns the last message sent.
func (s *oobSender) last(t testing.TB) Message {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NotEmpty(t, s.msgs, "no message was sent")
	return s.msgs[len(s.msgs)-1]
}

// oobFixture is a verify.Service with the real session sealer, the memory
// store, the real in-memory rate limiter and the Email and Phone engines,
// all on one test clock.
type oobFixture struct {
	clock  *clock
	sender *oobSender
	svc    *verify.Service
	email  *Email
	phone  *Phone
	sub    verify.Subject
}

type oobOptions struct {
	email   EmailConfig
	phone   PhoneConfig
	limiter verify.Limiter
	ttl     time.Duration // session TTL
}

func newOOBFixture(t testing.TB, o oobOptions) *oobFixture {
	t.Helper()
	clk := newClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	f := &oobFixture{clock: clk, sender: &oobSender{}, sub: verify.Subject{ID: "auth0|alice", Email: "alice@example.com"}}
	limiter := o.limiter
	if limiter == nil {
		l, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: clk.Now})
		require.NoError(t, err)
		limiter = l
	}
	o.email.HashKey, o.email.Now = oobKey, clk.Now
	o.phone.HashKey, o.phone.Now = oobKey, clk.Now
	var err error
	f.email, err = NewEmail(o.email, f.sender, limiter)
	require.NoError(t, err)
	f.phone, err = NewPhone(o.phone, f.sender, limiter)
	require.NoError(t, err)
	st, err := memory.New(memory.Config{Now: clk.Now})
	require.NoError(t, err)
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: testSealPassword}}, Now: clk.Now})
	require.NoError(t, err)
	f.svc, err = verify.NewService(verify.Config{
		Engines: []verify.Engine{f.email, f.phone}, Sealer: sealer, Store: st, Now: clk.Now, SessionTTL: o.ttl,
	})
	require.NoError(t, err)
	return f
}

func (f *oobFixture) start(t testing.TB, sub verify.Subject, req verify.StartRequest) *verify.Enrollment {
	t.Helper()
	en, err := f.svc.Start(context.Background(), sub, req, verify.Client{})
	require.NoError(t, err)
	return en
}

func (f *oobFixture) startEmail(t testing.TB, addr string) (*verify.Enrollment, string) {
	t.Helper()
	en := f.start(t, f.sub, verify.StartRequest{Type: verify.TypeEmail, Email: addr})
	return en, f.sender.last(t).Code
}

func (f *oobFixture) startPhone(t testing.TB, number, pref string) (*verify.Enrollment, string) {
	t.Helper()
	en := f.start(t, f.sub, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: number, PreferredAuthenticationMethod: pref})
	return en, f.sender.last(t).Code
}

func (f *oobFixture) confirm(sub verify.Subject, en *verify.Enrollment, code string) (*verify.Method, error) {
	return f.svc.Verify(context.Background(), sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}, verify.Client{})
}

// wrong returns a code of the same length that differs from code.
func wrong(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"E.164", "+15551234567", "+15551234567"},
		{"grouping dropped (OT-10)", "+1 (555) 123-4567", "+15551234567"},
		{"dots", "+44.20.7946.0958", "+442079460958"},
		{"8 digits", "+12345678", "+12345678"},
		{"15 digits", "+123456789012345", "+123456789012345"},
		{"7 digits", "+1234567", ""},
		{"16 digits", "+1234567890123456", ""},
		{"no plus: national", "5551234567", ""},
		{"international prefix", "0015551234567", ""},
		{"country code 0", "+0555123456", ""},
		{"plus twice", "++15551234567", ""},
		{"plus inside", "+1555+1234567", ""},
		{"letters", "+1555CALLNOW", ""},
		{"extension", "+15551234567;ext=1", ""},
		{"full-width digits", "+１５５５１２３４５６７", ""},
		{"Arabic-Indic digits", "+١٥٥٥١٢٣٤٥٦٧", ""},
		{"tab", "+1555\t1234567", ""},
		{"newline", "+15551234567\n", ""},
		{"empty", "", ""},
		{"only separators", "+ ( ) - .", ""},
		{"over-long input", "+1 555 123 4567" + strings.Repeat(" ", 18), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := normalizePhone(tc.in)
			if tc.want == "" {
				require.ErrorIs(t, err, errInvalidPhone)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestCodeConfigRanges(t *testing.T) {
	s, l := &oobSender{}, ratelimit.Unlimited(nil)
	for _, tc := range []struct {
		name string
		cfg  EmailConfig
		msg  string
	}{
		{"no key", EmailConfig{}, "HashKey of 0 bytes is shorter than 32"},
		{"short key", EmailConfig{HashKey: oobKey[:31]}, "HashKey of 31 bytes is shorter than 32"},
		{"digits 5", EmailConfig{HashKey: oobKey, Digits: 5}, "Digits 5 out of range [6, 10]"},
		{"digits 11", EmailConfig{HashKey: oobKey, Digits: 11}, "Digits 11 out of range [6, 10]"},
		{"ttl 29s", EmailConfig{HashKey: oobKey, TTL: 29 * time.Second}, "TTL 29s out of range [30s, 10m0s]"},
		{"ttl 10m1s (OT-02)", EmailConfig{HashKey: oobKey, TTL: 10*time.Minute + time.Second}, "TTL 10m1s out of range [30s, 10m0s]"},
		{"send requests 0", EmailConfig{HashKey: oobKey, SendLimit: verify.Limit{Window: time.Hour}}, "SendLimit.Requests 0 out of range [1, 1000]"},
		{"send window 59s", EmailConfig{HashKey: oobKey, SendLimit: verify.Limit{Requests: 1, Window: 59 * time.Second}}, "SendLimit.Window 59s out of range [1m0s, 24h0m0s]"},
		{"subject CRLF", EmailConfig{HashKey: oobKey, Subject: "Code\r\nBcc: eve@example.com"}, "Subject contains a control character"},
		{"subject too long", EmailConfig{HashKey: oobKey, Subject: strings.Repeat("s", 201)}, "Subject length 201 out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewEmail(tc.cfg, s, l)
			require.ErrorIs(t, err, ErrConfig)
			assert.Contains(t, err.Error(), tc.msg)
			pc := PhoneConfig{HashKey: tc.cfg.HashKey, Digits: tc.cfg.Digits, TTL: tc.cfg.TTL, SendLimit: tc.cfg.SendLimit}
			if tc.cfg.Subject == "" {
				_, err = NewPhone(pc, s, l)
				require.ErrorIs(t, err, ErrConfig)
				assert.Contains(t, err.Error(), tc.msg)
			}
		})
	}
	_, err := NewEmail(EmailConfig{HashKey: oobKey}, nil, l)
	require.ErrorIs(t, err, ErrConfig)
	_, err = NewEmail(EmailConfig{HashKey: oobKey}, s, nil)
	require.ErrorIs(t, err, ErrConfig)
	_, err = NewPhone(PhoneConfig{HashKey: oobKey}, nil, l)
	require.ErrorIs(t, err, ErrConfig)
	_, err = NewPhone(PhoneConfig{HashKey: oobKey}, s, nil)
	require.ErrorIs(t, err, ErrConfig)
	_, err = NewPhone(PhoneConfig{HashKey: oobKey, Channels: []Channel{ChannelEmail}}, s, l)
	require.ErrorIs(t, err, ErrConfig)
	assert.Contains(t, err.Error(), `Channels[0] "email" is not one of sms, voice`)
	_, err = NewPhone(PhoneConfig{HashKey: oobKey, Channels: []Channel{ChannelSMS, ChannelSMS}}, s, l)
	require.ErrorIs(t, err, ErrConfig)

	// The key is copied: changing the caller's slice changes nothing.
	key := bytes.Clone(oobKey)
	e, err := NewEmail(EmailConfig{HashKey: key}, s, l)
	require.NoError(t, err)
	key[0] ^= 1
	assert.Equal(t, oobKey, e.core.cfg.HashKey)
}

func TestEmailEnrollment(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	en, code := f.startEmail(t, "Alice@Example.COM")
	assert.Equal(t, verify.TypeEmail, en.Type)
	assert.True(t, strings.HasPrefix(en.ID, "email|dev_"), en.ID)
	assert.Empty(t, en.BarcodeURI+en.ManualInputCode+en.RecoveryCode, "an email creation response has id and auth_session only")

	msg := f.sender.last(t)
	assert.Equal(t, ChannelEmail, msg.Channel)
	assert.Equal(t, "Alice@example.com", msg.To, "the domain is normalised")
	assert.Equal(t, defaultEmailSubject, msg.Subject)
	assert.Equal(t, "Your verification code is "+code+". It expires in 5 minutes.", msg.Text)
	assert.Equal(t, f.clock.Now().Add(defaultCodeTTL), msg.ExpiresAt)
	assert.Regexp(t, `^[0-9]{6}$`, code)

	m, err := f.confirm(f.sub, en, code)
	require.NoError(t, err)
	assert.Equal(t, en.ID, m.ID)
	assert.Equal(t, "Alice@example.com", m.Email)
	assert.Equal(t, []verify.Usage{verify.UsageSecondary}, m.Usage)
	body, err := json.Marshal(m)
	require.NoError(t, err)
	assert.JSONEq(t, `{"id":"`+en.ID+`","type":"email","confirmed":true,"email":"Alice@example.com","usage":["secondary"],"created_at":"2026-03-04T05:06:07.000Z"}`, string(body))
	assert.Equal(t, AssuranceLow, f.email.Assurance())
}

func TestPhoneEnrollment(t *testing.T) {
	for _, tc := range []struct {
		pref, want string
	}{{"", "sms"}, {"sms", "sms"}, {"voice", "voice"}} {
		t.Run("preferred "+tc.want+" from "+strconv.Quote(tc.pref), func(t *testing.T) {
			f := newOOBFixture(t, oobOptions{})
			en, code := f.startPhone(t, "+1 (201) 555-0123", tc.pref)
			msg := f.sender.last(t)
			assert.Equal(t, Channel(tc.want), msg.Channel)
			assert.Equal(t, "+12015550123", msg.To)
			assert.Empty(t, msg.Subject)
			if tc.want == "voice" {
				spelled := strings.Join(strings.Split(code, ""), " ")
				assert.Equal(t, "Your verification code is "+spelled+". Again: "+spelled+". It expires in 5 minutes.", msg.Text)
			} else {
				assert.Equal(t, "Your verification code is "+code+". It expires in 5 minutes.", msg.Text)
			}
			m, err := f.confirm(f.sub, en, code)
			require.NoError(t, err)
			assert.Equal(t, "+12015550123", m.PhoneNumber)
			assert.Equal(t, tc.want, m.PreferredAuthenticationMethod)
			body, err := json.Marshal(m)
			require.NoError(t, err)
			assert.JSONEq(t, `{"id":"`+en.ID+`","type":"phone","confirmed":true,"phone_number":"+12015550123","preferred_authentication_method":"`+tc.want+`","usage":["secondary"],"created_at":"2026-03-04T05:06:07.000Z"}`, string(body))
		})
	}
}

func TestStartErrors(t *testing.T) {
	f := newOOBFixture(t, oobOptions{phone: PhoneConfig{Channels: []Channel{ChannelSMS}}})
	for _, tc := range []struct {
		name   string
		req    verify.StartRequest
		kind   error
		field  string
		reason string
	}{
		{"email missing", verify.StartRequest{Type: verify.TypeEmail}, verify.ErrInvalidRequest, "email", ""},
		{"email malformed", verify.StartRequest{Type: verify.TypeEmail, Email: "not an address"}, verify.ErrInvalidRequest, "email", ""},
		{"email over-long", verify.StartRequest{Type: verify.TypeEmail, Email: strings.Repeat("a", 64) + "@" + strings.Repeat("b.", 95) + "com"}, verify.ErrInvalidRequest, "email", ""},
		{"phone missing", verify.StartRequest{Type: verify.TypePhone}, verify.ErrInvalidRequest, "phone_number", ""},
		{"phone national", verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "555 123 4567"}, verify.ErrInvalidRequest, "phone_number", ""},
		{"phone over-long", verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+1201555012389012"}, verify.ErrInvalidRequest, "phone_number", ""},
		{"phone method fax", verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+12015550123", PreferredAuthenticationMethod: "fax"}, verify.ErrInvalidRequest, "preferred_authentication_method", ""},
		{"phone method upper case", verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+12015550123", PreferredAuthenticationMethod: "SMS"}, verify.ErrInvalidRequest, "preferred_authentication_method", ""},
		{"voice not allowed", verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+12015550123", PreferredAuthenticationMethod: "voice"}, verify.ErrForbidden, "", "phone_channel_forbidden"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Start(context.Background(), f.sub, tc.req, verify.Client{})
			require.ErrorIs(t, err, tc.kind)
			var ve *verify.Error
			require.ErrorAs(t, err, &ve)
			if tc.field != "" {
				require.Len(t, ve.Fields, 1)
				assert.Equal(t, tc.field, ve.Fields[0].Field)
				assert.Equal(t, "/"+tc.field, ve.Fields[0].Pointer)
			}
			if tc.reason != "" {
				assert.Equal(t, tc.reason, ve.Reason)
			}
			if tc.req.Email != "" {
				assert.NotContains(t, ve.Error()+fmt.Sprint(ve.Fields), tc.req.Email, "errors do not echo the address")
			}
		})
	}
	assert.Zero(t, f.sender.count(), "nothing is sent for a refused start")
}

// failingLimiter is a verify.Limiter that cannot decide.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string, verify.Limit) (verify.RateLimit, error) {
	return verify.RateLimit{}, errors.New("limiter down")
}

// TestStartFailuresAreInternal: a Sender or limiter failure fails the
// start as an internal error (no verify kind, so HTTP 500), never as a
// client mistake, and no auth_session is issued.
func TestStartFailuresAreInternal(t *testing.T) {
	t.Run("sender", func(t *testing.T) {
		f := newOOBFixture(t, oobOptions{})
		f.sender.err = errors.New("smtp: 421 service not available")
		en, err := f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypeEmail, Email: "a@example.com"}, verify.Client{})
		require.Error(t, err)
		assert.Nil(t, en)
		assert.Nil(t, verify.Kind(err), "a sender outage is not a client error: %v", err)
		assert.ErrorIs(t, err, f.sender.err)
	})
	t.Run("limiter", func(t *testing.T) {
		f := newOOBFixture(t, oobOptions{limiter: failingLimiter{}})
		en, err := f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+12015550123"}, verify.Client{})
		require.Error(t, err)
		assert.Nil(t, en)
		assert.Nil(t, verify.Kind(err), "a limiter outage fails closed as internal: %v", err)
		assert.Zero(t, f.sender.count(), "nothing is sent when the limiter cannot decide")
	})
}

func TestConfirmErrors(t *testing.T) {
	f := newOOBFixture(t, oobOptions{email: EmailConfig{TTL: 2 * time.Minute}})
	for _, tc := range []struct {
		name string
		code func(code string) string
		kind error
	}{
		{"wrong", wrong, verify.ErrInvalidProof},
		{"short", func(c string) string { return c[:5] }, verify.ErrInvalidProof},
		{"long", func(c string) string { return c + "0" }, verify.ErrInvalidProof},
		{"leading space", func(c string) string { return " " + c }, verify.ErrInvalidProof},
		{"inner space", func(c string) string { return c[:3] + " " + c[3:] }, verify.ErrInvalidProof},
		{"letter", func(c string) string { return c[:5] + "a" }, verify.ErrInvalidProof},
		{"empty", func(string) string { return "" }, verify.ErrInvalidProof},
		{"full-width", func(c string) string {
			var b strings.Builder
			for _, r := range c {
				b.WriteRune('０' + r - '0')
			}
			return b.String()
		}, verify.ErrInvalidProof},
	} {
		t.Run(tc.name, func(t *testing.T) {
			en, code := f.startEmail(t, "a@example.com")
			_, err := f.confirm(f.sub, en, tc.code(code))
			require.ErrorIs(t, err, tc.kind)
			assert.Equal(t, "verify: the code is invalid", err.Error(), "one vague message for every invalid code")
			// The failure was counted and the right code still works.
			m, err := f.confirm(f.sub, en, code)
			require.NoError(t, err)
			assert.Equal(t, "a@example.com", m.Email)
		})
	}
	t.Run("no otp_code", func(t *testing.T) {
		en, _ := f.startEmail(t, "a@example.com")
		_, err := f.svc.Verify(context.Background(), f.sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession}, verify.Client{})
		require.ErrorIs(t, err, verify.ErrInvalidRequest)
	})
	t.Run("expired code", func(t *testing.T) {
		en, code := f.startEmail(t, "a@example.com")
		f.clock.Add(2 * time.Minute)
		_, err := f.confirm(f.sub, en, code)
		require.ErrorIs(t, err, verify.ErrExpired)
	})
	t.Run("state of another type", func(t *testing.T) {
		// A phone state handed to the email engine (only a key holder or a
		// bug could do it) is an invalid session, not a proof failure.
		_, code := f.startPhone(t, "+12015550123", "")
		ch, err := f.phone.Start(context.Background(), &verify.EngineStart{Subject: f.sub, MethodID: "phone|x", Request: verify.StartRequest{PhoneNumber: "+12015550123"}})
		require.NoError(t, err)
		state, err := json.Marshal(ch.State)
		require.NoError(t, err)
		_, err = f.email.Confirm(context.Background(), &verify.EngineConfirm{Subject: f.sub, MethodID: "phone|x", State: state, Request: verify.VerifyRequest{OTPCode: &code}})
		require.ErrorIs(t, err, verify.ErrInvalidSession)
	})
	t.Run("garbled state", func(t *testing.T) {
		code := "123456"
		for _, st := range []string{`null`, `""`, `"AQ"`, `{}`, `"` + strings.Repeat("A", 500) + `"`} {
			_, err := f.email.Confirm(context.Background(), &verify.EngineConfirm{Subject: f.sub, MethodID: "email|x", State: jsontext.Value(st), Request: verify.VerifyRequest{OTPCode: &code}})
			require.ErrorIs(t, err, verify.ErrInvalidSession, st)
		}
	})
}

// TestFiveWrongCodes: the service counts every attempt before the engine
// compares, and voids the auth_session after MaxAttempts (5) failures:
// the 6th attempt fails even with the right code (SECURITY-CHECKLIST OT-05).
func TestFiveWrongCodes(t *testing.T) {
	for _, typ := range []verify.Type{verify.TypeEmail, verify.TypePhone} {
		t.Run(string(typ), func(t *testing.T) {
			f := newOOBFixture(t, oobOptions{})
			var en *verify.Enrollment
			var code string
			if typ == verify.TypeEmail {
				en, code = f.startEmail(t, "a@example.com")
			} else {
				en, code = f.startPhone(t, "+12015550123", "")
			}
			for i := 0; i < verify.DefaultMaxAttempts; i++ {
				_, err := f.confirm(f.sub, en, wrong(code))
				require.ErrorIs(t, err, verify.ErrInvalidProof, "attempt %d", i+1)
			}
			_, err := f.confirm(f.sub, en, code)
			require.ErrorIs(t, err, verify.ErrTooManyAttempts)
		})
	}
}

// TestParallelGuesses: 50 concurrent wrong guesses on one auth_session are
// evaluated at most 5 times, and then the right code is refused.
func TestParallelGuesses(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	en, code := f.startEmail(t, "a@example.com")
	var evaluated atomic.Int32
	wins, errs := race(50, func() error {
		_, err := f.confirm(f.sub, en, wrong(code))
		if errors.Is(err, verify.ErrInvalidProof) {
			evaluated.Add(1)
		}
		return err
	})
	assert.Zero(t, wins)
	assert.Len(t, errs, 50)
	assert.EqualValues(t, verify.DefaultMaxAttempts, evaluated.Load())
	_, err := f.confirm(f.sub, en, code)
	require.ErrorIs(t, err, verify.ErrTooManyAttempts)
}

// TestSendThrottle: sending is throttled per user and per destination; a
// refused start sends nothing and carries the bucket's state for the
// rate-limit headers (SECURITY-CHECKLIST OT-06).
func TestSendThrottle(t *testing.T) {
	limit := verify.Limit{Requests: 3, Window: time.Hour}
	limited := func(t *testing.T, err error) *verify.RateLimit {
		t.Helper()
		require.ErrorIs(t, err, verify.ErrRateLimited)
		var ve *verify.Error
		require.ErrorAs(t, err, &ve)
		require.NotNil(t, ve.RateLimit)
		assert.False(t, ve.RateLimit.Allowed)
		assert.Equal(t, 3, ve.RateLimit.Limit)
		assert.Zero(t, ve.RateLimit.Remaining)
		assert.Positive(t, ve.RateLimit.RetryAfter)
		assert.True(t, ve.RateLimit.Reset.After(time.Time{}))
		return ve.RateLimit
	}
	t.Run("per user across addresses", func(t *testing.T) {
		f := newOOBFixture(t, oobOptions{email: EmailConfig{SendLimit: limit}})
		for i := 0; i < 3; i++ {
			f.startEmail(t, fmt.Sprintf("a%d@example.com", i))
		}
		_, err := f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypeEmail, Email: "a9@example.com"}, verify.Client{})
		limited(t, err)
		assert.Equal(t, 3, f.sender.count())
	})
	t.Run("per destination across users", func(t *testing.T) {
		f := newOOBFixture(t, oobOptions{phone: PhoneConfig{SendLimit: limit}})
		for i := 0; i < 3; i++ {
			f.start(t, verify.Subject{ID: fmt.Sprint("user", i)}, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+12015550123"})
		}
		// Another spelling of the same number is the same destination.
		_, err := f.svc.Start(context.Background(), verify.Subject{ID: "user9"}, verify.StartRequest{Type: verify.TypePhone, PhoneNumber: "+1 201 555 0123"}, verify.Client{})
		limited(t, err)
		assert.Equal(t, 3, f.sender.count())
	})
	t.Run("window passes", func(t *testing.T) {
		f := newOOBFixture(t, oobOptions{email: EmailConfig{SendLimit: limit}})
		for i := 0; i < 3; i++ {
			f.startEmail(t, "a@example.com")
		}
		_, err := f.svc.Start(context.Background(), f.sub, verify.StartRequest{Type: verify.TypeEmail, Email: "a@example.com"}, verify.Client{})
		rl := limited(t, err)
		f.clock.Add(rl.RetryAfter)
		en, code := f.startEmail(t, "a@example.com")
		_, err = f.confirm(f.sub, en, code)
		require.NoError(t, err)
	})
	t.Run("email and phone are separate buckets", func(t *testing.T) {
		f := newOOBFixture(t, oobOptions{email: EmailConfig{SendLimit: limit}, phone: PhoneConfig{SendLimit: limit}})
		for i := 0; i < 3; i++ {
			f.startEmail(t, "a@example.com")
		}
		f.startPhone(t, "+12015550123", "")
		assert.Equal(t, 4, f.sender.count())
	})
}

// TestResend: a resend is a new start; its code confirms its own session,
// and the earlier code does not confirm the new session.
func TestResend(t *testing.T) {
	f := newOOBFixture(t, oobOptions{})
	en1, code1 := f.startEmail(t, "a@example.com")
	en2, code2 := f.startEmail(t, "a@example.com")
	require.NotEqual(t, en1.ID, en2.ID)
	if code1 != code2 {
		_, err := f.confirm(f.sub, en2, code1)
		require.ErrorIs(t, err, verify.ErrInvalidProof)
	}
	m, err := f.confirm(f.sub, en2, code2)
	require.NoError(t, err)
	assert.Equal(t, en2.ID, m.ID)
}

// TestStaticSources reads the package's non-test sources: no math/rand
// (SECURITY-CHECKLIST OT-01) and the code comparison is constant time
// (OT-07).
func TestStaticSources(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			assert.NotContains(t, []string{"math/rand", "math/rand/v2"}, p, "%s imports %s", name, p)
		}
		n++
	}
	assert.GreaterOrEqual(t, n, 4)
	src, err := os.ReadFile("code.go")
	require.NoError(t, err)
	assert.Contains(t, string(src), "subtle.ConstantTimeCompare(h[:], st.hash)")
}

// TestCodeDistribution is OT-01's statistical smoke test on the generator
// the engines use (randomSymbols over codeAlphabet), over 200 000 six-digit
// codes rather than the checklist's 10⁶ to stay fast under -race: per
// position, a chi-square test of the ten digits' counts (9 degrees of
// freedom; 60 is beyond the 10⁻⁹ tail, so a correct generator fails with
// negligible probability), and codes with leading zeros appear at their
// expected rate.
func TestCodeDistribution(t *testing.T) {
	const n, digits = 200_000, 6
	var counts [digits][10]int
	leadingZero := 0
	for i := 0; i < n; i++ {
		c, err := randomSymbols(codeAlphabet, digits)
		require.NoError(t, err)
		for p := 0; p < digits; p++ {
			counts[p][c[p]-'0']++
		}
		if c[0] == '0' {
			leadingZero++
		}
	}
	for p := 0; p < digits; p++ {
		chi := 0.0
		for d := 0; d < 10; d++ {
			diff := float64(counts[p][d]) - n/10.0
			chi += diff * diff / (n / 10.0)
		}
		assert.Less(t, chi, 60.0, "position %d: chi-square %.1f, counts %v", p, chi, counts[p])
	}
	// Binomial(n, 0.1): mean 20 000, sd ≈ 134; 8 sd either side.
	assert.InDelta(t, n/10, leadingZero, 8*math.Sqrt(n*0.1*0.9))
}
