package faulttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/passkey"
	"github.com/verifykit/verifykit/password"
	"github.com/verifykit/verifykit/push"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// The Kit's deployment: where the API and the WebAuthn relying party live.
const (
	BaseURL = "https://id.example.com/me/v1"
	RPID    = "id.example.com"
	Origin  = "https://id.example.com"
	PushURL = "https://id.example.com/push"
	Issuer  = "verifykit faulttest"
)

// KitConfig configures NewKit. Every field is optional.
type KitConfig struct {
	// Store is the store under the fault wrapper. nil means a fresh
	// memory store on Clock.
	Store store.Store
	// Clock is the clock of the service, the engines, the sealer and the
	// default store. nil means storetest.NewClock(storetest.Epoch).
	Clock *storetest.Clock
	// Types are the method types served. nil means all nine
	// (push-notification only if Store implements store.PushDevices).
	Types []verify.Type
	// Logger receives the records of the handler, of the service's events
	// (verify.SlogObserver) and of the password engine. nil means a JSON
	// handler at Debug level writing to Kit.Logs, without the time.
	Logger *slog.Logger
	// MaxAttempts is the service's attempt limit; 0 means its default.
	MaxAttempts int
	// WrapEngine, when set, wraps each engine before the service gets it
	// (to count or to observe Confirm calls).
	WrapEngine func(verify.Engine) verify.Engine
	// WrapVerifier, when set, wraps the service before the handler gets
	// it (to observe every error the handler is given).
	WrapVerifier func(verify.Verifier) verify.Verifier
}

// Kit is a verify.Service with the real engine of every method type,
// served by an httpapi.Handler, over a fault-injecting Store: the common
// fixture of the fault, load and leak tests. Start, Proof, WrongProof and
// EnrollDevice act as the user's client, authenticator and device do.
type Kit struct {
	Clock   *storetest.Clock
	Store   *Store
	Service *verify.Service
	Handler *httpapi.Handler
	// Push is the push-notification engine, nil when it is not served.
	Push *push.Push
	// Outbox holds every e-mail and phone message sent.
	Outbox *Outbox
	// Logs holds the default Logger's records.
	Logs *Buffer
	// SealPassword and HashKey are the configured secrets, for leak checks.
	SealPassword string
	HashKey      []byte

	mu     sync.Mutex
	tokens map[string]string // bearer token → subject id
	subs   map[string]string // subject id → bearer token
	dest   atomic.Int64      // e-mail and phone destinations handed out
}

