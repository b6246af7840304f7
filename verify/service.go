package verify

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/internal/pattern"
	"github.com/verifykit/verifykit/store"
)

// Verifier is the transport-free My Account enrollment API: Start begins an
// enrollment (POST /authentication-methods), Verify confirms it
// (POST /authentication-methods/{id}/verify). *Service implements it;
// verify/httpapi serves it over HTTP.
type Verifier interface {
	Start(ctx context.Context, sub Subject, req StartRequest, client Client) (*Enrollment, error)
	Verify(ctx context.Context, sub Subject, methodID string, req VerifyRequest, client Client) (*Method, error)
}

var _ Verifier = (*Service)(nil)

// Limits of Config.
const (
	DefaultSessionTTL = 5 * time.Minute
	minSessionTTL     = 30 * time.Second
	// MaxSessionTTL bounds every auth_session: NIST SP 800-63B invalidates
	// out-of-band secrets after 10 minutes, WebAuthn recommends ceremony
	// timeouts of at most 10 minutes (§13.4.3).
	MaxSessionTTL      = 10 * time.Minute
	DefaultMaxAttempts = 5
	maxMaxAttempts     = 100
)

// Config configures a Service; the zero value of each optional field is
// its safe default. NewService validates it and keeps no reference to it.
type Config struct {
	// Engines serve the method types; at most one per type. Required.
	Engines []Engine
	// Sealer seals auth_sessions, e.g. a *session.Sealer. Required.
	Sealer Sealer
	// Store records attempts, consumption and confirmed methods. Required:
	// single use and attempt limits rest on it.
	Store store.Store
	// Observer receives events; nil discards them.
	Observer Observer
	// Now is the clock; nil means time.Now. Give the Sealer the same clock.
	Now func() time.Time
	// SessionTTL is the lifetime of an auth_session and so of every
	// challenge in it. Default 5 minutes; range [30s, 10m].
	SessionTTL time.Duration
	// MaxAttempts is how many confirm attempts one auth_session allows, the
	// successful one included. Default 5; range [1, 100]. Engines
	// implementing AttemptLimiter override it, within the same range.
	MaxAttempts int
	// MaxMethods bounds how many methods one user may have: Start refuses
	// a new enrollment beyond it (before a code is sent), and the commit of
	// a confirm enforces it atomically in the store. A password change
	// replaces the identity's password method and is not refused. Default
	// and maximum MaxListed (20), so that every method fits in one list
	// response; range [1, 20].
	MaxMethods int
	// AllowNoPrimary lets Delete remove a user's last primary method
	// (password or passkey). By default that is refused with ErrConflict,
	// because it would leave the user unable to sign in.
	AllowNoPrimary bool
	// AllowIdentity decides whether a start request may name an
	// identity_user_id other than the subject's own (a linked identity): it
	// returns nil to approve, a *Error of kind ErrForbidden to refuse; any
	// other error is an internal failure. If nil (the default), every other
	// identity is refused with ErrForbidden. Engines receive the decided
	// identity in EngineStart.Identity.
	AllowIdentity func(ctx context.Context, sub Subject, identityUserID string) error
	// Connections are the database connections a start request may name
	// (else ErrInvalidRequest, "unknown connection"); nil means those of the
	// engines implementing Connectioner. Each is 1 to 128 of [a-zA-Z0-9-].
	Connections []string
}

// Service implements Verifier with the engines, sealer and store of its
// Config. It is safe for concurrent use; all shared state is in the store.
type Service struct {
	cfg     Config // validated, with defaults set
	engines map[Type]Engine
}

