package push

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/internal/keyuri"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// Limits and defaults of Config.
const (
	// defaultTicketSize is the enrollment ticket's length: 128 bits.
	defaultTicketSize = 16
	// minTicketSize is 112 bits, NIST SP 800-63B-4's floor for a binding
	// code that is not paired with a typed identifier (PU-01); it is also
	// the challenge the device signs, far above ASVS 6.7.2's 64 bits (PU-02).
	minTicketSize = 14
	maxTicketSize = 64
	// defaultSecretSize is the TOTP secret's length (160 bits, RFC 4226 §4).
	defaultSecretSize = 20
	minSecretSize     = 16
	maxSecretSize     = 64
	// defaultMaxPolls is how many confirm attempts one auth_session allows.
	// A client polls verify while the user installs the app and scans the
	// code; every poll is counted before the engine answers "pending", so
	// the budget is larger than verify.DefaultMaxAttempts: one poll every
	// 5 seconds for the default 5-minute session. Polls cannot guess
	// anything: confirm succeeds only once a device holding its own key
	// has redeemed this session's ticket.
	defaultMaxPolls = 60
	// defaultStartRequests and defaultStartWindow make the default limit on
	// enrollment starts per user: 20 an hour.
	defaultStartRequests = 20
	defaultStartWindow   = time.Hour
	maxStartRequests     = 1000
	// maxIssuerLen bounds Config.Issuer in bytes.
	maxIssuerLen = 100
	// proofMaxLifetime bounds exp − iat of a device's proof, and
	// proofClockSkew the device clock's lead over the server's.
	proofMaxLifetime = 10 * time.Minute
	proofClockSkew   = time.Minute
	// defaultChallengeRequests and defaultChallengeWindow make the default
	// limit on sign-in pushes per user: 10 in 10 minutes (PU-04).
	defaultChallengeRequests = 10
	defaultChallengeWindow   = 10 * time.Minute
	// defaultDeviceRequests and defaultDeviceWindow make the default limit
	// on device API requests (enroll, device accounts, resolve-transaction)
	// per client IP: 60 a minute.
	defaultDeviceRequests = 60
	defaultDeviceWindow   = time.Minute
	// responseMaxLifetime bounds exp − iat of a challenge response, as
	// Guardian's SDKs sign it (iat + 30 s).
	responseMaxLifetime = 30 * time.Second
)

// defaultServices are the push services accepted by default, as the
// Guardian SDKs name them (Guardian.swift sends "APNS"; "APNs" is
// accepted too).
var defaultServices = []string{"GCM", "FCM", "APNS", "APNs"}

// ErrConfig is matched by every error of New.
var ErrConfig = errors.New("push: invalid config")

func configErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

