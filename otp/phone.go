package otp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/verifykit/verifykit/verify"
)

// Limits of phone numbers.
const (
	// MinPhoneDigits and MaxPhoneDigits bound the digits of an E.164 number
	// after its '+': ITU-T E.164 §6 allows at most 15; 8 is the shortest
	// number this package accepts (country code and subscriber number).
	MinPhoneDigits = 8
	MaxPhoneDigits = 15
	// MaxPhoneInputLen bounds the phone_number input in bytes, separators
	// included, before it is parsed.
	MaxPhoneInputLen = 32
)

// ErrInvalidPhone is matched by every error of NormalizePhone.
var ErrInvalidPhone = errors.New("otp: invalid phone number")

// NormalizePhone validates s as an international phone number and returns
// it in E.164 form: '+' then 8 to 15 digits, the first not 0. Spaces,
// hyphens, dots and parentheses between the symbols are visual grouping and
// are dropped, so "+1 (555) 123-4567" becomes "+15551234567"; anything
// else, a missing '+' (a national number: the country is unknown), an
// international prefix ("0044…"), letters or Unicode digits, is an error.
// The input is at most MaxPhoneInputLen bytes.
//
// This is a syntax check, not a numbering-plan check: whether the number
// exists is learnt by sending it a code. Errors match ErrInvalidPhone and
// never echo s.
func NormalizePhone(s string) (string, error) {
	if len(s) == 0 || len(s) > MaxPhoneInputLen {
		return "", fmt.Errorf("%w: length %d out of range [1, %d]", ErrInvalidPhone, len(s), MaxPhoneInputLen)
	}
	var b [1 + MaxPhoneDigits]byte
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		case c == '+' && n == 0:
			b[0], n = '+', 1
		case c >= '0' && c <= '9' && n > 0:
			if n == len(b) {
				return "", fmt.Errorf("%w: more than %d digits", ErrInvalidPhone, MaxPhoneDigits)
			}
			if n == 1 && c == '0' {
				return "", fmt.Errorf("%w: country code starts with 0", ErrInvalidPhone)
			}
			b[n] = c
			n++
		default:
			return "", fmt.Errorf("%w: byte %d is not '+' followed by digits and separators", ErrInvalidPhone, i)
		}
	}
	if n-1 < MinPhoneDigits {
		return "", fmt.Errorf("%w: %d digits out of range [%d, %d]", ErrInvalidPhone, max(n-1, 0), MinPhoneDigits, MaxPhoneDigits)
	}
	return string(b[:n]), nil
}