// NewService validates cfg and returns a Service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Sealer == nil {
		return nil, errors.New("verify: Config.Sealer is required")
	}
	if cfg.Store == nil {
		return nil, errors.New("verify: Config.Store is required")
	}
	if len(cfg.Engines) == 0 {
		return nil, errors.New("verify: Config.Engines is empty")
	}
	cfg.Connections = slices.Clone(cfg.Connections)
	s := &Service{cfg: cfg, engines: make(map[Type]Engine, len(cfg.Engines))}
	s.cfg.Engines = nil
	for _, e := range cfg.Engines {
		if e == nil {
			return nil, errors.New("verify: nil engine in Config.Engines")
		}
		t := e.Type()
		if !t.Valid() {
			return nil, fmt.Errorf("verify: engine of unknown type %q", t)
		}
		if _, dup := s.engines[t]; dup {
			return nil, fmt.Errorf("verify: two engines for type %s", t)
		}
		if l, ok := e.(AttemptLimiter); ok {
			if n := l.MaxAttempts(); n < 1 || n > maxMaxAttempts {
				return nil, fmt.Errorf("verify: engine %s MaxAttempts %d out of range [1, %d]", t, n, maxMaxAttempts)
			}
		}
		s.engines[t] = e
		if c, ok := e.(Connectioner); ok && cfg.Connections == nil {
			s.cfg.Connections = append(s.cfg.Connections, c.Connection())
		}
	}
	for _, c := range s.cfg.Connections {
		if !pattern.Connection(c) {
			return nil, fmt.Errorf("verify: connection %q must be 1 to 128 of [a-zA-Z0-9-]", c)
		}
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	if err := cmp.Or(
		inRange("SessionTTL", &s.cfg.SessionTTL, DefaultSessionTTL, minSessionTTL, MaxSessionTTL),
		inRange("MaxAttempts", &s.cfg.MaxAttempts, DefaultMaxAttempts, 1, maxMaxAttempts),
		inRange("MaxMethods", &s.cfg.MaxMethods, MaxListed, 1, MaxListed),
	); err != nil {
		return nil, err
	}
	return s, nil
}

// inRange sets the Config field *v to def when it is zero, and checks that
// it is in [lo, hi].
func inRange[T int | time.Duration](name string, v *T, def, lo, hi T) error {
	if *v == 0 {
		*v = def
	}
	if *v < lo || *v > hi {
		return fmt.Errorf("verify: %s %v out of range [%v, %v]", name, *v, lo, hi)
	}
	return nil
}

// Engine returns the engine serving t, if any.
func (s *Service) Engine(t Type) (Engine, bool) {
	e, ok := s.engines[t]
	return e, ok
}

// Types returns the method types s serves, in spec order.
func (s *Service) Types() []Type {
	return slices.DeleteFunc(Types(), func(t Type) bool { return s.engines[t] == nil })
}

// sessionPurpose binds a sealed payload to its use (ASVS 9.2.2): a token
// sealed with the same key for anything else does not open as a session.
const (
	sessionPurpose = "verifykit/enroll"
	sessionVersion = 1
)

// sealedSession is the plaintext of an auth_session.
type sealedSession struct {
	Version  int            `json:"v"`
	Purpose  string         `json:"p"`
	ID       string         `json:"sid"`           // random session id: attempts and single use
	Subject  string         `json:"sub"`           // user the session was issued to
	Pending  string         `json:"mid"`           // method id in the verify path
	MethodID string         `json:"fid,omitempty"` // id of the confirmed method when not Pending
	Type     Type           `json:"typ"`
	IssuedAt int64          `json:"iat"`         // Unix milliseconds
	Expires  int64          `json:"exp"`         // Unix milliseconds
	State    jsontext.Value `json:"st,omitzero"` // the engine's Challenge.State
}

// Start begins an enrollment of req.Type for sub.
func (s *Service) Start(ctx context.Context, sub Subject, req StartRequest, client Client) (*Enrollment, error) {
	if err := checkSubject(sub); err != nil {
		return nil, err
	}
	e, ok := s.engines[req.Type]
	if !ok {
		return nil, InvalidField("type", "/type", "unsupported authentication method type")
	}
	ev := Event{Kind: EventFailed, Subject: sub.ID, Type: req.Type, Client: client}
	identity, err := s.resolveIdentity(ctx, sub, &req)
	if err != nil {
		return nil, s.failed(ctx, ev, err)
	}
	if req.Type != TypePassword {
		recs, err := s.cfg.Store.List(ctx, sub.ID)
		if err != nil {
			return nil, fmt.Errorf("verify: list methods: %w", err)
		}
		if len(recs) >= s.cfg.MaxMethods {
			return nil, InvalidField("type", "/type", fmt.Sprintf("the maximum of %d authentication methods is reached; delete one first", s.cfg.MaxMethods))
		}
	}
	p, exp := s.newSession(sessionPurpose, req.Type, sub.ID, newMethodID(req.Type))
	ch, err := e.Start(ctx, &EngineStart{Subject: sub, Request: req, Client: client, MethodID: p.Pending, ExpiresAt: exp, Identity: identity})
	if err != nil {
		return nil, s.failed(ctx, ev, err)
	}
	mid := cmp.Or(ch.MethodID, p.Pending)
	p.Pending = cmp.Or(ch.PendingID, p.Pending)
	if mid != p.Pending {
		p.MethodID = mid
	}
	token, err := s.seal(&p, ch.State)
	if err != nil {
		return nil, fmt.Errorf("verify: seal %s auth_session: %w", req.Type, err)
	}
	ev.Kind, ev.MethodID = EventStarted, p.Pending
	s.emit(ctx, ev)
	return &Enrollment{
		ID: p.Pending, AuthSession: token, Type: req.Type, ExpiresAt: exp,
		BarcodeURI: ch.BarcodeURI, ManualInputCode: ch.ManualInputCode, RecoveryCode: ch.RecoveryCode,
		AuthnParamsPublicKey: ch.AuthnParamsPublicKey, Policy: ch.Policy,
	}, nil
}

