package otp

// The machinery shared by the Email and Phone engines: a one-time code
// delivered out of band. Start validates the destination, throttles
// sending, draws the code, sends it, and seals only its keyed hash;
// Confirm checks the code's own expiry and compares the hash in constant
// time.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/internal/mailaddr"
	"github.com/verifykit/verifykit/verify"
)

// Limits and defaults of EmailConfig and PhoneConfig.
const (
	// defaultCodeDigits is the length of an e-mailed or texted code: 6
	// digits, about 20 bits (NIST SP 800-63B §5.1.3.2 asks for at least 20).
	defaultCodeDigits = 6
	minCodeDigits     = 6
	maxCodeDigits     = 10
	// defaultCodeTTL is how long a code is valid.
	defaultCodeTTL = 5 * time.Minute
	minCodeTTL     = 30 * time.Second
	// maxCodeTTL is NIST SP 800-63B §5.1.3.2's bound: an out-of-band
	// secret is invalid after 10 minutes (SECURITY-CHECKLIST OT-02).
	maxCodeTTL = 10 * time.Minute
	// defaultSendRequests and defaultSendWindow make the default send
	// limit: 10 messages an hour per user and per destination.
	defaultSendRequests = 10
	defaultSendWindow   = time.Hour
	maxSendRequests     = 1000
	minSendWindow       = time.Minute
	maxSendWindow       = 24 * time.Hour
)

// Assurance is the strength an authentication method gives, for a host's
// policy (step-up, which factors may protect what). The My Account API has
// no field for it, so it is reported by the engines (Email.Assurance,
// Phone.Assurance), not stored.
type Assurance string

// Assurance levels of the engines of this file.
const (
	// AssuranceLow: e-mail proves access to a mailbox, not possession of a
	// device; NIST SP 800-63B §5.1.3.1 forbids it as an out-of-band
	// authenticator and ASVS 6.3.6 as an MFA factor (SECURITY-CHECKLIST OT-09).
	AssuranceLow Assurance = "low"
	// AssuranceRestricted: the PSTN (SMS, voice) is a restricted
	// authenticator of NIST SP 800-63B §5.1.3.3, exposed to SIM swap and
	// number porting; offer an alternative (SECURITY-CHECKLIST OT-08).
	AssuranceRestricted Assurance = "restricted"
)

// codeConfig is the part of EmailConfig and PhoneConfig that codeEngine
// uses, after defaults.
type codeConfig struct {
	HashKey   []byte
	Digits    int
	TTL       time.Duration
	SendLimit verify.Limit
	IPLimit   verify.Limit
	Now       func() time.Time
}