// NewKit builds a Kit; it fails t on any configuration error.
func NewKit(t testing.TB, cfg KitConfig) *Kit {
	t.Helper()
	k := &Kit{
		Clock: cfg.Clock, Outbox: &Outbox{}, Logs: &Buffer{},
		tokens: map[string]string{}, subs: map[string]string{},
	}
	if k.Clock == nil {
		k.Clock = storetest.NewClock(storetest.Epoch)
	}
	now := k.Clock.Now
	inner := cfg.Store
	if inner == nil {
		m, err := memory.New(memory.Config{Now: now})
		require.NoError(t, err)
		inner = m
	}
	k.Store = New(inner)
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewJSONHandler(k.Logs, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: dropTime}))
	}
	k.SealPassword = randomString(t, 32)
	k.HashKey = randomBytes(t, 32)

	limiter, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: now})
	require.NoError(t, err)
	types := cfg.Types
	if types == nil {
		types = verify.Types()
	}
	_, hasPush := inner.(store.PushDevices)
	var engines []verify.Engine
	sendLimit := verify.Limit{Requests: 1000, Window: time.Hour}
	// The budgets against pumping and mail bombing (otp; AB-03 onwards)
	// are opened wide (1,000,000, their upper bound): the kit sends from one
	// client to one range.
	wide := verify.Limit{Requests: 1_000_000, Window: time.Hour}
	for _, typ := range types {
		var e verify.Engine
		switch typ {
		case verify.TypeTOTP:
			e, err = otp.NewTOTP(otp.TOTPConfig{Issuer: Issuer, Now: now})
		case verify.TypeRecoveryCode:
			e, err = otp.NewRecoveryCode(otp.RecoveryCodeConfig{HashKey: k.HashKey})
		case verify.TypeEmail:
			e, err = otp.NewEmail(otp.EmailConfig{HashKey: k.HashKey, Now: now, SendLimit: sendLimit, IPLimit: wide, DomainLimit: wide}, k.Outbox, limiter)
		case verify.TypePhone:
			e, err = otp.NewPhone(otp.PhoneConfig{HashKey: k.HashKey, Now: now, SendLimit: sendLimit,
				IPLimit: wide, PrefixLimit: wide, CountryLimit: wide, CeilingLimit: wide}, k.Outbox, limiter)
		case verify.TypePushNotification:
			if !hasPush {
				continue
			}
			k.Push, err = push.New(push.Config{Issuer: Issuer, BaseURL: PushURL, Now: now,
				StartLimit: verify.Limit{Requests: 1000, Window: time.Hour}}, k.Store, limiter) // the largest StartLimit
			e = k.Push
		case verify.TypePasskey, verify.TypeWebAuthnPlatform, verify.TypeWebAuthnRoaming:
			e, err = passkey.New(typ, k.Store, passkey.Config{RPID: RPID, Origins: []string{Origin}, Now: now})
		case verify.TypePassword:
			var h *password.Hasher
			h, err = password.NewHasher(password.HashConfig{Algorithm: password.Bcrypt, BcryptCost: 10}) // the lowest cost accepted
			require.NoError(t, err)
			e, err = password.New(k.Store, password.Config{Hasher: h, Logger: logger, Now: now})
		default:
			t.Fatalf("faulttest: unknown type %q", typ)
		}
		require.NoError(t, err, "engine %s", typ)
		if cfg.WrapEngine != nil {
			e = cfg.WrapEngine(e)
		}
		engines = append(engines, e)
	}
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: k.SealPassword}}, Now: now})
	require.NoError(t, err)
	k.Service, err = verify.NewService(verify.Config{
		Engines: engines, Sealer: sealer, Store: k.Store, Now: now, MaxAttempts: cfg.MaxAttempts,
		Observer: verify.SlogObserver(logger),
	})
	require.NoError(t, err)
	var v verify.Verifier = k.Service
	if cfg.WrapVerifier != nil {
		v = cfg.WrapVerifier(v)
	}
	k.Handler, err = httpapi.New(httpapi.Config{
		Verifier: v, Authenticator: httpapi.AuthenticatorFunc(k.authenticate), Limiter: ratelimit.Unlimited(now),
		BaseURL: BaseURL, Logger: logger, Now: now,
	})
	require.NoError(t, err)
	return k
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// Token returns the bearer token of subject, creating it on first use.
// Tokens are random: they are secrets the leak test looks for.
func (k *Kit) Token(t testing.TB, subject string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	if tok, ok := k.subs[subject]; ok {
		return tok
	}
	tok := "kit-" + randomString(t, 24)
	k.subs[subject], k.tokens[tok] = tok, subject
	return tok
}

// Tokens returns every bearer token handed out.
func (k *Kit) Tokens() []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []string
	for tok := range k.tokens {
		out = append(out, tok)
	}
	return out
}

func (k *Kit) authenticate(r *http.Request) (httpapi.Principal, error) {
	tok, err := httpapi.BearerToken(r)
	if err != nil {
		return httpapi.Principal{}, err
	}
	k.mu.Lock()
	sub, ok := k.tokens[tok]
	k.mu.Unlock()
	if !ok {
		return httpapi.Principal{}, &httpapi.AuthError{Code: httpapi.CodeInvalidToken, Description: "The access token is invalid"}
	}
	return httpapi.Principal{
		Subject: verify.Subject{ID: sub, Name: "Kit User", Email: "kit.user@example.com", Username: "kituser"},
		Scopes:  []string{httpapi.ScopeCreateMethods},
	}, nil
}