// Verify confirms the enrollment methodID of sub with the proof in req. It
// runs, in order, stopping at the first failure: open the auth_session;
// bind it to sub, methodID and the proof's kind; count the attempt; let
// the engine check the proof; consume the session and save the method in
// one atomic store operation; emit an event.
func (s *Service) Verify(ctx context.Context, sub Subject, methodID string, req VerifyRequest, client Client) (*Method, error) {
	ev := Event{Kind: EventFailed, Subject: sub.ID, MethodID: methodID, Client: client}
	if err := checkSubject(sub); err != nil {
		return nil, s.failed(ctx, ev, err)
	}
	p, e, ec, err := s.begin(ctx, sessionPurpose, sub, methodID, &req, client)
	ev.Type = p.Type
	if err != nil {
		return nil, s.failed(ctx, ev, err)
	}
	ec.MethodID = cmp.Or(p.MethodID, p.Pending)
	m, err := s.confirm(ctx, e, &p, ec)
	if err != nil {
		s.refundOutage(ctx, p.ID, err)
		return nil, s.failed(ctx, ev, err)
	}
	ev.Kind, ev.MethodID = EventConfirmed, m.ID
	s.emit(ctx, ev)
	return m, nil
}

// begin runs the first steps of Verify and Authenticate: open the
// auth_session sealed for purpose; bind it to sub, methodID, a served type
// and the proof's kind (GN-04); count the attempt before any check of the
// proof. It returns what the engine's check receives.
func (s *Service) begin(ctx context.Context, purpose string, sub Subject, methodID string, req *VerifyRequest, client Client) (sealedSession, Engine, *EngineConfirm, error) {
	p, err := s.open(req.AuthSession, purpose)
	if err != nil {
		return p, nil, nil, err
	}
	if p.Subject != sub.ID {
		return p, nil, nil, NewError(ErrInvalidSession, "subject_mismatch", "The auth_session was not issued to this user")
	}
	if p.Pending != methodID {
		return p, nil, nil, NewError(ErrInvalidSession, "method_mismatch", "The auth_session was not issued for this authentication method")
	}
	e, ok := s.engines[p.Type]
	if !ok {
		return p, nil, nil, NewError(ErrInvalidSession, "type_not_served", "The auth_session is for an authentication method type that is not enabled")
	}
	want := p.Type.Proof()
	if purpose == signInPurpose {
		want = signInProof(p.Type)
	}
	if got, one := req.Proof(); !one || got != want {
		return p, nil, nil, proofShape(p.Type, want)
	}
	n, err := s.cfg.Store.Attempt(ctx, p.ID, time.UnixMilli(p.Expires))
	if errors.Is(err, store.ErrConsumed) {
		return p, nil, nil, NewError(ErrAlreadyUsed, "already_used", "The auth_session has already been used")
	}
	if err != nil {
		return p, nil, nil, fmt.Errorf("verify: count attempt: %w", err)
	}
	limit := s.cfg.MaxAttempts
	if l, ok := e.(AttemptLimiter); ok {
		limit = l.MaxAttempts()
	}
	if n > limit {
		return p, nil, nil, NewError(ErrTooManyAttempts, "too_many_attempts", "Too many attempts; "+restart(purpose))
	}
	ec := &EngineConfirm{Subject: sub, State: []byte(p.State), Request: *req, Client: client, IssuedAt: time.UnixMilli(p.IssuedAt)}
	return p, e, ec, nil
}

