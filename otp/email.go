package otp

import (
	"context"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/verifykit/verifykit/internal/mailaddr"
	"github.com/verifykit/verifykit/verify"
)

// defaultEmailSubject is the subject line of code e-mails when
// EmailConfig.Subject is empty.
const defaultEmailSubject = "Your verification code"

// maxEmailSubjectLen bounds EmailConfig.Subject in bytes.
const maxEmailSubjectLen = 200

// EmailConfig configures an Email engine. The zero value of each optional
// field is its default; out-of-range values are errors, never clamped.
type EmailConfig struct {
	// HashKey keys the HMAC-SHA256 under which the sent code is sealed: at
	// least 32 random bytes, shared by every server
	// process. Required. Changing it voids the codes in flight (at most TTL).
	HashKey []byte
	// Digits is the code length. Default 6; range [6, 10]. Each digit
	// multiplies an attacker's guesses by ten.
	Digits int
	// TTL is how long a code is valid. Default 5 minutes; range [30s, 10m]
	// (NIST SP 800-63B §5.1.3.2). The auth_session's own lifetime also
	// bounds it.
	TTL time.Duration
	// SendLimit bounds the codes sent per user and, separately, per
	// mailbox, across all processes sharing the Limiter. Default 10 an
	// hour; Requests in [1, 1000], Window in [1m, 24h]. It bounds mail
	// bombing and, with the service's 5 attempts per auth_session, the
	// guesses per hour (50 by default). The mailbox is keyed on a
	// canonical form of the address — local part and domain lower-cased,
	// a "+tag" removed — so case variants and tags of one mailbox share
	// one bucket (AB-07); the address sent to and stored stays as typed.
	SendLimit verify.Limit
	// IPLimit bounds the codes sent for requests from one client IP
	// (verify.Client.IP), across every account; DomainLimit the codes sent
	// to one domain (lower-cased). Charged after SendLimit's, they refuse
	// with verify.ErrRateLimited and send nothing. Defaults
	// 20 and 300 an
	// hour; Requests in [1, 1000000], Window in [1m, 24h]. Raise
	// DomainLimit for the large mail providers most users share.
	IPLimit     verify.Limit
	DomainLimit verify.Limit
	// Forbidden refuses every e-mail enrollment with verify.ErrForbidden
	// (HTTP 403): the policy knob for deployments where e-mail must not be
	// an authentication factor (NIST SP 800-63B §5.1.3.1, ASVS 6.3.6;
	// SECURITY-CHECKLIST OT-09). Default false.
	Forbidden bool
	// Subject is the e-mail subject. Default "Your verification code"; at
	// most 200 bytes of UTF-8 without control characters.
	Subject string
	// Text renders the e-mail body for a code and its lifetime; nil means
	// "Your verification code is 123456. It expires in 5 minutes." The
	// result must contain the code.
	Text func(code string, ttl time.Duration) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Email is the engine of verify.TypeEmail: enrollment of an e-mail address
// that receives one-time codes. It is immutable and safe for concurrent use.
//
// E-mail is a low-assurance factor (AssuranceLow): it proves access to a
// mailbox, which anyone with the user's mail password, a forwarding rule
// or a shared inbox has. See the package documentation.
type Email struct {
	core      codeEngine
	domain    verify.Limit
	forbidden bool
	subject   string
	text      func(string, time.Duration) string
}

var _ verify.Engine = (*Email)(nil)

// NewEmail validates cfg and returns an Email engine sending through sender
// and throttling with limiter. Both are required: the limiter is what
// bounds mail bombing and guessing (SECURITY-CHECKLIST OT-05, OT-06); use
// ratelimit's shared implementation when several processes serve the API.
func NewEmail(cfg EmailConfig, sender Sender, limiter verify.Limiter) (*Email, error) {
	if sender == nil {
		return nil, configErrorf("NewEmail: sender is required")
	}
	if limiter == nil {
		return nil, configErrorf("NewEmail: limiter is required")
	}
	cc := codeConfig{HashKey: cfg.HashKey, Digits: cfg.Digits, TTL: cfg.TTL, SendLimit: cfg.SendLimit, IPLimit: cfg.IPLimit, Now: cfg.Now}
	if err := cc.check(); err != nil {
		return nil, err
	}
	e := &Email{
		core:      codeEngine{typ: verify.TypeEmail, cfg: cc, sender: sender, limiter: limiter},
		domain:    cfg.DomainLimit,
		forbidden: cfg.Forbidden, subject: cfg.Subject, text: cfg.Text,
	}
	if err := budget("DomainLimit", &e.domain, defaultDomainSendRequests); err != nil {
		return nil, err
	}
	if e.subject == "" {
		e.subject = defaultEmailSubject
	}
	if err := checkText("Subject", e.subject, maxEmailSubjectLen); err != nil {
		return nil, err
	}
	if e.text == nil {
		e.text = defaultText
	}
	return e, nil
}

// Type returns verify.TypeEmail.
func (e *Email) Type() verify.Type { return verify.TypeEmail }

// Assurance returns AssuranceLow.
func (e *Email) Assurance() Assurance { return AssuranceLow }

// Start validates the request's email (an RFC 5322 addr-spec of at most
// 254 bytes of printable ASCII, with a host name for domain), charges the send
// limit of the user and of the address, draws a Digits-digit code from
// crypto/rand, sends it (Message with ChannelEmail) and seals only its
// keyed hash, the normalised address and the code's expiry.
//
// Errors: verify.ErrForbidden when Forbidden; verify.ErrInvalidRequest for
// a missing or invalid address (field "email"); verify.ErrRateLimited with
// the bucket's state when a send limit is exhausted, in which case nothing
// is sent; a wrapped internal error when the limiter or the Sender fails.
// Whether the address belongs to another account is never looked at, so
// the answer cannot reveal it (SECURITY-CHECKLIST OT-11).
func (e *Email) Start(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	if e.forbidden {
		return nil, verify.NewError(verify.ErrForbidden, "email_forbidden", "Email is not allowed as an authentication method")
	}
	if req.Request.Email == "" {
		return nil, verify.InvalidField("email", "/email", "email is required")
	}
	to, err := mailaddr.Normalize(req.Request.Email)
	if err != nil {
		return nil, verify.InvalidField("email", "/email", fmt.Sprintf("must be an e-mail address (RFC 5322 addr-spec) of at most %d characters", mailaddr.MaxLen))
	}
	key, domain := emailLimitKey(to)
	budgets := e.core.buckets(req, key, bucket{"domain/" + domain, e.domain, "domain"})
	return e.core.start(ctx, req, Message{Channel: ChannelEmail, To: to, Subject: e.subject}, e.text, budgets)
}

// Confirm checks the otp_code against the sealed keyed hash in constant
// time, after the code's own expiry, and returns the method with its
// address. It writes nothing: the service has counted the attempt and
// makes the auth_session single use.
//
// Errors: verify.ErrExpired for a code past its TTL; verify.ErrInvalidProof
// for a code that is not exactly Digits ASCII digits or is wrong.
func (e *Email) Confirm(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	st, err := e.core.confirm(req)
	if err != nil {
		return nil, err
	}
	return &verify.Confirmation{Method: verify.Method{Email: st.to}}, nil
}

// defaultText is the default body of a code message.
func defaultText(code string, ttl time.Duration) string {
	return "Your verification code is " + code + ". It expires in " + humanDuration(ttl) + "."
}

// humanDuration writes d as "5 minutes", "1 minute", "90 seconds".
func humanDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		if m := int64(d / time.Minute); m != 1 {
			return fmt.Sprintf("%d minutes", m)
		}
		return "1 minute"
	}
	return fmt.Sprintf("%d seconds", int64(d/time.Second))
}

// checkText validates a configured header-like text: UTF-8, at most max
// bytes, no control characters (which would allow header injection).
func checkText(field, s string, max int) error {
	if len(s) > max {
		return configErrorf("%s length %d out of range [1, %d] bytes", field, len(s), max)
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return configErrorf("%s contains a control character or invalid UTF-8", field)
		}
	}
	return nil
}
