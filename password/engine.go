package password

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/internal/pattern"
	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// pendingID is the id of every password enrollment between start and
// confirm (spec: PasswordCreationResponse.id).
const pendingID = "password|new"

// defaultConnection is the database connection an Engine serves when
// Config.Connection is empty (Auth0's default database connection name).
const defaultConnection = "Username-Password-Authentication"

// Config configures an Engine. The zero value of each field is its safe
// default; New validates it once.
type Config struct {
	// Policy is the policy Start returns and Confirm enforces. nil means
	// DefaultPolicy(). It is copied by New.
	Policy *Policy
	// CustomWords are refused like the dictionary's words when the
	// policy's dictionary is active (ASVS 5.0 6.2.11: the service's name,
	// the company's products). At most 200, each 1 to 50 characters;
	// compared case-insensitively after NFKC.
	CustomWords []string
	// Hasher hashes new passwords and compares them with the history.
	// nil means NewHasher(HashConfig{}): argon2id, m=19 MiB, t=2, p=1.
	// Share it with the sign-in path so both share its concurrency cap.
	Hasher *Hasher
	// Breach, when set, refuses passwords found in breaches. nil means no
	// breach check: the embedded dictionary is then the only blocklist.
	Breach BreachChecker
	// BreachFailOpen accepts the password when Breach cannot answer (the
	// failure is logged at Warn). The default, false, fails closed: the
	// confirm fails with an internal error (a 5xx), never "not breached"
	// and never a 400.
	BreachFailOpen bool
	// Connection is the name of the database connection this engine sets
	// passwords for; a start request naming another one is refused.
	// Default "Username-Password-Authentication" (Auth0's default database
	// connection); 1 to 128 of [a-zA-Z0-9-].
	Connection string
	// Logger receives breach-check failures accepted under
	// BreachFailOpen and unverifiable history entries; nil discards them.
	// Entries never contain a password or a hash.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Engine is the verify.Engine of the password method type. Start returns
// the policy; Confirm checks new_password against it, the breach corpus
// and the history, and returns the method with the new hash. It is safe
// for concurrent use.
type Engine struct {
	methods    store.Methods
	policy     Policy
	checker    *checker
	custom     *wordList
	hasher     *Hasher
	breach     BreachChecker
	failOpen   bool
	connection string
	log        *slog.Logger
	now        func() time.Time
}

var _ verify.Engine = (*Engine)(nil)

// New returns a password Engine reading the current password method of
// each user from methods (for history and optimistic replacement; the
// service writes it), configured by cfg.
func New(methods store.Methods, cfg Config) (*Engine, error) {
	if methods == nil {
		return nil, errors.New("password: store.Methods is required")
	}
	e := &Engine{
		methods: methods, hasher: cfg.Hasher, breach: cfg.Breach, failOpen: cfg.BreachFailOpen,
		connection: cfg.Connection, log: cfg.Logger, now: cfg.Now,
	}
	if cfg.Policy == nil {
		e.policy = DefaultPolicy()
	} else {
		e.policy = cfg.Policy.clone()
	}
	if err := e.policy.Validate(); err != nil {
		return nil, err
	}
	if e.hasher == nil {
		h, err := NewHasher(HashConfig{})
		if err != nil {
			return nil, err
		}
		e.hasher = h
	}
	if e.hasher.Algorithm() == Bcrypt && e.policy.Complexity.MinLength > bcryptMaxInput {
		return nil, fmt.Errorf("password: complexity.min_length %d out of range [1, %d] with bcrypt", e.policy.Complexity.MinLength, bcryptMaxInput)
	}
	custom, err := newCustomWords(cfg.CustomWords)
	if err != nil {
		return nil, err
	}
	e.custom = custom
	if e.checker, err = e.newChecker(e.policy); err != nil {
		return nil, err
	}
	if e.connection == "" {
		e.connection = defaultConnection
	}
	if !pattern.Connection(e.connection) {
		return nil, fmt.Errorf("password: Connection %q must be 1 to 128 of [a-zA-Z0-9-]", e.connection)
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.now == nil {
		e.now = time.Now
	}
	return e, nil
}

func (e *Engine) newChecker(p Policy) (*checker, error) {
	maxBytes := 0
	if e.hasher.Algorithm() == Bcrypt {
		maxBytes = bcryptMaxInput
	}
	return newChecker(p, e.custom, maxBytes)
}

// Type implements verify.Engine.
func (e *Engine) Type() verify.Type { return verify.TypePassword }

// Policy returns a copy of the policy e enforces.
func (e *Engine) Policy() Policy { return e.policy.clone() }

// Hasher returns e's hasher.
func (e *Engine) Hasher() *Hasher { return e.hasher }

// passwordMethodID returns the id of the password method of an identity:
// "password|" + base64url(identityUserID), unpadded.
func passwordMethodID(identityUserID string) string {
	return "password|" + base64.RawURLEncoding.EncodeToString([]byte(identityUserID))
}

// state is sealed into the auth_session: the policy shown to the client,
// never a password. The identity is in the sealed method id.
type state struct {
	Policy Policy `json:"p"`
}

// identityOf returns the identity a password method id names, or false.
func identityOf(methodID string) (string, bool) {
	enc, ok := strings.CutPrefix(methodID, "password|")
	if !ok {
		return "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil || !pattern.Identity(string(b)) {
		return "", false
	}
	return string(b), true
}

// Connection implements verify.Connectioner: the database connection
// whose passwords e sets.
func (e *Engine) Connection() string { return e.connection }

// Start implements verify.Engine: it refuses a connection other than
// Config.Connection and returns the policy (spec: PasswordCreationResponse).
// The identity is the one the service decided (verify.Config.AllowIdentity;
// EngineStart.Identity): by default the subject's own.
func (e *Engine) Start(ctx context.Context, req *verify.EngineStart) (*verify.Challenge, error) {
	identity := req.IdentityOf()
	if !pattern.Identity(identity) {
		return nil, verify.InvalidField("identity_user_id", "/identity_user_id",
			"identity_user_id must be 1 to 255 characters without whitespace")
	}
	if c := req.Request.Connection; c != "" {
		if !pattern.Connection(c) {
			return nil, verify.InvalidField("connection", "/connection",
				"connection must be 1 to 128 characters of letters, digits and '-'")
		}
		if c != e.connection {
			return nil, verify.InvalidField("connection", "/connection", "unknown connection")
		}
	}
	pol, err := json.Marshal(e.policy)
	if err != nil {
		return nil, fmt.Errorf("password: encode policy: %w", err)
	}
	return &verify.Challenge{
		State:     state{Policy: e.policy},
		PendingID: pendingID,
		MethodID:  passwordMethodID(identity),
		Policy:    pol,
	}, nil
}

// Confirm implements verify.Engine. In order, stopping at the first
// failure: the request's new_password must match the spec's schema (400);
// it is normalised (NFKC); the local rules of the sealed policy and of the
// engine's current policy are checked, every broken rule reported (400);
// then the breach check; then the history against the stored hashes (400
// naming the rule); then the password is hashed. The stored method's
// version is returned in Replace, so a concurrent change makes the commit
// fail (409) rather than lose history.
func (e *Engine) Confirm(ctx context.Context, req *verify.EngineConfirm) (*verify.Confirmation, error) {
	var st state
	identity, ok := identityOf(req.MethodID)
	if err := strictDecode(req.State, &st); err != nil || !ok || st.Policy.Validate() != nil {
		return nil, verify.NewError(verify.ErrInvalidSession, "password_state", "The auth_session is invalid")
	}
	if req.Request.NewPassword == nil {
		return nil, verify.InvalidField("new_password", "/new_password", "new_password is required")
	}
	sealed := st.Policy
	pw, err := e.check(ctx, &req.Subject, *req.Request.NewPassword, &sealed)
	if err != nil {
		return nil, err
	}

	// The current method, for its history and version.
	var (
		cur     *verify.Method
		secret  storedSecret
		version int64
	)
	rec, err := e.methods.Get(ctx, req.Subject.ID, req.MethodID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("password: read current method: %w", err)
	default:
		m, err := verify.MethodFromRecord(rec)
		if err != nil {
			return nil, fmt.Errorf("password: current method: %w", err)
		}
		if m.Type != verify.TypePassword {
			return nil, fmt.Errorf("password: stored method %q is of type %s", rec.ID, m.Type)
		}
		if secret, err = decodeSecret(rec.Secret); err != nil {
			return nil, fmt.Errorf("password: current method %q: %w", rec.ID, err)
		}
		cur, version = &m, rec.Version
	}

	size := historySize(&e.policy, &sealed)
	if size > 0 && cur != nil {
		reused, err := e.inHistory(ctx, secret.recent(size), pw, req)
		if err != nil {
			return nil, err
		}
		if reused {
			return nil, (&PolicyError{Violations: []Violation{{RuleHistory,
				fmt.Sprintf("must not be one of your last %d passwords", size)}}}).verifyError()
		}
	}

	h, err := e.hasher.Hash(ctx, pw)
	if err != nil {
		if errors.Is(err, ErrPasswordTooLong) {
			// Unreachable: the checker refuses what bcrypt cannot take, and
			// the input bound keeps argon2id's input far below its limit.
			// Should it happen, a 400 all the same, never a 500.
			return nil, (&PolicyError{Violations: []Violation{{RuleMaxLength,
				fmt.Sprintf("must be at most %d bytes (UTF-8), the limit of the password hash", e.hasher.MaxInput())}}}).verifyError()
		}
		return nil, err
	}
	next := storedSecret{Hash: h}
	if size > 1 && cur != nil {
		next.History = secret.recent(size - 1)
	}
	sec, err := next.Encode()
	if err != nil {
		return nil, err
	}
	now := e.now().UTC().Truncate(time.Millisecond)
	m := verify.Method{
		ID: req.MethodID, Type: verify.TypePassword, Subject: req.Subject.ID,
		IdentityUserID: identity, LastPasswordReset: now, Usage: []verify.Usage{verify.UsagePrimary},
	}
	if cur != nil {
		m.CreatedAt, m.Name, m.LastAuthAt = cur.CreatedAt, cur.Name, cur.LastAuthAt
		if len(cur.Usage) > 0 {
			m.Usage = cur.Usage
		}
	}
	return &verify.Confirmation{Method: m, Secret: sec, Replace: version}, nil
}

// Check runs on password what Confirm runs before the history and the
// hash: the spec's schema for new_password, NFKC normalisation, every
// local rule of e's policy for the user sub, then the breach check. Other
// pathways that set passwords (a sign-up, an administrative import) call
// it to enforce the same rules (checklist GN-06). It returns nil, a
// *verify.Error of kind ErrInvalidRequest (whose cause is a *PolicyError
// for a policy violation), or an internal error when the breach check
// fails closed.
func (e *Engine) Check(ctx context.Context, sub verify.Subject, password string) error {
	_, err := e.check(ctx, &sub, password, nil)
	return err
}

// check validates and normalises raw and checks it against e's policy,
// and against sealed too when it is set and differs (a policy change
// during the enrollment never weakens it), then against the breach
// corpus. It returns the normalised password.
func (e *Engine) check(ctx context.Context, sub *verify.Subject, raw string, sealed *Policy) (string, error) {
	t, err := checkInput(raw)
	if err != nil {
		return "", err
	}
	pw := normalize(t)
	vs := e.checker.check(t, sub)
	if sealed != nil && !sealed.equal(&e.policy) {
		c, err := e.newChecker(*sealed)
		if err != nil {
			return "", err
		}
		vs = mergeViolations(vs, c.check(t, sub))
	}
	if len(vs) > 0 {
		return "", (&PolicyError{Violations: vs}).verifyError()
	}
	// The breach corpus only for a password that passes the local rules:
	// it costs a network round trip.
	if e.breach == nil {
		return pw, nil
	}
	n, err := e.breach.Breached(ctx, pw)
	switch {
	case err != nil && e.failOpen && ctx.Err() == nil:
		e.log.WarnContext(ctx, "password: breach check unavailable; accepted (fail-open)",
			"subject", sub.ID, "error", err.Error())
	case err != nil:
		return "", fmt.Errorf("password: breach check (fail-closed): %w", err)
	case n > 0:
		return "", (&PolicyError{Violations: []Violation{{RuleBreached, "has appeared in a data breach; choose another password"}}}).verifyError()
	}
	return pw, nil
}

// historySize is the number of recent passwords refused: the larger of
// the two policies' sizes, among those with history active.
func historySize(a, b *Policy) int {
	n := 0
	for _, p := range []*Policy{a, b} {
		if p.History.Active {
			n = max(n, p.History.Size)
		}
	}
	return n
}

// inHistory reports whether pw matches one of hashes. A stored hash that
// cannot be computed (malformed, or beyond the hasher's limits) is skipped
// and logged: it cannot be the password set through this engine, and
// refusing every new password for it would lock the user out of a change.
func (e *Engine) inHistory(ctx context.Context, hashes []string, pw string, req *verify.EngineConfirm) (bool, error) {
	for i, h := range hashes {
		err := e.hasher.Compare(ctx, h, pw)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, ErrMismatch):
		case errors.Is(err, ErrMalformedHash), errors.Is(err, ErrHashTooCostly):
			e.log.WarnContext(ctx, "password: history entry not comparable; skipped",
				"subject", req.Subject.ID, "method_id", req.MethodID, "entry", i, "error", err.Error())
		default:
			return false, fmt.Errorf("password: history: %w", err)
		}
	}
	return false, nil
}