// confirm runs steps 4 and 5 of Verify on an opened, bound and counted
// session: the engine's check of the proof (no writes), then the atomic
// commit that consumes the session and saves the method.
func (s *Service) confirm(ctx context.Context, e Engine, p *sealedSession, ec *EngineConfirm) (*Method, error) {
	c, err := e.Confirm(ctx, ec)
	if err != nil {
		return nil, err
	}
	m := &c.Method
	m.ID = cmp.Or(m.ID, ec.MethodID)
	m.Type, m.Subject, m.Confirmed = p.Type, ec.Subject.ID, true
	if m.Usage == nil {
		m.Usage = p.Type.DefaultUsage()
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.cfg.Now()
	}
	m.CreatedAt = m.CreatedAt.UTC().Truncate(time.Millisecond)
	rec, err := m.Record()
	if err != nil {
		return nil, err
	}
	rec.Secret, rec.CredentialID, rec.Counter = c.Secret, c.CredentialID, c.Counter
	err = s.cfg.Store.Commit(ctx, store.Commit{
		SessionID: p.ID, SessionExpires: time.UnixMilli(p.Expires), Method: rec, Replace: c.Replace,
		MaxMethods: s.cfg.MaxMethods,
	})
	switch {
	case err == nil:
		return m, nil
	case errors.Is(err, store.ErrConsumed):
		return nil, NewError(ErrAlreadyUsed, "already_used", "The auth_session has already been used")
	case errors.Is(err, store.ErrLimit):
		return nil, &Error{Kind: ErrInvalidRequest, Reason: "too_many_methods", Detail: fmt.Sprintf("The maximum of %d authentication methods is reached; delete one first", s.cfg.MaxMethods), Err: err}
	case errors.Is(err, store.ErrDuplicateCredential):
		return nil, NewError(ErrInvalidProof, "duplicate_credential", "The credential is already registered")
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrConflict):
		return nil, &Error{Kind: ErrConflict, Reason: "method_exists", Detail: "The authentication method already exists or was changed concurrently", Err: err}
	default:
		return nil, fmt.Errorf("verify: save method: %w", err)
	}
}

// refundTimeout bounds the refund of an attempt after an outage.
const refundTimeout = 5 * time.Second

// refundOutage gives back the attempt of session sid when err is an
// outage, not a judged proof, so that outages do not void a session
// (GN-09). It is best effort and runs even when ctx has ended: if the
// refund fails too, the attempt stays used, the safe side.
func (s *Service) refundOutage(ctx context.Context, sid string, err error) {
	r, ok := s.cfg.Store.(store.AttemptRefunder)
	if err == nil || Kind(err) != nil || !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refundTimeout)
	defer cancel()
	_ = r.RefundAttempt(ctx, sid)
}

// open unseals and strictly decodes an auth_session sealed for purpose; a
// session of the other purpose does not open. An enrollment session names
// its subject and pending method; a sign-in session both, or neither (a
// usernameless passkey sign-in).
func (s *Service) open(token, purpose string) (sealedSession, error) {
	var p sealedSession
	if token == "" {
		return p, InvalidField("auth_session", "/auth_session", "auth_session is required")
	}
	raw, err := s.cfg.Sealer.Open(token)
	if err != nil {
		var exp interface{ Expired() bool }
		if errors.As(err, &exp) && exp.Expired() {
			return p, &Error{Kind: ErrExpired, Reason: "session_expired", Detail: "The auth_session has expired; " + restart(purpose), Err: err}
		}
		return p, &Error{Kind: ErrInvalidSession, Reason: "session_unseal", Detail: "The auth_session is invalid", Err: err}
	}
	err = json.Unmarshal(raw, &p, json.RejectUnknownMembers(true))
	named := p.Subject != "" && p.Pending != ""
	if purpose == signInPurpose {
		named = named || p.Subject == "" && p.Pending == "" && p.Type == TypePasskey
	}
	if err != nil || p.Version != sessionVersion || p.Purpose != purpose || p.ID == "" || !named ||
		!p.Type.Valid() || p.IssuedAt <= 0 || p.Expires <= p.IssuedAt {
		return sealedSession{}, NewError(ErrInvalidSession, "session_payload", "The auth_session is invalid")
	}
	// Every session has an expiry no further than MaxSessionTTL from its
	// issue, whatever the key holder sealed (SECURITY-CHECKLIST AS-09, AS-10).
	if p.Expires-p.IssuedAt > MaxSessionTTL.Milliseconds() {
		return sealedSession{}, NewError(ErrInvalidSession, "session_ttl", "The auth_session is invalid")
	}
	if s.cfg.Now().UnixMilli() >= p.Expires {
		return p, NewError(ErrExpired, "session_expired", "The auth_session has expired; "+restart(purpose))
	}
	return p, nil
}