// check fills defaults and validates c; name prefixes nothing (the field
// names are the same in both configs).
func (c *codeConfig) check() error {
	if len(c.HashKey) < minHashKeySize {
		return configErrorf("HashKey of %d bytes is shorter than %d", len(c.HashKey), minHashKeySize)
	}
	c.HashKey = bytes.Clone(c.HashKey)
	if c.Digits == 0 {
		c.Digits = defaultCodeDigits
	}
	if c.Digits < minCodeDigits || c.Digits > maxCodeDigits {
		return configErrorf("Digits %d out of range [%d, %d]", c.Digits, minCodeDigits, maxCodeDigits)
	}
	if c.TTL == 0 {
		c.TTL = defaultCodeTTL
	}
	if c.TTL < minCodeTTL || c.TTL > maxCodeTTL {
		return configErrorf("TTL %v out of range [%v, %v]", c.TTL, minCodeTTL, maxCodeTTL)
	}
	if c.SendLimit == (verify.Limit{}) {
		c.SendLimit = verify.Limit{Requests: defaultSendRequests, Window: defaultSendWindow}
	}
	if c.SendLimit.Requests < 1 || c.SendLimit.Requests > maxSendRequests {
		return configErrorf("SendLimit.Requests %d out of range [1, %d]", c.SendLimit.Requests, maxSendRequests)
	}
	if c.SendLimit.Window < minSendWindow || c.SendLimit.Window > maxSendWindow {
		return configErrorf("SendLimit.Window %v out of range [%v, %v]", c.SendLimit.Window, minSendWindow, maxSendWindow)
	}
	if err := budget("IPLimit", &c.IPLimit, defaultIPSendRequests); err != nil {
		return err
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// codeEngine is the engine core shared by Email and Phone.
type codeEngine struct {
	typ     verify.Type
	cfg     codeConfig
	sender  Sender
	limiter verify.Limiter
}

// codeAlphabet is the alphabet of codes: decimal digits, drawn uniformly.
const codeAlphabet = "0123456789"

// Sealed state layout (encodeState of one byte string):
//
//	[0]      stateVersion
//	[1]      channel (channelID)
//	[2]      digits
//	[3:11]   code expiry, Unix milliseconds, big-endian
//	[11:43]  keyedHash of the code (see codeEngine.hash)
//	[43:]    destination, normalised, 1 to maxDestLen bytes
const (
	codeStateVersion = 1
	codeStateHeader  = 43
	maxDestLen       = mailaddr.MaxLen
	maxCodeState     = codeStateHeader + maxDestLen
)

type codeState struct {
	channel Channel
	digits  int
	expires time.Time
	hash    []byte
	to      string
}

func (s *codeState) encode() string {
	b := make([]byte, codeStateHeader, codeStateHeader+len(s.to))
	b[0] = codeStateVersion
	b[1] = s.channel.id()
	b[2] = byte(s.digits)
	binary.BigEndian.PutUint64(b[3:11], uint64(s.expires.UnixMilli()))
	copy(b[11:43], s.hash)
	b = append(b, s.to...)
	return encodeState(b)
}

// decodeCodeState parses a sealed state made by codeState.encode into s.
func decodeCodeState(raw jsontext.Value, s *codeState) bool {
	b, err := decodeState(raw, maxCodeState)
	if err != nil || len(b) <= codeStateHeader || b[0] != codeStateVersion {
		return false
	}
	s.channel = channelOf(b[1])
	s.digits = int(b[2])
	ms := binary.BigEndian.Uint64(b[3:11])
	if s.channel == "" || s.digits < minCodeDigits || s.digits > maxCodeDigits || ms > 1<<62 {
		return false
	}
	s.expires = time.UnixMilli(int64(ms))
	s.hash = b[11:43]
	s.to = string(b[43:])
	return true
}

// hash is the keyed hash under which a code is sealed: HMAC-SHA256 under
// the HashKey, domain-separated per method type and bound to the user, the
// method id, the channel, the destination and the expiry
// (SECURITY-CHECKLIST OT-04, OT-07), so that a code sent for one
// enrollment can never confirm another.
func (e *codeEngine) hash(subject, methodID string, s *codeState, code []byte) [sha256.Size]byte {
	return keyedHash(e.cfg.HashKey, "verifykit/otp/"+string(e.typ)+"/v1",
		subject, methodID, string(s.channel), s.to,
		strconv.FormatInt(s.expires.UnixMilli(), 10), string(code))
}

// start charges the send budgets, draws a code, sends msg with it through
// the Sender and returns the challenge sealing its keyed hash. msg has
// Channel and To set; text renders the body. A refused budget sends
// nothing (SECURITY-CHECKLIST OT-06; AB-03, AB-04, AB-07, AB-08, AB-14).
func (e *codeEngine) start(ctx context.Context, req *verify.EngineStart, msg Message, text func(code string, ttl time.Duration) string, budgets []bucket) (*verify.Challenge, error) {
	if req.MethodID == "" || req.Subject.ID == "" {
		return nil, fmt.Errorf("otp: %s start without a method id or subject", e.typ)
	}
	if err := e.charge(ctx, budgets); err != nil {
		return nil, err
	}
	code, err := randomSymbols(codeAlphabet, e.cfg.Digits)
	if err != nil {
		return nil, err
	}
	st := codeState{
		channel: msg.Channel, digits: e.cfg.Digits, to: msg.To,
		expires: e.cfg.Now().Add(e.cfg.TTL).Truncate(time.Millisecond),
	}
	h := e.hash(req.Subject.ID, req.MethodID, &st, []byte(code))
	st.hash = h[:]
	msg.Code, msg.ExpiresAt = code, st.expires
	msg.Text = text(code, e.cfg.TTL)
	if err := e.sender.Send(ctx, msg); err != nil {
		return nil, fmt.Errorf("otp: send %s code: %w", msg.Channel, err)
	}
	return &verify.Challenge{State: st.encode()}, nil
}

// confirm checks the otp_code of req against the sealed state and returns
// the state. Errors: verify.ErrInvalidSession for an unreadable state,
// verify.ErrExpired for a code past its own expiry (OT-02),
// verify.ErrInvalidProof for a malformed or wrong code. The attempt has
// already been counted by the service (store.Store.Attempt), which
// voids the session after Config.MaxAttempts failures (OT-05).
func (e *codeEngine) confirm(req *verify.EngineConfirm) (codeState, error) {
	var st codeState
	if req.Request.OTPCode == nil {
		return st, verify.InvalidField("otp_code", "/otp_code", string(e.typ)+" requires otp_code")
	}
	if !decodeCodeState(req.State, &st) || !e.channelOK(st.channel) {
		return st, invalidState(string(e.typ) + "_state")
	}
	if !e.cfg.Now().Before(st.expires) {
		return st, verify.NewError(verify.ErrExpired, "code_expired", "The code has expired; start the enrollment again")
	}
	var in [maxCodeDigits]byte
	if !readDigits(in[:], *req.Request.OTPCode, st.digits) {
		return st, invalidProof(string(e.typ) + "_code_format")
	}
	h := e.hash(req.Subject.ID, req.MethodID, &st, in[:st.digits])
	if subtle.ConstantTimeCompare(h[:], st.hash) != 1 {
		return st, invalidProof(string(e.typ) + "_code")
	}
	return st, nil
}

func (e *codeEngine) channelOK(c Channel) bool {
	if e.typ == verify.TypeEmail {
		return c == ChannelEmail
	}
	return c == ChannelSMS || c == ChannelVoice
}
