package otp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/verifykit/verifykit/verify"
)

// Limits of phone numbers.
const (
	// minPhoneDigits and maxPhoneDigits bound the digits of an E.164 number
	// after its '+': ITU-T E.164 §6 allows at most 15; 8 is the shortest
	// number this package accepts (country code and subscriber number).
	minPhoneDigits = 8
	maxPhoneDigits = 15
	// maxPhoneInputLen bounds the phone_number input in bytes, separators
	// included, before it is parsed.
	maxPhoneInputLen = 32
)

// errInvalidPhone is matched by every error of normalizePhone.
var errInvalidPhone = errors.New("otp: invalid phone number")

// normalizePhone validates s as an international phone number and returns
// it in E.164 form: '+' then 8 to 15 digits, the first not 0. Spaces,
// hyphens, dots and parentheses between the symbols are visual grouping and
// are dropped, so "+1 (555) 123-4567" becomes "+15551234567"; anything
// else, a missing '+' (a national number: the country is unknown), an
// international prefix ("0044…"), letters or Unicode digits, is an error.
// The input is at most maxPhoneInputLen bytes.
//
// This is a syntax check, not a numbering-plan check; the Phone engine
// uses parsePhone, which adds the numbering plan. Errors match
// errInvalidPhone and never echo s.
func normalizePhone(s string) (string, error) {
	if len(s) == 0 || len(s) > maxPhoneInputLen {
		return "", fmt.Errorf("%w: length %d out of range [1, %d]", errInvalidPhone, len(s), maxPhoneInputLen)
	}
	var b [1 + maxPhoneDigits]byte
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		case c == '+' && n == 0:
			b[0], n = '+', 1
		case c >= '0' && c <= '9' && n > 0:
			if n == len(b) {
				return "", fmt.Errorf("%w: more than %d digits", errInvalidPhone, maxPhoneDigits)
			}
			if n == 1 && c == '0' {
				return "", fmt.Errorf("%w: country code starts with 0", errInvalidPhone)
			}
			b[n] = c
			n++
		default:
			return "", fmt.Errorf("%w: byte %d is not '+' followed by digits and separators", errInvalidPhone, i)
		}
	}
	if n-1 < minPhoneDigits {
		return "", fmt.Errorf("%w: %d digits out of range [%d, %d]", errInvalidPhone, max(n-1, 0), minPhoneDigits, maxPhoneDigits)
	}
	return string(b[:n]), nil
}