// Enrollment is a started enrollment as the user's client sees it, with
// the secrets the Kit needs to prove it.
type Enrollment struct {
	Type        verify.Type
	Subject     string
	Token       string
	ID          string
	AuthSession string
	// Response is the 202 body.
	Response jsontext.Value
	// Destination is the e-mail address or phone number (email, phone).
	Destination string
	// Code is the code sent (email, phone).
	Code string
	// Secret is the TOTP secret (totp, push-notification) and
	// ManualInputCode its base32 form.
	Secret          []byte
	ManualInputCode string
	// RecoveryCode is the code shown (recovery-code).
	RecoveryCode string
	// Options are the WebAuthn creation options and Challenge their
	// challenge (passkey, webauthn-*).
	Options   jsontext.Value
	Challenge string
	// Ticket is the device enrollment ticket (push-notification).
	Ticket string
	// Password is the new password Proof sends (password).
	Password string

	authn jsontext.Value // the authenticator's response, made once
}

// startBody returns the POST /authentication-methods body for typ.
func (k *Kit) startBody(typ verify.Type) (body, dest string) {
	switch typ {
	case verify.TypeEmail:
		dest = fmt.Sprintf("kit%d@example.com", k.dest.Add(1))
		return `{"type":"email","email":"` + dest + `"}`, dest
	case verify.TypePhone:
		// 201-555-0000 to 9999: valid by the numbering plan (otp.PhoneConfig).
		dest = fmt.Sprintf("+1201555%04d", k.dest.Add(1)%10000)
		return `{"type":"phone","phone_number":"` + dest + `"}`, dest
	}
	return `{"type":"` + string(typ) + `"}`, ""
}

// StartRequest returns the request starting an enrollment of typ for
// subject, and the e-mail address or phone number it names.
func (k *Kit) StartRequest(t testing.TB, ctx context.Context, subject string, typ verify.Type) (*http.Request, string) {
	body, dest := k.startBody(typ)
	return k.Request(ctx, "/authentication-methods", k.Token(t, subject), body), dest
}