// Config configures a Push engine. The zero value of each optional field
// is its default; out-of-range values are errors, never clamped.
type Config struct {
	// Issuer names the service in the authenticator app. Required: 1 to
	// 100 bytes of UTF-8 without ':' or control characters.
	Issuer string
	// BaseURL is where devices reach the device API: they POST to
	// BaseURL + "/api/enroll", served by EnrollHandler. Required: an
	// absolute https URL without query or fragment; http is accepted for a
	// loopback host only (development).
	BaseURL string
	// TicketSize is the enrollment ticket's length in bytes, from
	// crypto/rand. Default 16; range [14, 64] (at least 112 bits).
	TicketSize int
	// SecretSize is the length of the TOTP secret in the barcode, which the
	// authenticator app also uses for offline codes. Default 20; range
	// [16, 64].
	SecretSize int
	// MaxPolls is how many confirm attempts (polls) one auth_session
	// allows; it replaces verify.Config.MaxAttempts for this type. Default
	// 60, one poll every 5 seconds for the default 5-minute session; range
	// [1, 100].
	MaxPolls int
	// StartLimit bounds enrollment starts per user (each creates a ticket
	// record). Default 20 an hour; Requests in [1, 1000], Window in
	// [1m, 24h].
	StartLimit verify.Limit
	// Services are the accepted push_credentials.service values. Default
	// "GCM", "FCM", "APNS" and "APNs", as the Guardian SDKs name them; each
	// 1 to 32 printable ASCII characters.
	Services []string
	// RequireProof makes the enrollment's proof of possession (the
	// "proof" member, an extension of Guardian's request) mandatory.
	// Guardian's SDKs send none, so by default a proof is optional and
	// verified when present; the device's key is then first proven by its
	// first approval (PU-02).
	RequireProof bool
	// Notifier sends the sign-in notifications (Challenge). Without one the
	// engine enrolls devices but Challenge fails.
	Notifier Notifier
	// ChallengeLimit bounds sign-in pushes per user (PU-04). Default 10 in
	// 10 minutes; Requests in [1, 1000], Window in [1m, 24h].
	ChallengeLimit verify.Limit
	// DeviceLimit bounds device API requests per client IP (Handler).
	// Default 60 a minute; Requests in [1, 100000], Window in [1s, 24h].
	DeviceLimit verify.Limit
	// ClientIP returns the client's IP address of a device API request, for
	// DeviceLimit. Default: the host of r.RemoteAddr. Behind a proxy, give
	// the proxy's idea of the client, as for httpapi.Config.ClientIP.
	ClientIP func(r *http.Request) string
	// NumberMatching asks the device to prove the user picked the number
	// shown on the sign-in page: Challenge draws a two-digit number,
	// returned to the host as Challenge.MatchNumber and never sent to the
	// device; an approval must carry it in the claim "verifykit_number"
	// (an extension of Guardian's challenge response).
	NumberMatching bool
	// Observer receives the events of the device API's changes, which do
	// not pass through verify.Service: EventUpdated when the device updates
	// its account and EventDeleted when it deletes it, with Reason "device"
	// (PU-06: the host can tell the user). Give it the verify.Service's
	// observer; nil means none.
	Observer verify.Observer
	// Now is the clock; nil means time.Now. Give the store the same clock.
	Now func() time.Time
}

// Store is the storage a Push engine needs: its tickets and sign-in
// transactions (store.PushDevices) and the confirmed methods
// (store.Methods), where the device API finds device accounts.
// store/memory and store/sqlstore implement it.
type Store interface {
	store.PushDevices
	store.Methods
}

// Push is the engine of verify.TypePushNotification, modelled on Auth0
// Guardian, and the server side of the device API (Enroll, EnrollHandler).
// It is immutable and safe for concurrent use. See the package
// documentation for the protocol.
type Push struct {
	issuer         string
	baseURL        string
	enrollURL      string
	resolveURL     string
	basePath       string
	ticketSize     int
	secretSize     int
	maxPolls       int
	startLimit     verify.Limit
	challengeLimit verify.Limit
	deviceLimit    verify.Limit
	services       []string
	requireProof   bool
	numberMatching bool
	notifier       Notifier
	clientIP       func(*http.Request) string
	now            func() time.Time
	devices        Store
	limiter        verify.Limiter
	observer       verify.Observer
}

var (
	_ verify.Engine         = (*Push)(nil)
	_ verify.AttemptLimiter = (*Push)(nil)
)