// newSession returns the payload of a new auth_session of purpose for a
// method of type t, with a random id, issued now, and its expiry,
// SessionTTL later.
func (s *Service) newSession(purpose string, t Type, subject, pending string) (sealedSession, time.Time) {
	now := s.cfg.Now()
	exp := now.Add(s.cfg.SessionTTL)
	return sealedSession{
		Version: sessionVersion, Purpose: purpose, ID: b64.EncodeToString(random(16)), Subject: subject,
		Pending: pending, Type: t, IssuedAt: now.UnixMilli(), Expires: exp.UnixMilli(),
	}, exp
}

// seal seals p with the engine's state. The encoded payload is wiped once
// sealed: it holds the state (a TOTP secret, a code's hash).
func (s *Service) seal(p *sealedSession, state any) (string, error) {
	payload, err := json.Marshal(struct {
		*sealedSession
		State any `json:"st,omitzero"` // shadows sealedSession.State
	}{p, state})
	if err != nil {
		return "", fmt.Errorf("encode session: %w", err)
	}
	defer clear(payload)
	return s.cfg.Sealer.Seal(payload, s.cfg.SessionTTL)
}

// restart ends the detail of an expired or used-up auth_session of purpose.
func restart(purpose string) string {
	if purpose == signInPurpose {
		return "request a new challenge"
	}
	return "start the enrollment again"
}

// proofShape is the error for a request whose proof is not exactly the
// member want that a method of type t takes ("" for none).
func proofShape(t Type, want string) error {
	f := FieldError{Field: want, Pointer: "/" + want, Detail: fmt.Sprintf("%s requires %s and no other proof", t, want)}
	if want == "" {
		f = FieldError{Field: "auth_session", Detail: fmt.Sprintf("%s takes only auth_session", t)}
	}
	return &Error{
		Kind: ErrInvalidRequest, Reason: "proof_shape",
		Detail: "The payload does not match the authentication method type of the auth_session",
		Fields: []FieldError{f},
	}
}

func checkSubject(sub Subject) error {
	// The subject is sealed as a JSON string: it must be UTF-8.
	if sub.ID == "" || len(sub.ID) > 255 || !utf8.ValidString(sub.ID) {
		return NewError(ErrUnauthenticated, "no_subject", "No authenticated user")
	}
	return nil
}

func (s *Service) emit(ctx context.Context, e Event) {
	if s.cfg.Observer == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = s.cfg.Now()
	}
	s.cfg.Observer.Observe(ctx, e)
}

// failed emits ev (of a failure kind) with err's reason, and returns err.
func (s *Service) failed(ctx context.Context, ev Event, err error) error {
	ev.Reason, ev.Internal = ReasonOf(err), Kind(err) == nil
	s.emit(ctx, ev)
	return err
}

// idAlphabet is the alphabet of method ids' random part (62 symbols).
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newMethodID returns a fresh method id "<type>|dev_<16 random symbols>"
// (about 95 bits from crypto/rand).
func newMethodID(t Type) string {
	b := make([]byte, 0, 16)
	for len(b) < 16 {
		for _, c := range random(32) {
			// Rejection sampling keeps the symbols uniform: 248 = 4×62.
			if c < 248 && len(b) < 16 {
				b = append(b, idAlphabet[c%62])
			}
		}
	}
	return string(t) + "|dev_" + string(b)
}

// random returns n bytes from crypto/rand, which never fails.
func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
