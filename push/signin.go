package push

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"
	jsonv2 "github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// Sign-in with a push method (verify.Engine), Guardian's way:
//
//  1. Challenge draws a transaction token (txtkn, 256 bits) and a challenge
//     (128 bits), records their SHA-256 in the store (store.PushDevices)
//     with the user and method until the auth_session expires, and sends
//     the device a notification through the Notifier whose data are
//     Guardian's payload keys (Notification.Data).
//  2. The device answers POST <base>/api/resolve-transaction with
//     "Authorization: Bearer <txtkn>" and {"challenge_response": JWT}
//     (Resolve, ResolveHandler): a JWT signed with the device's key, over
//     this transaction's challenge, recorded once.
//  3. The client polls authenticate with the auth_session alone:
//     verify.ErrPending until the device answered, then success if it
//     approved, verify.ErrInvalidProof if it rejected.

// Notifier sends a sign-in notification to an enrolled device, through the
// device's push service (Device.Service, Device.Token): Guardian's "allow
// or deny" push, whose data are n.Data(). Challenge calls it once per
// sign-in challenge, within the per-user ChallengeLimit (PU-04).
type Notifier interface {
	Notify(ctx context.Context, d Device, n Notification) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, d Device, n Notification) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, d Device, n Notification) error {
	return f(ctx, d, n)
}

// Notification is one sign-in notification for a device.
type Notification struct {
	// TransactionToken (txtkn) authorizes the device's answer; random,
	// 256 bits. Only its hash is stored.
	TransactionToken string
	// Challenge (c) is what the device signs (the JWT's sub); random,
	// 128 bits.
	Challenge string
	// DeviceAccountID (dai) is the device account the sign-in is for.
	DeviceAccountID string
	// ServerURL (sh) is the device API's base URL (Config.BaseURL).
	ServerURL string
	// Date (d) is when the sign-in was started.
	Date time.Time
	// Source (s) describes the client that started the sign-in, from its
	// User-Agent; informational.
	Source Source
	// Title and Body are a visible text for the push provider.
	Title, Body string
}

// Source is where a sign-in comes from, as Guardian shows it.
type Source struct {
	Browser, BrowserVersion string
	OS, OSVersion           string
}

// Data returns the notification's data as Guardian's apps read them
// (Guardian.Android ParcelableNotification): txtkn, c, dai, sh, d as
// yyyy-MM-dd'T'HH:mm:ss.SSS'Z' in UTC, and s, a JSON string
// {"b":{"n","v"},"os":{"n","v"}}.
func (n Notification) Data() map[string]string {
	type nv struct {
		N string `json:"n"`
		V string `json:"v"`
	}
	s, _ := jsonv2.Marshal(struct {
		B  nv `json:"b"`
		OS nv `json:"os"`
	}{nv{n.Source.Browser, n.Source.BrowserVersion}, nv{n.Source.OS, n.Source.OSVersion}})
	return map[string]string{
		"txtkn": n.TransactionToken,
		"c":     n.Challenge,
		"dai":   n.DeviceAccountID,
		"sh":    n.ServerURL,
		"d":     n.Date.UTC().Format("2006-01-02T15:04:05.000Z"),
		"s":     string(s),
	}
}

// Sizes of a sign-in transaction's random values.
const (
	transactionTokenSize = 32
	challengeSize        = 16
)

// signInState is the sealed state of a push sign-in.
type signInState struct {
	V      int    `json:"v"`
	Tx     []byte `json:"t"`          // SHA-256 of the transaction token
	Number string `json:"n,omitzero"` // the number to match, with NumberMatching
}