// Secret is what the password method keeps in store.Method.Secret: the
// current hash and the previous ones, newest first. Persistent stores
// encrypt it at rest.
type storedSecret struct {
	Hash    string   `json:"hash"`
	History []string `json:"history,omitempty"`
}

const secretVersion = 1

// wireSecret is the stored JSON form of a storedSecret. json/v2 omits a
// nil and an empty History alike, as encoding/json did; its bytes are
// pinned by TestStoredSecretBytesAreUnchanged.
type wireSecret struct {
	V       int      `json:"v"`
	Hash    string   `json:"hash"`
	History []string `json:"history,omitempty"`
}

// Encode returns s as stored.
func (s storedSecret) Encode() ([]byte, error) {
	if s.Hash == "" {
		return nil, errors.New("password: refusing to store an empty hash")
	}
	return json.Marshal(wireSecret{V: secretVersion, Hash: s.Hash, History: s.History})
}

// decodeSecret decodes a password method's store.Method.Secret.
func decodeSecret(b []byte) (storedSecret, error) {
	var w wireSecret
	if len(b) > 64<<10 {
		return storedSecret{}, errors.New("password: secret too large")
	}
	if err := strictDecode(b, &w); err != nil {
		return storedSecret{}, fmt.Errorf("password: decode secret: %w", err)
	}
	if w.V != secretVersion || w.Hash == "" || len(w.History) > maxHistorySize {
		return storedSecret{}, errors.New("password: invalid secret")
	}
	if slices.Contains(w.History, "") {
		return storedSecret{}, errors.New("password: invalid secret: empty history entry")
	}
	return storedSecret{Hash: w.Hash, History: w.History}, nil
}

// recent returns the n most recent hashes: the current one, then history.
func (s storedSecret) recent(n int) []string {
	all := append([]string{s.Hash}, s.History...)
	return all[:min(n, len(all))]
}