// Start starts an enrollment of typ for subject over HTTP and fails t
// unless it is accepted (202).
func (k *Kit) Start(t testing.TB, subject string, typ verify.Type) *Enrollment {
	t.Helper()
	r, dest := k.StartRequest(t, context.Background(), subject, typ)
	var rec *httptest.ResponseRecorder
	if typ == verify.TypeWebAuthnPlatform || typ == verify.TypeWebAuthnRoaming {
		// Starting these two types is verifykit's documented extension of
		// the spec, whose start operation does not list them.
		rec = k.Serve(r)
	} else {
		rec = k.Do(t, r)
	}
	require.Equal(t, http.StatusAccepted, rec.Code, "start %s: %s", typ, rec.Body.String())
	var b struct {
		ID                   string         `json:"id"`
		AuthSession          string         `json:"auth_session"`
		BarcodeURI           string         `json:"barcode_uri"`
		ManualInputCode      string         `json:"manual_input_code"`
		RecoveryCode         string         `json:"recovery_code"`
		AuthnParamsPublicKey jsontext.Value `json:"authn_params_public_key"`
		Policy               jsontext.Value `json:"policy"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &b))
	e := &Enrollment{
		Type: typ, Subject: subject, Token: k.Token(t, subject), ID: b.ID, AuthSession: b.AuthSession,
		Response: bytes.Clone(rec.Body.Bytes()), Destination: dest,
		ManualInputCode: b.ManualInputCode, RecoveryCode: b.RecoveryCode, Options: b.AuthnParamsPublicKey,
	}
	switch typ {
	case verify.TypeTOTP, verify.TypePushNotification:
		var err error
		e.Secret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(b.ManualInputCode)
		require.NoError(t, err)
		if typ == verify.TypePushNotification {
			u, err := url.Parse(b.BarcodeURI)
			require.NoError(t, err)
			e.Ticket = u.Query().Get("enrollment_tx_id")
			require.NotEmpty(t, e.Ticket)
		}
	case verify.TypeEmail, verify.TypePhone:
		m, ok := k.Outbox.Last(dest)
		require.True(t, ok, "no message to %s", dest)
		e.Code = m.Code
	case verify.TypePasskey, verify.TypeWebAuthnPlatform, verify.TypeWebAuthnRoaming:
		var o struct{ Challenge string }
		require.NoError(t, json.Unmarshal(b.AuthnParamsPublicKey, &o))
		e.Challenge = o.Challenge
	case verify.TypePassword:
		e.Password = randomString(t, 18)
	}
	return e
}

// TOTPCode returns the TOTP code of e's secret at the Kit's clock.
func (k *Kit) TOTPCode(t testing.TB, e *Enrollment) string {
	t.Helper()
	code, err := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: e.Secret}.Code(k.Clock.Now())
	require.NoError(t, err)
	return code
}

// wrongTOTPCodes returns n codes (not all distinct) that no time step the
// engine accepts at the Kit's clock yields.
func (k *Kit) wrongTOTPCodes(t testing.TB, e *Enrollment, n int) []string {
	t.Helper()
	key := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: e.Secret}
	valid := map[string]bool{}
	for _, d := range []time.Duration{-60 * time.Second, -30 * time.Second, 0, 30 * time.Second, 60 * time.Second} {
		c, err := key.Code(k.Clock.Now().Add(d))
		require.NoError(t, err)
		valid[c] = true
	}
	code := k.TOTPCode(t, e)
	var out []string
	for shift := 5; len(out) < n; shift = shift%9 + 1 {
		if w := shiftCode(code, shift); !valid[w] {
			out = append(out, w)
		}
	}
	return out
}

// shiftCode adds n (1 to 9) to every digit of code, mod 10: a code that
// differs from code in every digit.
func shiftCode(code string, n int) string {
	b := []byte(code)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = '0' + byte((int(c-'0')+n)%10)
		}
	}
	return string(b)
}

// Proof returns the body of a verify request that confirms e: the same
// body on every call (a passkey response is made once). A push
// enrollment needs EnrollDevice first.
func (k *Kit) Proof(t testing.TB, e *Enrollment) string {
	t.Helper()
	switch e.Type.Proof() {
	case "otp_code":
		code := e.Code
		if e.Type == verify.TypeTOTP {
			code = k.TOTPCode(t, e)
		}
		return VerifyBody(e.AuthSession, "otp_code", code)
	case "authn_response":
		if e.authn == nil {
			a, err := NewAuthenticator()
			require.NoError(t, err)
			e.authn, err = a.Register(e.Options, Origin)
			require.NoError(t, err)
		}
		return VerifyBody(e.AuthSession, "authn_response", e.authn)
	case "new_password":
		return VerifyBody(e.AuthSession, "new_password", e.Password)
	}
	return VerifyBody(e.AuthSession, "", nil)
}

// WrongProof returns the body of a verify request for e whose proof is
// wrong (a wrong code, a response to another challenge, a password the
// policy refuses) with the secret it carries, or false for the types that
// take no proof.
func (k *Kit) WrongProof(t testing.TB, e *Enrollment) (body, secret string, ok bool) {
	t.Helper()
	switch e.Type.Proof() {
	case "otp_code":
		wrong := WrongCode(e.Code)
		if e.Type == verify.TypeTOTP {
			wrong = k.wrongTOTPCodes(t, e, 1)[0]
		}
		return VerifyBody(e.AuthSession, "otp_code", wrong), wrong, true
	case "authn_response":
		var o map[string]any
		require.NoError(t, json.Unmarshal(e.Options, &o))
		other := base64.RawURLEncoding.EncodeToString(randomBytes(t, 32))
		o["challenge"] = other
		opts, err := json.Marshal(o)
		require.NoError(t, err)
		a, err := NewAuthenticator()
		require.NoError(t, err)
		resp, err := a.Register(opts, Origin)
		require.NoError(t, err)
		return VerifyBody(e.AuthSession, "authn_response", resp), other, true
	case "new_password":
		// In the dictionary and shorter than the policy's minimum.
		return VerifyBody(e.AuthSession, "new_password", "password1"), "password1", true
	}
	return "", "", false
}

// WrongCode returns a code of the same length that differs from code in
// every digit.
func WrongCode(code string) string { return shiftCode(code, 5) }

// VerifyBody is the JSON body {"auth_session": s, field: value} (only
// auth_session when field is empty). value is a string or raw JSON.
func VerifyBody(authSession, field string, value any) string {
	m := map[string]any{"auth_session": authSession}
	if field != "" {
		m[field] = value
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // strings and raw JSON always encode
	}
	return string(b)
}

// EnrollDevice enrolls a new device with e's ticket through the push
// device API, as the authenticator app would, and fails t unless it is
// accepted (201).
func (k *Kit) EnrollDevice(t testing.TB, e *Enrollment) *Device {
	t.Helper()
	d, err := NewDevice()
	require.NoError(t, err)
	rec := k.EnrollWith(t, context.Background(), d, e.Ticket)
	require.Equal(t, http.StatusCreated, rec.Code, "device enroll: %s", rec.Body.String())
	return d
}

// EnrollWith posts d's enrollment with ticket to the push device API.
func (k *Kit) EnrollWith(t testing.TB, ctx context.Context, d *Device, ticket string) *httptest.ResponseRecorder {
	t.Helper()
	require.NotNil(t, k.Push, "push-notification is not served")
	body, err := d.EnrollBody(k.Push.EnrollURL(), ticket, k.Clock.Now())
	require.NoError(t, err)
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, k.Push.EnrollURL(), bytes.NewReader(body))
	r.Header.Set("Authorization", `Ticket id="`+ticket+`"`)
	r.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	k.Push.EnrollHandler().ServeHTTP(rec, r)
	return rec
}

// VerifyPath is the path of the verify operation of method id.
func VerifyPath(id string) string {
	return "/authentication-methods/" + url.PathEscape(id) + "/verify"
}

// Request returns a POST of body to path (relative to BaseURL) with
// token, carrying ctx.
func (k *Kit) Request(ctx context.Context, path, token, body string) *http.Request {
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, BaseURL+path, strings.NewReader(body))
	r.RemoteAddr = "192.0.2.7:4711"
	r.Header.Set("Content-Type", "application/json")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

// VerifyRequest returns the verify request of e with body.
func (k *Kit) VerifyRequest(ctx context.Context, e *Enrollment, body string) *http.Request {
	return k.Request(ctx, VerifyPath(e.ID), e.Token, body)
}

// Verify posts body to e's verify operation.
func (k *Kit) Verify(t testing.TB, e *Enrollment, body string) *httptest.ResponseRecorder {
	t.Helper()
	return k.Do(t, k.VerifyRequest(context.Background(), e, body))
}

// Do serves r and checks the response against the spec when r is one of
// the two operations.
func (k *Kit) Do(t testing.TB, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := k.Serve(r)
	if op := Operation(r); op != "" {
		spectest.ValidateRecorder(t, op, rec)
	}
	return rec
}

// Serve serves r without checking the response.
func (k *Kit) Serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	k.Handler.ServeHTTP(rec, r)
	return rec
}

// Operation is the operationId of a request to the Kit's API, "" for none.
func Operation(r *http.Request) string {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/me/v1/authentication-methods")
	switch {
	case !ok || r.Method != http.MethodPost:
		return ""
	case rest == "":
		return "createAuthenticationMethod"
	case strings.HasSuffix(rest, "/verify") && strings.Count(rest, "/") == 2:
		return "confirmAuthenticationMethod"
	}
	return ""
}

// Problem is the spec's ErrorResponse.
type Problem struct {
	Type   string `json:"type"`
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// ProblemOf decodes the error body of rec.
func ProblemOf(t testing.TB, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	var p Problem
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p), rec.Body.String())
	return p
}

// Outbox is an otp.Sender keeping every message, safe for concurrent use.
type Outbox struct {
	mu   sync.Mutex
	msgs []otp.Message
}

var _ otp.Sender = (*Outbox)(nil)

// Send records m.
func (o *Outbox) Send(ctx context.Context, m otp.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// Last returns the last message sent to to.
func (o *Outbox) Last(to string) (otp.Message, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.msgs) - 1; i >= 0; i-- {
		if o.msgs[i].To == to {
			return o.msgs[i], true
		}
	}
	return otp.Message{}, false
}

// Messages returns every message sent.
func (o *Outbox) Messages() []otp.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.msgs)
}

// Buffer is a bytes.Buffer safe for the concurrent writes of a logger.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns what was written.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func randomString(t testing.TB, n int) string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(t, n))
}