// New validates cfg and returns a Push engine keeping tickets,
// transactions and device accounts in devices and throttling with
// limiter. Both are required: devices is where the single use of tickets
// and transactions is enforced.
func New(cfg Config, devices Store, limiter verify.Limiter) (*Push, error) {
	if devices == nil {
		return nil, configErrorf("devices store is required")
	}
	if limiter == nil {
		return nil, configErrorf("limiter is required")
	}
	p := &Push{
		issuer: cfg.Issuer, ticketSize: cfg.TicketSize, secretSize: cfg.SecretSize, maxPolls: cfg.MaxPolls,
		startLimit: cfg.StartLimit, services: append([]string(nil), cfg.Services...), now: cfg.Now,
		devices: devices, limiter: limiter, requireProof: cfg.RequireProof, notifier: cfg.Notifier,
		challengeLimit: cfg.ChallengeLimit, deviceLimit: cfg.DeviceLimit, clientIP: cfg.ClientIP, observer: cfg.Observer,
		numberMatching: cfg.NumberMatching,
	}
	if len(p.issuer) == 0 || len(p.issuer) > maxIssuerLen || !utf8.ValidString(p.issuer) ||
		strings.ContainsRune(p.issuer, ':') || strings.IndexFunc(p.issuer, unicode.IsControl) >= 0 {
		return nil, configErrorf("Issuer must be 1 to %d bytes of UTF-8 without ':' or control characters", maxIssuerLen)
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, configErrorf("BaseURL must be an absolute URL without user info, query or fragment")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return nil, configErrorf("BaseURL must be https (http only for a loopback host)")
	}
	p.baseURL = strings.TrimRight(u.String(), "/")
	p.enrollURL = p.baseURL + "/api/enroll"
	p.resolveURL = p.baseURL + "/api/resolve-transaction"
	p.basePath = strings.TrimRight(u.EscapedPath(), "/")
	if p.ticketSize == 0 {
		p.ticketSize = defaultTicketSize
	}
	if p.ticketSize < minTicketSize || p.ticketSize > maxTicketSize {
		return nil, configErrorf("TicketSize %d out of range [%d, %d] bytes", p.ticketSize, minTicketSize, maxTicketSize)
	}
	if p.secretSize == 0 {
		p.secretSize = defaultSecretSize
	}
	if p.secretSize < minSecretSize || p.secretSize > maxSecretSize {
		return nil, configErrorf("SecretSize %d out of range [%d, %d] bytes", p.secretSize, minSecretSize, maxSecretSize)
	}
	if p.maxPolls == 0 {
		p.maxPolls = defaultMaxPolls
	}
	if p.maxPolls < 1 || p.maxPolls > 100 {
		return nil, configErrorf("MaxPolls %d out of range [1, 100]", p.maxPolls)
	}
	if p.startLimit == (verify.Limit{}) {
		p.startLimit = verify.Limit{Requests: defaultStartRequests, Window: defaultStartWindow}
	}
	if p.startLimit.Requests < 1 || p.startLimit.Requests > maxStartRequests {
		return nil, configErrorf("StartLimit.Requests %d out of range [1, %d]", p.startLimit.Requests, maxStartRequests)
	}
	if p.startLimit.Window < time.Minute || p.startLimit.Window > 24*time.Hour {
		return nil, configErrorf("StartLimit.Window %v out of range [1m0s, 24h0m0s]", p.startLimit.Window)
	}
	if p.challengeLimit == (verify.Limit{}) {
		p.challengeLimit = verify.Limit{Requests: defaultChallengeRequests, Window: defaultChallengeWindow}
	}
	if p.challengeLimit.Requests < 1 || p.challengeLimit.Requests > maxStartRequests {
		return nil, configErrorf("ChallengeLimit.Requests %d out of range [1, %d]", p.challengeLimit.Requests, maxStartRequests)
	}
	if p.challengeLimit.Window < time.Minute || p.challengeLimit.Window > 24*time.Hour {
		return nil, configErrorf("ChallengeLimit.Window %v out of range [1m0s, 24h0m0s]", p.challengeLimit.Window)
	}
	if p.deviceLimit == (verify.Limit{}) {
		p.deviceLimit = verify.Limit{Requests: defaultDeviceRequests, Window: defaultDeviceWindow}
	}
	if p.deviceLimit.Requests < 1 || p.deviceLimit.Requests > 100000 {
		return nil, configErrorf("DeviceLimit.Requests %d out of range [1, 100000]", p.deviceLimit.Requests)
	}
	if p.deviceLimit.Window < time.Second || p.deviceLimit.Window > 24*time.Hour {
		return nil, configErrorf("DeviceLimit.Window %v out of range [1s, 24h0m0s]", p.deviceLimit.Window)
	}
	if p.clientIP == nil {
		p.clientIP = remoteHost
	}
	if len(p.services) == 0 {
		p.services = append([]string(nil), defaultServices...)
	}
	for i, s := range p.services {
		if s == "" || len(s) > 32 || strings.IndexFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
			return nil, configErrorf("Services[%d] must be 1 to 32 printable ASCII characters", i)
		}
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// remoteHost is the default ClientIP: the host of r.RemoteAddr.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Type returns verify.TypePushNotification.
func (p *Push) Type() verify.Type { return verify.TypePushNotification }

// MaxAttempts implements verify.AttemptLimiter: the poll budget of one
// auth_session (Config.MaxPolls).
func (p *Push) MaxAttempts() int { return p.maxPolls }

// EnrollURL is the URL devices POST to: BaseURL + "/api/enroll". It is
// the audience ("aud") of the device's proof.
func (p *Push) EnrollURL() string { return p.enrollURL }

// ResolveURL is where devices answer sign-in notifications: BaseURL +
// "/api/resolve-transaction". It is the audience ("aud") of a challenge
// response.
func (p *Push) ResolveURL() string { return p.resolveURL }

var (
	ticketEncoding = base64.RawURLEncoding.Strict()
	b32            = base32.StdEncoding.WithPadding(base32.NoPadding)
)

// pushState is the sealed state of a pending push enrollment.
type pushState struct {
	V      int    `json:"v"`
	Ticket []byte `json:"t"` // SHA-256 of the ticket
	Secret []byte `json:"s"` // TOTP secret
}

// Start charges the user's start limit, draws a ticket (the
// enrollment_tx_id, TicketSize bytes) and a TOTP secret from crypto/rand,
// records the ticket's SHA-256 in the store for the enrollment's subject
// and method id until the auth_session expires, and returns
//
//	barcode_uri       otpauth://totp/{issuer}:{account}?enrollment_tx_id=…&base_url=…&secret=…&issuer=…
//	manual_input_code the TOTP secret in base32
//
// The ticket's hash and the secret are sealed in the auth_session.
//
// Errors: verify.ErrRateLimited when the start limit is exhausted; a
// wrapped internal error when the limiter, the random source or the store
// fails.
func (p *Push) Start(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	if req.MethodID == "" || req.Subject.ID == "" || req.ExpiresAt.IsZero() {
		return nil, errors.New("push: start without a method id, subject or expiry")
	}
	d, err := p.limiter.Allow(ctx, "verifykit/push-notification/start/user/"+req.Subject.ID, p.startLimit)
	if err != nil {
		return nil, fmt.Errorf("push: rate limiter: %w", err)
	}
	if !d.Allowed {
		return nil, &verify.Error{Kind: verify.ErrRateLimited, Reason: "push_start_limited", Detail: "Too many enrollments were started; try again later", RateLimit: &d}
	}
	buf := make([]byte, p.ticketSize+p.secretSize)
	if _, err := rand.Read(buf); err != nil {
		return nil, fmt.Errorf("push: random: %w", err)
	}
	ticket, secret := buf[:p.ticketSize], buf[p.ticketSize:]
	txID := ticketEncoding.EncodeToString(ticket)
	h := sha256.Sum256([]byte(txID))
	err = p.devices.CreatePushTicket(ctx, store.PushTicket{
		Hash: h[:], Subject: req.Subject.ID, MethodID: req.MethodID, Expires: req.ExpiresAt,
		Secret: bytes.Clone(secret), // for the device's enrollment answer (totp)
	})
	if err != nil {
		return nil, fmt.Errorf("push: record ticket: %w", err)
	}
	manual := b32.EncodeToString(secret)
	var uri strings.Builder
	uri.WriteString("otpauth://totp/")
	keyuri.WriteLabel(&uri, p.issuer, keyuri.Account(req.Subject))
	uri.WriteString("?enrollment_tx_id=")
	uri.WriteString(txID)
	uri.WriteString("&base_url=")
	keyuri.Escape(&uri, p.baseURL)
	uri.WriteString("&secret=")
	uri.WriteString(manual)
	uri.WriteString("&issuer=")
	keyuri.Escape(&uri, p.issuer)
	return &verify.Challenge{
		State:           pushState{V: 1, Ticket: h[:], Secret: secret},
		BarcodeURI:      uri.String(),
		ManualInputCode: manual,
	}, nil
}

// Confirm succeeds once a device has redeemed this enrollment's ticket
// (Enroll) and returns the method named after the device, with the device
// record in Confirmation.Secret (see Device) and a CredentialID unique to
// the user and the device's identifier, so one device is enrolled once per
// user. It only reads the store.
//
// Errors: verify.ErrPending ("enrollment pending") until a device has
// enrolled; verify.ErrExpired when the ticket has expired; a device
// enrolled under another session's ticket never satisfies this one, since
// the ticket's hash is sealed in this auth_session (PU-03); a store
// failure is a wrapped internal error.
func (p *Push) Confirm(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	if pr, one := req.Request.Proof(); !one || pr != "" {
		return nil, verify.InvalidField("auth_session", "", "push-notification takes only auth_session")
	}
	var st pushState
	if err := json.Unmarshal(req.State, &st, json.RejectUnknownMembers(true)); err != nil || st.V != 1 || len(st.Ticket) != sha256.Size || len(st.Secret) < minSecretSize || len(st.Secret) > maxSecretSize {
		return nil, verify.NewError(verify.ErrInvalidSession, "push_state", "The auth_session is invalid")
	}
	t, err := p.devices.PushTicket(ctx, st.Ticket)
	if errors.Is(err, store.ErrNotFound) {
		return nil, verify.NewError(verify.ErrExpired, "push_ticket_expired", "The enrollment has expired; start it again")
	}
	if err != nil {
		return nil, fmt.Errorf("push: read ticket: %w", err)
	}
	if t.Subject != req.Subject.ID || t.MethodID != req.MethodID {
		return nil, verify.NewError(verify.ErrInvalidProof, "push_ticket_binding", "The enrollment does not belong to this session")
	}
	if t.Device == nil {
		return nil, verify.NewError(verify.ErrPending, "enrollment_pending", "enrollment pending")
	}
	dv := Device{
		Identifier: t.Device.Identifier, Name: t.Device.Name, Service: t.Device.Service, Token: t.Device.Token,
		PublicKey: jsontext.Value(t.Device.PublicKey), TOTPSecret: st.Secret, EnrolledAt: t.Device.EnrolledAt,
		TokenHash: t.Device.TokenHash,
	}
	secret, err := dv.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &verify.Confirmation{
		Method:       verify.Method{Name: dv.Name},
		Secret:       secret,
		CredentialID: deviceCredentialID(req.Subject.ID, dv.Identifier),
	}, nil
}

// deviceCredentialID is the CredentialID of a push method: a hash of the
// user and the device identifier, so that the store's uniqueness of
// credential ids refuses a second enrollment of one device by one user
// (PU-05) while other users may enroll a device that claims the same
// identifier (identifiers are chosen by devices, not trusted).
func deviceCredentialID(subject, identifier string) []byte {
	h := sha256.New()
	h.Write([]byte("verifykit/push-notification/device/v1\x00"))
	h.Write([]byte(subject))
	h.Write([]byte{0})
	h.Write([]byte(identifier))
	return h.Sum(nil)
}

// Device is a confirmed push device: the Secret of its push-notification
// method, which persistent stores encrypt at rest. Read it back with
// ParseDevice to send notifications (Notifier) or to check the device's
// signatures.
type Device struct {
	Identifier string         `json:"identifier"`
	Name       string         `json:"name"`
	Service    string         `json:"service"`
	Token      string         `json:"token"`
	PublicKey  jsontext.Value `json:"public_key"` // JWK
	TOTPSecret []byte         `json:"totp_secret"`
	EnrolledAt time.Time      `json:"enrolled_at"`
	// TokenHash is the SHA-256 of the device token that authorizes the
	// device's own device-account requests; absent from records written
	// before the Guardian device API, whose devices cannot use it.
	TokenHash []byte `json:"token_hash,omitempty"`
}

// MarshalBinary encodes d as stored in the method's Secret (versioned JSON).
// A nil TOTPSecret is written as null, as it always was.
func (d Device) MarshalBinary() ([]byte, error) {
	b, err := json.Marshal(struct {
		V int `json:"v"`
		Device
	}{1, d}, json.FormatNilSliceAsNull(true))
	if err != nil {
		return nil, fmt.Errorf("push: encode device: %w", err)
	}
	return b, nil
}

// ParseDevice decodes the Secret of a push-notification method: one JSON
// object of the members MarshalBinary writes (token_hash may be absent);
// unknown, repeated or case-variant members and data after the object
// make it malformed.
func ParseDevice(secret []byte) (Device, error) {
	var v struct {
		V int `json:"v"`
		Device
	}
	if err := json.Unmarshal(secret, &v, json.RejectUnknownMembers(true)); err != nil || v.V != 1 {
		return Device{}, errors.New("push: malformed device record")
	}
	if _, err := parseDeviceKey(v.PublicKey); err != nil {
		return Device{}, fmt.Errorf("push: device record: %w", err)
	}
	return v.Device, nil
}