// Challenge implements verify.Engine: it charges the user's
// ChallengeLimit (verify.ErrRateLimited, nothing sent), records a new
// transaction for this method until the auth_session expires, and sends
// the device a notification through Config.Notifier. With NumberMatching,
// Challenge.MatchNumber is the number to show the user.
//
// Errors: verify.ErrRateLimited; a wrapped internal error when there is no
// Notifier, or the device record, the limiter, the store or the Notifier
// fails.
func (p *Push) Challenge(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	if req.Subject.ID == "" || req.Record.ID == "" || req.ExpiresAt.IsZero() {
		return nil, errors.New("push: sign-in challenge without a subject, method or expiry")
	}
	if p.notifier == nil {
		return nil, errors.New("push: sign-in needs a Notifier (Config.Notifier)")
	}
	dv, err := ParseDevice(req.Record.Secret)
	if err != nil {
		return nil, err
	}
	d, err := p.limiter.Allow(ctx, "verifykit/push-notification/challenge/user/"+req.Subject.ID, p.challengeLimit)
	if err != nil {
		return nil, fmt.Errorf("push: rate limiter: %w", err)
	}
	if !d.Allowed {
		return nil, &verify.Error{Kind: verify.ErrRateLimited, Reason: "push_challenge_limited", Detail: "Too many sign-in notifications were sent; try again later", RateLimit: &d}
	}
	buf := make([]byte, transactionTokenSize+challengeSize)
	if _, err := rand.Read(buf); err != nil {
		return nil, fmt.Errorf("push: random: %w", err)
	}
	txtkn := ticketEncoding.EncodeToString(buf[:transactionTokenSize])
	challenge := ticketEncoding.EncodeToString(buf[transactionTokenSize:])
	th, ch := sha256.Sum256([]byte(txtkn)), sha256.Sum256([]byte(challenge))
	st := signInState{V: 1, Tx: th[:]}
	if p.numberMatching {
		n, err := rand.Int(rand.Reader, big.NewInt(90))
		if err != nil {
			return nil, fmt.Errorf("push: random: %w", err)
		}
		st.Number = fmt.Sprint(10 + n.Int64())
	}
	err = p.devices.CreatePushTransaction(ctx, store.PushTransaction{
		Hash: th[:], ChallengeHash: ch[:], Subject: req.Subject.ID, MethodID: req.Record.ID, Expires: req.ExpiresAt,
	})
	if err != nil {
		return nil, fmt.Errorf("push: record transaction: %w", err)
	}
	n := Notification{
		TransactionToken: txtkn, Challenge: challenge, DeviceAccountID: deviceAccountID(req.Record),
		ServerURL: p.baseURL, Date: p.now().UTC(), Source: parseUserAgent(req.Client.UserAgent),
		Title: p.issuer, Body: "Are you trying to sign in?",
	}
	if err := p.notifier.Notify(ctx, dv, n); err != nil {
		return nil, fmt.Errorf("push: notify: %w", err)
	}
	return &verify.Challenge{State: st, MatchNumber: st.Number}, nil
}

// Authenticate implements verify.Engine, reading only: it succeeds
// once the device approved this sign-in's transaction (Resolve). Until
// the device answers it is verify.ErrPending, counted against the
// session's poll budget (MaxAttempts); a rejection is
// verify.ErrInvalidProof; an expired transaction verify.ErrExpired.
func (p *Push) Authenticate(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	r := req.Request
	if r.OTPCode != nil || r.RecoveryCode != nil || r.Password != nil || r.AuthnResponse != nil {
		return nil, verify.InvalidField("auth_session", "", "push-notification takes only auth_session")
	}
	var st signInState
	if err := jsonv2.Unmarshal(req.State, &st, jsonv2.RejectUnknownMembers(true)); err != nil || st.V != 1 || len(st.Tx) != sha256.Size {
		return nil, verify.NewError(verify.ErrInvalidSession, "push_state", "The auth_session is invalid")
	}
	t, err := p.devices.PushTransaction(ctx, st.Tx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, verify.NewError(verify.ErrExpired, "push_transaction_expired", "The sign-in has expired; start it again")
	}
	if err != nil {
		return nil, fmt.Errorf("push: read transaction: %w", err)
	}
	if t.Subject != req.Subject.ID || t.MethodID != req.Record.ID {
		return nil, verify.NewError(verify.ErrInvalidProof, "push_transaction_binding", "The sign-in does not belong to this session")
	}
	switch {
	case !t.Resolved:
		return nil, verify.NewError(verify.ErrPending, "sign_in_pending", "sign-in pending")
	case !t.Accepted:
		return nil, verify.NewError(verify.ErrInvalidProof, "push_rejected", "The sign-in was rejected on the device")
	case p.numberMatching && subtle.ConstantTimeCompare([]byte(t.Reason), []byte(numberReason(st.Number))) != 1:
		// Resolve records the number the device signed as the reason of an
		// approval; a missing or wrong one never approves.
		return nil, verify.NewError(verify.ErrInvalidProof, "push_number_mismatch", "The number picked on the device was wrong")
	}
	return &verify.Confirmation{Method: req.Method, Record: req.Record}, nil
}