// PhoneConfig configures a Phone engine. The zero value of each optional
// field is its default; out-of-range values are errors, never clamped.
type PhoneConfig struct {
	// HashKey keys the HMAC-SHA256 under which the sent code is sealed: at
	// least 32 random bytes, shared by every server
	// process. Required. Changing it voids the codes in flight (at most TTL).
	HashKey []byte
	// Digits is the code length. Default 6; range [6, 10].
	Digits int
	// TTL is how long a code is valid. Default 5 minutes; range [30s, 10m]
	// (NIST SP 800-63B §5.1.3.2).
	TTL time.Duration
	// SendLimit bounds the messages sent per user and, separately, per
	// number (its canonical E.164 form), across all processes sharing the
	// Limiter. Default 10 an hour; Requests in [1, 1000], Window in
	// [1m, 24h] (SECURITY-CHECKLIST OT-06).
	SendLimit verify.Limit

	// The budgets below stop SMS and voice pumping (toll fraud: many
	// numbers of one premium range, many accounts, one client). Each is a
	// bucket of the Limiter, charged after SendLimit's in the order listed;
	// the first exhausted one refuses the start with verify.ErrRateLimited
	// (HTTP 429 with its RateLimit headers) and nothing is sent. The zero
	// value is the default; Requests in [1, 1000000], Window in
	// [1m, 24h].
	//
	// IPLimit: per client IP (verify.Client.IP, which verify/httpapi fills),
	// across every account. Default 20 an hour.
	// Not charged when the host gives no IP.
	IPLimit verify.Limit
	// PrefixLimit: per number range, the E.164 number without its last 3
	// digits. Default 10 an hour.
	PrefixLimit verify.Limit
	// CountryLimit: per country calling code (+44 for GB, GG, IM and JE).
	// Default 200 an hour.
	CountryLimit verify.Limit
	// CeilingLimit: every code this engine sends, per process with an
	// in-memory Limiter, per cluster with a shared one (ratelimit's Redis
	// limiter). Default 1000 an hour.
	CeilingLimit verify.Limit
	// Countries, when set, is the allow-list of the regions (ISO 3166-1
	// alpha-2 codes as the numbering plan assigns them, e.g. "US", "GB",
	// "FR") whose numbers may enroll; any other number is refused with
	// verify.ErrInvalidRequest on phone_number. nil allows every region.
	Countries []string
	// SMSNumberTypes and VoiceNumberTypes are the number types (by the
	// numbering plan of github.com/nyaruka/phonenumbers) accepted for
	// each channel. nil means, for SMS, NumberMobile and
	// fixed-line-or-mobile where the plan cannot tell them apart) and
	// NumberFixedLineOrMobile (where the plan cannot tell them apart) and,
	// for voice, those and NumberFixedLine: premium-rate,
	// shared-cost, toll-free, VoIP, personal, pager, UAN, voicemail and
	// unknown numbers are refused unless listed.
	SMSNumberTypes   []NumberType
	VoiceNumberTypes []NumberType

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
	prefix    verify.Limit
	country   verify.Limit
	ceiling   verify.Limit
	countries map[string]bool
	smsTypes  []NumberType
	voiceType []NumberType
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
	cc := codeConfig{HashKey: cfg.HashKey, Digits: cfg.Digits, TTL: cfg.TTL, SendLimit: cfg.SendLimit, IPLimit: cfg.IPLimit, Now: cfg.Now}
	if err := cc.check(); err != nil {
		return nil, err
	}
	e := &Phone{
		core:   codeEngine{typ: verify.TypePhone, cfg: cc, sender: sender, limiter: limiter},
		prefix: cfg.PrefixLimit, country: cfg.CountryLimit, ceiling: cfg.CeilingLimit,
		channels: append([]Channel(nil), cfg.Channels...), forbidden: cfg.Forbidden,
		text: cfg.Text, voiceText: cfg.VoiceText,
	}
	for _, b := range []struct {
		name string
		l    *verify.Limit
		def  int
	}{{"PrefixLimit", &e.prefix, defaultPrefixSendRequests}, {"CountryLimit", &e.country, defaultCountrySendRequests}, {"CeilingLimit", &e.ceiling, defaultCeilingSendRequests}} {
		if err := budget(b.name, b.l, b.def); err != nil {
			return nil, err
		}
	}
	var err error
	if e.countries, err = regionSet(cfg.Countries); err != nil {
		return nil, err
	}
	if e.smsTypes, err = numberTypes("SMSNumberTypes", cfg.SMSNumberTypes, defaultSMSNumberTypes); err != nil {
		return nil, err
	}
	if e.voiceType, err = numberTypes("VoiceNumberTypes", cfg.VoiceNumberTypes, defaultVoiceNumberTypes); err != nil {
		return nil, err
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

// Start validates the request's phone_number (E.164 syntax, the
// numbering plan, Config.Countries and the number types of the channel)
// and preferred_authentication_method ("sms", "voice", or empty for the
// first of Config.Channels), charges the send budgets (the user, the
// client IP, the number, its range, its country calling code, the
// ceiling), draws a Digits-digit code from crypto/rand, sends it (Message
// with ChannelSMS or ChannelVoice, To in canonical E.164 form) and seals
// only its keyed hash, the number, the channel and the code's expiry.
//
// Errors: verify.ErrForbidden when Forbidden or for a channel not in
// Channels; verify.ErrInvalidRequest for a missing or invalid number, a
// number of a region or type not accepted, or a bad method;
// verify.ErrRateLimited with the bucket's state when a send budget is
// exhausted, in which case nothing is sent; a wrapped internal error
// when the limiter or the Sender fails. Whether the number belongs to
// another account is never looked at (SECURITY-CHECKLIST OT-11).
func (e *Phone) Start(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	if e.forbidden {
		return nil, verify.NewError(verify.ErrForbidden, "phone_forbidden", "Phone is not allowed as an authentication method")
	}
	if req.Request.PhoneNumber == "" {
		return nil, verify.InvalidField("phone_number", "/phone_number", "phone_number is required")
	}
	num, err := parsePhone(req.Request.PhoneNumber)
	if err != nil {
		return nil, verify.InvalidField("phone_number", "/phone_number", fmt.Sprintf("must be a valid international number in E.164 form: '+', the country code and the number without its trunk prefix, %d to %d digits", minPhoneDigits, maxPhoneDigits))
	}
	if e.countries != nil && !e.countries[num.Region] {
		return nil, verify.InvalidField("phone_number", "/phone_number", "numbers of this country are not accepted")
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
	text, types := e.text, e.smsTypes
	if ch == ChannelVoice {
		text, types = e.voiceText, e.voiceType
	}
	if !slices.Contains(types, num.Type) {
		return nil, verify.InvalidField("phone_number", "/phone_number", fmt.Sprintf("this number (%s) cannot receive codes by %s", num.Type, ch))
	}
	to := num.E164
	budgets := e.core.buckets(req, to,
		bucket{"prefix/" + to[:len(to)-3], e.prefix, "prefix"},
		bucket{"cc/" + strconv.Itoa(num.CountryCode), e.country, "country"},
		bucket{"all", e.ceiling, "ceiling"})
	return e.core.start(ctx, req, Message{Channel: ch, To: to}, text, budgets)
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
	st, err := e.core.confirm(req)
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