// PhoneConfig configures a Phone engine. The zero value of each optional
// field is its default; out-of-range values are errors, never clamped.
type PhoneConfig struct {
	// HashKey keys the HMAC-SHA256 under which the sent code is sealed: at
	// least MinHashKeySize (32) random bytes, shared by every server
	// process. Required. Changing it voids the codes in flight (at most TTL).
	HashKey []byte
	// Digits is the code length. Default 6; range [6, 10].
	Digits int
	// TTL is how long a code is valid. Default 5 minutes; range [30s, 10m]
	// (NIST SP 800-63B §5.1.3.2).
	TTL time.Duration
	// SendLimit bounds the messages sent per user and, separately, per
	// number, across all processes sharing the Limiter. Default 10 an
	// hour; Requests in [1, 1000], Window in [1m, 24h]. The per-number
	// bucket is what stops SMS pumping (toll fraud) through one account
	// after another (SECURITY-CHECKLIST OT-06).
	SendLimit verify.Limit
	// Channels are the preferred_authentication_method values users may
	// choose: ChannelSMS and ChannelVoice (the default is both). A request
	// for another is refused with verify.ErrForbidden. The first one is the
	// default when the request names none.
	Channels []Channel
	// Forbidden refuses every phone enrollment with verify.ErrForbidden
	// (HTTP 403): the policy knob for deployments where the PSTN, a
	// restricted authenticator (NIST SP 800-63B §5.1.3.3), must not protect
	// the account (SECURITY-CHECKLIST OT-08). Default false.
	Forbidden bool
	// Text renders the SMS for a code and its lifetime; nil means "Your
	// verification code is 123456. It expires in 5 minutes." The result
	// must contain the code; keep it within one SMS (160 GSM characters).
	Text func(code string, ttl time.Duration) string
	// VoiceText renders the words a voice call speaks; nil spells the code
	// digit by digit, twice.
	VoiceText func(code string, ttl time.Duration) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Phone is the engine of verify.TypePhone: enrollment of a phone number
// that receives one-time codes by SMS or voice call. It is immutable and
// safe for concurrent use.
//
// The PSTN is a restricted authenticator (AssuranceRestricted): see the
// package documentation.
type Phone struct {
	core      codeEngine
	channels  []Channel
	forbidden bool
	text      func(string, time.Duration) string
	voiceText func(string, time.Duration) string
}

var _ verify.Engine = (*Phone)(nil)

// NewPhone validates cfg and returns a Phone engine sending through sender
// and throttling with limiter. Both are required.
func NewPhone(cfg PhoneConfig, sender Sender, limiter verify.Limiter) (*Phone, error) {
	if sender == nil {
		return nil, configErrorf("NewPhone: sender is required")
	}
	if limiter == nil {
		return nil, configErrorf("NewPhone: limiter is required")
	}
	cc := codeConfig{HashKey: cfg.HashKey, Digits: cfg.Digits, TTL: cfg.TTL, SendLimit: cfg.SendLimit, Now: cfg.Now}
	if err := cc.check(); err != nil {
		return nil, err
	}
	e := &Phone{
		core:     codeEngine{typ: verify.TypePhone, cfg: cc, sender: sender, limiter: limiter},
		channels: append([]Channel(nil), cfg.Channels...), forbidden: cfg.Forbidden,
		text: cfg.Text, voiceText: cfg.VoiceText,
	}
	if len(e.channels) == 0 {
		e.channels = []Channel{ChannelSMS, ChannelVoice}
	}
	for i, c := range e.channels {
		if c != ChannelSMS && c != ChannelVoice {
			return nil, configErrorf("Channels[%d] %q is not one of sms, voice", i, string(c))
		}
		for _, d := range e.channels[:i] {
			if c == d {
				return nil, configErrorf("Channels lists %q twice", string(c))
			}
		}
	}
	if e.text == nil {
		e.text = defaultText
	}
	if e.voiceText == nil {
		e.voiceText = defaultVoiceText
	}
	return e, nil
}

// Type returns verify.TypePhone.
func (e *Phone) Type() verify.Type { return verify.TypePhone }

// Assurance returns AssuranceRestricted.
func (e *Phone) Assurance() Assurance { return AssuranceRestricted }

// Start validates the request's phone_number (NormalizePhone) and
// preferred_authentication_method ("sms", "voice", or empty for the first
// of Config.Channels), charges the send limit of the user and of the
// number, draws a Digits-digit code from crypto/rand, sends it (Message
// with ChannelSMS or ChannelVoice) and seals only its keyed hash, the
// number, the channel and the code's expiry.
//
// Errors: verify.ErrForbidden when Forbidden or for a channel not in
// Channels; verify.ErrInvalidRequest for a missing or invalid number or
// method; verify.ErrRateLimited with the bucket's state when a send limit
// is exhausted, in which case nothing is sent; a wrapped internal error
// when the limiter or the Sender fails. Whether the number belongs to
// another account is never looked at (SECURITY-CHECKLIST OT-11).
func (e *Phone) Start(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	if e.forbidden {
		return nil, verify.NewError(verify.ErrForbidden, "phone_forbidden", "Phone is not allowed as an authentication method")
	}
	if req.Request.PhoneNumber == "" {
		return nil, verify.InvalidField("phone_number", "/phone_number", "phone_number is required")
	}
	to, err := NormalizePhone(req.Request.PhoneNumber)
	if err != nil {
		return nil, verify.InvalidField("phone_number", "/phone_number", fmt.Sprintf("must be an E.164 number: '+' and %d to %d digits", MinPhoneDigits, MaxPhoneDigits))
	}
	ch := e.channels[0]
	switch pref := Channel(req.Request.PreferredAuthenticationMethod); pref {
	case "":
	case ChannelSMS, ChannelVoice:
		if !e.allowed(pref) {
			return nil, verify.NewError(verify.ErrForbidden, "phone_channel_forbidden", fmt.Sprintf("The %s method is not allowed", pref))
		}
		ch = pref
	default:
		return nil, verify.InvalidField("preferred_authentication_method", "/preferred_authentication_method", "must be sms or voice")
	}
	text := e.text
	if ch == ChannelVoice {
		text = e.voiceText
	}
	return e.core.start(ctx, req, Message{Channel: ch, To: to}, text)
}

func (e *Phone) allowed(c Channel) bool {
	for _, a := range e.channels {
		if a == c {
			return true
		}
	}
	return false
}

// Confirm checks the otp_code against the sealed keyed hash in constant
// time, after the code's own expiry, and returns the method with the
// number and the channel (preferred_authentication_method) sealed at
// Start: nothing in the verify request can change them
// (SECURITY-CHECKLIST OT-08, OT-10).
//
// Errors: verify.ErrExpired for a code past its TTL; verify.ErrInvalidProof
// for a code that is not exactly Digits ASCII digits or is wrong.
func (e *Phone) Confirm(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	var buf [maxCodeState + 3]byte
	st, err := e.core.confirm(req, &buf)
	if err != nil {
		return nil, err
	}
	return &verify.Confirmation{Method: verify.Method{
		PhoneNumber: st.to, PreferredAuthenticationMethod: string(st.channel),
	}}, nil
}

// defaultVoiceText spells the code digit by digit, twice.
func defaultVoiceText(code string, ttl time.Duration) string {
	spelled := strings.Join(strings.Split(code, ""), " ")
	return "Your verification code is " + spelled + ". Again: " + spelled + ". It expires in " + humanDuration(ttl) + "."
}