// numberReason is how an approval's matched number is recorded.
func numberReason(n string) string { return "number:" + n }

// challengeClaims are the claims of Guardian's challenge response.
type challengeClaims struct {
	Iat      *int64        `json:"iat"`
	Exp      *int64        `json:"exp"`
	Aud      audienceClaim `json:"aud"`
	Iss      string        `json:"iss"`
	Sub      string        `json:"sub"`
	Method   string        `json:"auth0_guardian_method"`
	Accepted *bool         `json:"auth0_guardian_accepted"`
	Reason   *string       `json:"auth0_guardian_reason"`
	Number   *string       `json:"verifykit_number"` // with Config.NumberMatching
}

// audienceClaim is an audience: a string or an array of strings.
type audienceClaim []string

// UnmarshalJSON accepts a string or an array of at most 8 strings.
func (a *audienceClaim) UnmarshalJSON(b []byte) error {
	var one string
	if jsonv2.Unmarshal(b, &one) == nil {
		*a = []string{one}
		return nil
	}
	var many []string
	if err := jsonv2.Unmarshal(b, &many); err != nil {
		return err
	}
	if len(many) > 8 {
		return errors.New("too many audiences")
	}
	*a = many
	return nil
}

// Resolve serves POST <base>/api/resolve-transaction, transport-free: the
// device with transaction token txtkn answers with challengeResponse, a
// compact JWT signed by the device's key — alg pinned to the key's (RS256,
// or ES256 for an EC device) — whose claims are aud = ResolveURL, iss =
// the device identifier, sub = this transaction's challenge, iat and exp
// with exp − iat at most 30 s and exp not passed, auth0_guardian_method
// "push", auth0_guardian_accepted true or false, and an optional
// auth0_guardian_reason. The answer is recorded once, atomically
// (store.PushDevices.ResolvePushTransaction): a replay, or any second
// answer, is refused.
//
// Errors: ErrInvalidTransaction for an unknown, expired or answered
// transaction, or a deleted device; ErrInvalidProof for a response that
// does not verify; a wrapped internal error for a store failure.
func (p *Push) Resolve(ctx context.Context, txtkn, challengeResponse string) error {
	raw, err := ticketEncoding.DecodeString(txtkn)
	if err != nil || len(raw) != transactionTokenSize {
		return ErrInvalidTransaction
	}
	h := sha256.Sum256([]byte(txtkn))
	t, err := p.devices.PushTransaction(ctx, h[:])
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrInvalidTransaction, err)
	case err != nil:
		return fmt.Errorf("push: read transaction: %w", err)
	case t.Resolved:
		return fmt.Errorf("%w: %w", ErrInvalidTransaction, store.ErrConsumed)
	}
	m, err := p.devices.Get(ctx, t.Subject, t.MethodID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%w: device deleted", ErrInvalidTransaction) // PU-05: revoked
	case err != nil:
		return fmt.Errorf("push: read method: %w", err)
	}
	dv, err := ParseDevice(m.Secret)
	if err != nil {
		return err
	}
	key, err := parseDeviceKey(dv.PublicKey)
	if err != nil {
		return fmt.Errorf("push: device record: %w", err)
	}
	c, err := p.checkChallengeResponse(key, challengeResponse, dv.Identifier, t.ChallengeHash)
	if err != nil {
		return err
	}
	reason := ""
	if c.Reason != nil {
		reason = *c.Reason
	}
	if *c.Accepted && p.numberMatching {
		reason = ""
		if c.Number != nil {
			reason = numberReason(*c.Number)
		}
	}
	_, err = p.devices.ResolvePushTransaction(ctx, h[:], *c.Accepted, reason)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConsumed):
		return fmt.Errorf("%w: %w", ErrInvalidTransaction, err)
	case err != nil:
		return fmt.Errorf("push: resolve transaction: %w", err)
	}
	return nil
}

// checkChallengeResponse verifies a challenge response JWT with go-jose,
// the algorithm pinned to key's, and checks its claims.
func (p *Push) checkChallengeResponse(key *deviceKey, token, identifier string, challengeHash []byte) (*challengeClaims, error) {
	if token == "" || len(token) > maxProofLen {
		return nil, fmt.Errorf("%w: challenge_response length", ErrInvalidProof)
	}
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(key.Alg)})
	if err != nil || len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: not a compact JWS signed with %s", ErrInvalidProof, key.Alg)
	}
	hdr := jws.Signatures[0].Header
	// The key is the enrolled one, whatever the header says; a header
	// naming another key (jwk) is refused rather than ignored.
	if hdr.JSONWebKey != nil || hdr.Nonce != "" || len(hdr.ExtraHeaders) > 1 {
		return nil, fmt.Errorf("%w: header", ErrInvalidProof)
	}
	for name, v := range hdr.ExtraHeaders {
		if name != "typ" || v != "JWT" {
			return nil, fmt.Errorf("%w: header %q", ErrInvalidProof, name)
		}
	}
	payload, err := jws.Verify(key.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: signature", ErrInvalidProof)
	}
	var c challengeClaims
	if err := jsonv2.Unmarshal(payload, &c, jsonv2.RejectUnknownMembers(true)); err != nil || c.Iat == nil || c.Exp == nil || c.Accepted == nil {
		return nil, fmt.Errorf("%w: claims", ErrInvalidProof)
	}
	sub := sha256.Sum256([]byte(c.Sub))
	if subtle.ConstantTimeCompare(sub[:], challengeHash) != 1 {
		return nil, fmt.Errorf("%w: signed over another challenge", ErrInvalidProof)
	}
	if c.Iss != identifier || !containsString(c.Aud, p.resolveURL) || c.Method != "push" {
		return nil, fmt.Errorf("%w: issuer, audience or method", ErrInvalidProof)
	}
	now := p.now().Unix()
	iat, exp := *c.Iat, *c.Exp
	if iat > now+int64(proofClockSkew/time.Second) || exp <= now || exp < iat || exp-iat > int64(responseMaxLifetime/time.Second) {
		return nil, fmt.Errorf("%w: not current", ErrInvalidProof)
	}
	if c.Reason != nil {
		if err := checkString(*c.Reason, maxReasonLen); err != "" && *c.Reason != "" {
			return nil, badField("auth0_guardian_reason", err)
		}
	}
	if c.Number != nil && (len(*c.Number) > 8 || strings.IndexFunc(*c.Number, func(r rune) bool { return r < '0' || r > '9' }) >= 0) {
		return nil, badField("verifykit_number", "must be digits")
	}
	return &c, nil
}

func containsString(list []string, want string) bool {
	for _, s := range list {
		if s == want {
			return true
		}
	}
	return false
}

// parseUserAgent names the browser and operating system of a User-Agent
// for the notification's source, best effort: the first known product
// token wins; anything unknown is left empty. It is informational only.
func parseUserAgent(ua string) Source {
	if len(ua) > 512 || !utf8.ValidString(ua) || strings.IndexFunc(ua, unicode.IsControl) >= 0 {
		return Source{}
	}
	var s Source
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Version/", "Safari"},
	} {
		if _, rest, ok := strings.Cut(ua, b.token); ok {
			s.Browser, s.BrowserVersion = b.name, leadingVersion(rest)
			break
		}
	}
	for _, o := range []struct{ token, name string }{
		{"Windows NT ", "Windows"}, {"Android ", "Android"}, {"iPhone OS ", "iOS"}, {"CPU OS ", "iOS"},
		{"Mac OS X ", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if _, rest, ok := strings.Cut(ua, o.token); ok {
			s.OS, s.OSVersion = o.name, strings.ReplaceAll(leadingVersion(rest), "_", ".")
			break
		}
	}
	return s
}

// leadingVersion returns the version number at the start of s: digits,
// dots and underscores, at most 20 bytes.
func leadingVersion(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.' || r == '_') })
	if i < 0 {
		i = len(s)
	}
	return s[:min(i, 20)]
}
