package tokenauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/verifykit/verifykit/store"
)

// Defaults and ranges of Config; each field's comment states them.
const (
	defaultLeeway = 30 * time.Second
	maxLeeway     = 5 * time.Minute

	defaultJWKSRefresh = time.Hour
	minJWKSRefresh     = time.Minute
	maxJWKSRefresh     = 24 * time.Hour

	defaultJWKSMinInterval = time.Minute
	minJWKSMinInterval     = time.Second

	defaultJWKSMaxBytes = 256 << 10
	minJWKSMaxBytes     = 1 << 10
	maxJWKSMaxBytes     = 16 << 20
	maxJWKSKeys         = 100 // a larger key set is refused
	defaultJWKSTimeout  = 10 * time.Second

	defaultMaxTokenBytes = 8 << 10
	minMaxTokenBytes     = 1 << 10
	maxMaxTokenBytes     = 64 << 10
	// maxProofBytes bounds a DPoP proof (its header carries a public key:
	// an RSA-4096 JWK is under 1 KiB).
	maxProofBytes = 8 << 10

	defaultProofMaxAge = time.Minute
	minProofMaxAge     = time.Second
	maxProofMaxAge     = 10 * time.Minute

	defaultDPoPNonceRotation = 5 * time.Minute
	minDPoPNonceRotation     = 30 * time.Second
	maxDPoPNonceRotation     = time.Hour

	minMaxAuthAge       = time.Minute
	maxMaxAuthAge       = 30 * 24 * time.Hour
	minMaxTokenLifetime = time.Minute
	maxMaxTokenLifetime = 24 * time.Hour

	// maxClaimLen bounds sub, the mapped profile claims and jti, in bytes.
	maxClaimLen = 1024
	// minRSABits is the smallest RSA modulus accepted, in a JWKS or a
	// DPoP proof (NIST SP 800-131A).
	minRSABits = 2048
)

// Algorithm names accepted in Config.Algorithms and Config.DPoPAlgorithms.
// Only asymmetric algorithms exist here: "none" and the HMAC algorithms
// (HS256, …) are refused by New, so a public key can never be used as an
// HMAC secret (RFC 8725 §2.1, §3.1).
var supportedAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
	jose.EdDSA,
}

// The default algorithm lists of Config.Algorithms and DPoPAlgorithms.
var (
	defaultAlgorithms     = []string{"RS256", "ES256", "EdDSA"}
	defaultDPoPAlgorithms = []string{"ES256", "ES384", "EdDSA", "PS256", "RS256"}
)

// DPoPMode says which token presentations an Authenticator accepts.
type DPoPMode int

const (
	// DPoPAllowed (the default) accepts tokens without a cnf.jkt binding
	// with the Bearer scheme and DPoP-bound tokens with the DPoP scheme
	// and a valid proof. A DPoP-bound token presented as Bearer is refused
	// (RFC 9449 §7.2).
	DPoPAllowed DPoPMode = iota
	// DPoPRequired accepts only DPoP-bound tokens with the DPoP scheme and
	// a valid proof.
	DPoPRequired
	// DPoPDisabled accepts only the Bearer scheme, and refuses DPoP-bound
	// tokens (their binding cannot be checked). No nonce store is needed.
	DPoPDisabled
)

func (m DPoPMode) String() string {
	switch m {
	case DPoPAllowed:
		return "allowed"
	case DPoPRequired:
		return "required"
	case DPoPDisabled:
		return "disabled"
	}
	return fmt.Sprintf("DPoPMode(%d)", int(m))
}

// Config configures an Authenticator. Zero values are the safe defaults;
// out-of-range values are errors from New.
type Config struct {
	// Issuer is the exact "iss" of accepted tokens, e.g.
	// "https://tenant.example.com/". Required.
	Issuer string
	// Audience must be one of the token's "aud" values, e.g.
	// "https://tenant.example.com/me/". Required: a token minted for
	// another API (or an ID token, whose audience is a client id) is
	// refused.
	Audience string
	// Algorithms are the JWS algorithms accepted for access tokens.
	// Default RS256, ES256, EdDSA; each must be one of
	// RS256/384/512, PS256/384/512, ES256/384/512, EdDSA. A key is used
	// only with the algorithms of its type and curve, and with its own
	// "alg" when its JWK names one.
	Algorithms []string
	// Leeway is the clock skew tolerated on exp, nbf, iat and auth_time,
	// and on a DPoP proof's iat in the future. Default 30 s; range (0, 5 min].
	Leeway time.Duration
	// RequireATJWT requires the header typ "at+jwt" of RFC 9068 §2.1.
	// Default false: typ "at+jwt", "JWT" or none is accepted; any other
	// typ (a DPoP proof's "dpop+jwt", a logout token's …) always is not.
	RequireATJWT bool
	// MaxTokenLifetime, when set, refuses a token without iat, one whose
	// exp − iat exceeds it, and one whose iat is older than it (plus
	// Leeway), with error="invalid_token": a leaked long-lived token stops
	// working here even if the issuer minted it for days. Zero means no
	// check; range [1 min, 24 h].
	MaxTokenLifetime time.Duration

	// The issuer's signing keys come from exactly one of JWKS (a JWK Set
	// document, fixed), JWKSFile (a path, read by New and re-read like a
	// URL) or JWKSURL (an https URL, fetched on first use).
	JWKS     []byte
	JWKSFile string
	JWKSURL  string
	// HTTPClient fetches JWKSURL. Default: a client with a
	// 10 s timeout that follows redirects to https URLs only.
	HTTPClient *http.Client
	// JWKSRefresh is how long a fetched key set is used before it is
	// fetched again. Default 1 h; range [1 min, 24 h].
	JWKSRefresh time.Duration
	// JWKSMinInterval is the least time between two fetches: a token with
	// an unknown kid triggers a fetch (key rotation) at most this often, so
	// a client spraying kids cannot make the Authenticator hammer the
	// issuer. Default 1 min; range [1 s, JWKSRefresh].
	JWKSMinInterval time.Duration
	// JWKSMaxBytes bounds a fetched or read key set. Default
	// 256 KiB; range [1 KiB, 16 MiB]. A set of more than 100 keys is
	// refused.
	JWKSMaxBytes int64

	// MaxTokenBytes bounds an access token before it is parsed. Default
	// 8 KiB; range [1 KiB, 64 KiB].
	MaxTokenBytes int

	// NameClaim, EmailClaim and UsernameClaim name string claims copied to
	// Subject.Name, Email and Username (e.g. "name", "email",
	// "https://example.com/username"); empty means not mapped. A mapped
	// claim that is present must be a string of at most 1024 bytes.
	NameClaim     string
	EmailClaim    string
	UsernameClaim string

	// MaxAuthAge, when set, requires the token's auth_time and refuses a
	// token whose user authenticated longer ago (SECURITY-CHECKLIST GN-01:
	// binding a new authenticator needs a recent authentication) with
	// error="insufficient_user_authentication" and max_age (RFC 9470 §3).
	// Zero means no check; range [1 min, 30 days].
	MaxAuthAge time.Duration
	// ACRValues, when set, requires the token's "acr" to be one of them,
	// refusing others like MaxAuthAge with acr_values (RFC 9470 §3).
	ACRValues []string

	// DPoP is the DPoP mode. Default DPoPAllowed.
	DPoP DPoPMode
	// PublicURL is the scheme, host and any path prefix clients use to
	// reach the handler, e.g. "https://api.example.com": a proof's htu
	// must equal PublicURL + the request's path (RFC 9449 §4.3 step 9,
	// compared after RFC 3986 §6.2.2-6.2.3 normalization). The Host and
	// X-Forwarded-* headers are never trusted for it; behind a proxy that
	// strips a prefix, include the prefix. Required unless DPoP is
	// DPoPDisabled; http or https, no query, fragment or userinfo.
	PublicURL string
	// DPoPAlgorithms are the JWS algorithms accepted for DPoP proofs, also
	// advertised in the DPoP challenge's algs. Default
	// ES256, ES384, EdDSA, PS256, RS256; same choices as Algorithms.
	DPoPAlgorithms []string
	// ProofMaxAge is how old a proof's iat may be (plus Leeway). Proof
	// jtis are remembered for that long, so a captured proof is replayed
	// never. Default 1 min; range [1 s, 10 min].
	ProofMaxAge time.Duration
	// DPoPNonces, when set, makes the Authenticator issue server nonces
	// (RFC 9449 §8, §9): every answer of the routes it guards carries the
	// current nonce in DPoP-Nonce, and a DPoP proof whose "nonce" claim is
	// missing or stale is refused with 401 and error="use_dpop_nonce", so
	// the client retries with the nonce it was just given. This bounds a
	// proof's usefulness to the nonce's lifetime even when the client's
	// clock is wrong. The nonce changes every DPoPNonceRotation; the
	// previous one stays accepted for one more rotation, so a client that
	// fetched a nonce just before a change is not refused. The nonces come
	// from the store given to New, which must implement store.ServerNonces:
	// processes sharing the store issue and accept the same nonces.
	// Default false. Not allowed with DPoPDisabled.
	DPoPNonces bool
	// DPoPNonceRotation is how often the nonce changes. Default
	// 5 min; range [30 s, 1 h].
	DPoPNonceRotation time.Duration

	// Realm is the realm of WWW-Authenticate challenges. Default
	// "verifykit", as httpapi.Config.Realm.
	Realm string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Authenticator authenticates requests by their JWT access token, presented
// with the Bearer scheme (RFC 6750) or the DPoP scheme with a proof
// (RFC 9449). It implements httpapi.Authenticator and httpapi.Challenger
// and is safe for concurrent use.
type Authenticator struct {
	issuer, audience string
	algs             []jose.SignatureAlgorithm
	proofAlgs        []jose.SignatureAlgorithm
	leeway           time.Duration
	requireATJWT     bool
	maxLifetime      time.Duration
	maxToken         int
	nameClaim        string
	emailClaim       string
	usernameClaim    string
	maxAuthAge       time.Duration
	acrValues        []string
	mode             DPoPMode
	publicURL        string // normalized, without a final "/"
	proofMaxAge      time.Duration
	nonces           store.Nonces
	serverNonces     *serverNonces // nil unless Config.DPoPNonces
	realm            string
	now              func() time.Time
	keys             *keyCache
	algsParam        string // the DPoP challenge's algs value
}

// New validates cfg and returns an Authenticator. nonces records the jti
// of every accepted DPoP proof until it could no longer be fresh; it is
// required unless cfg.DPoP is DPoPDisabled (then it may be nil). With
// JWKSFile or JWKS, New loads the keys and fails on a bad key set; with
// JWKSURL the first request fetches them (call Refresh to fetch at start).
func New(cfg Config, nonces store.Nonces) (*Authenticator, error) {
	a := &Authenticator{
		issuer: cfg.Issuer, audience: cfg.Audience, requireATJWT: cfg.RequireATJWT,
		maxLifetime: cfg.MaxTokenLifetime,
		nameClaim:   cfg.NameClaim, emailClaim: cfg.EmailClaim, usernameClaim: cfg.UsernameClaim,
		maxAuthAge: cfg.MaxAuthAge, acrValues: slices.Clone(cfg.ACRValues),
		mode: cfg.DPoP, nonces: nonces, realm: cfg.Realm, now: cfg.Now,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if err := checkText("Issuer", cfg.Issuer); err != nil {
		return nil, err
	}
	if err := checkText("Audience", cfg.Audience); err != nil {
		return nil, err
	}
	var err error
	if a.algs, err = parseAlgs("Algorithms", cfg.Algorithms, defaultAlgorithms); err != nil {
		return nil, err
	}
	if a.leeway, err = duration("Leeway", cfg.Leeway, defaultLeeway, 1, maxLeeway); err != nil {
		return nil, err
	}
	a.maxToken = cfg.MaxTokenBytes
	if a.maxToken == 0 {
		a.maxToken = defaultMaxTokenBytes
	}
	if a.maxToken < minMaxTokenBytes || a.maxToken > maxMaxTokenBytes {
		return nil, fmt.Errorf("tokenauth: MaxTokenBytes %d out of range [%d, %d]", a.maxToken, minMaxTokenBytes, maxMaxTokenBytes)
	}
	for _, c := range []struct{ name, v string }{{"NameClaim", cfg.NameClaim}, {"EmailClaim", cfg.EmailClaim}, {"UsernameClaim", cfg.UsernameClaim}} {
		if c.v != "" {
			if err := checkText(c.name, c.v); err != nil {
				return nil, err
			}
		}
	}
	if cfg.MaxAuthAge != 0 && (cfg.MaxAuthAge < minMaxAuthAge || cfg.MaxAuthAge > maxMaxAuthAge) {
		return nil, fmt.Errorf("tokenauth: MaxAuthAge %v out of range [%v, %v]", cfg.MaxAuthAge, minMaxAuthAge, maxMaxAuthAge)
	}
	if cfg.MaxTokenLifetime != 0 && (cfg.MaxTokenLifetime < minMaxTokenLifetime || cfg.MaxTokenLifetime > maxMaxTokenLifetime) {
		return nil, fmt.Errorf("tokenauth: MaxTokenLifetime %v out of range [%v, %v]", cfg.MaxTokenLifetime, minMaxTokenLifetime, maxMaxTokenLifetime)
	}
	for i, v := range cfg.ACRValues {
		if v == "" || strings.ContainsAny(v, " \"\\") || !printable(v) {
			return nil, fmt.Errorf("tokenauth: ACRValues[%d] must be a non-empty printable string without spaces, quotes or backslashes", i)
		}
	}
	if a.realm == "" {
		a.realm = "verifykit"
	}
	if strings.ContainsAny(a.realm, "\"\\") || !printable(a.realm) {
		return nil, errors.New(`tokenauth: Realm must be printable and not contain '"' or '\'`)
	}

	switch cfg.DPoP {
	case DPoPAllowed, DPoPRequired:
		if nonces == nil {
			return nil, fmt.Errorf("tokenauth: DPoP mode %v needs a store.Nonces for proof jtis (use DPoPDisabled to refuse DPoP)", cfg.DPoP)
		}
		if cfg.PublicURL == "" {
			return nil, fmt.Errorf("tokenauth: DPoP mode %v needs PublicURL, the URL clients use (htu)", cfg.DPoP)
		}
		u, err := normalizeHTU(strings.TrimSuffix(cfg.PublicURL, "/"))
		if err != nil {
			return nil, fmt.Errorf("tokenauth: PublicURL: %w", err)
		}
		a.publicURL = strings.TrimSuffix(u, "/")
		if a.proofAlgs, err = parseAlgs("DPoPAlgorithms", cfg.DPoPAlgorithms, defaultDPoPAlgorithms); err != nil {
			return nil, err
		}
		names := make([]string, len(a.proofAlgs))
		for i, alg := range a.proofAlgs {
			names[i] = string(alg)
		}
		a.algsParam = strings.Join(names, " ")
		if a.proofMaxAge, err = duration("ProofMaxAge", cfg.ProofMaxAge, defaultProofMaxAge, minProofMaxAge, maxProofMaxAge); err != nil {
			return nil, err
		}
		if cfg.DPoPNonces {
			ns, ok := nonces.(store.ServerNonces)
			if !ok {
				return nil, errors.New("tokenauth: DPoPNonces needs a store that implements store.ServerNonces")
			}
			rotation, err := duration("DPoPNonceRotation", cfg.DPoPNonceRotation, defaultDPoPNonceRotation, minDPoPNonceRotation, maxDPoPNonceRotation)
			if err != nil {
				return nil, err
			}
			a.serverNonces = &serverNonces{store: ns, rotation: rotation, now: a.now}
		}
	case DPoPDisabled:
		if cfg.DPoPNonces {
			return nil, errors.New("tokenauth: DPoPNonces needs DPoP mode allowed or required")
		}
	default:
		return nil, fmt.Errorf("tokenauth: DPoP mode %d out of range [%d, %d]", int(cfg.DPoP), DPoPAllowed, DPoPDisabled)
	}

	kc, err := newKeyCache(cfg, a.algs, a.now)
	if err != nil {
		return nil, err
	}
	a.keys = kc
	return a, nil
}

func newKeyCache(cfg Config, algs []jose.SignatureAlgorithm, now func() time.Time) (*keyCache, error) {
	c := &keyCache{algs: algs, now: now}
	var err error
	if c.ttl, err = duration("JWKSRefresh", cfg.JWKSRefresh, defaultJWKSRefresh, minJWKSRefresh, maxJWKSRefresh); err != nil {
		return nil, err
	}
	if c.minInterval, err = duration("JWKSMinInterval", cfg.JWKSMinInterval, defaultJWKSMinInterval, minJWKSMinInterval, c.ttl); err != nil {
		return nil, err
	}
	c.maxBytes = cfg.JWKSMaxBytes
	if c.maxBytes == 0 {
		c.maxBytes = defaultJWKSMaxBytes
	}
	if c.maxBytes < minJWKSMaxBytes || c.maxBytes > maxJWKSMaxBytes {
		return nil, fmt.Errorf("tokenauth: JWKSMaxBytes %d out of range [%d, %d]", c.maxBytes, minJWKSMaxBytes, maxJWKSMaxBytes)
	}
	sources := 0
	for _, set := range []bool{cfg.JWKS != nil, cfg.JWKSFile != "", cfg.JWKSURL != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, errors.New("tokenauth: set exactly one of JWKS, JWKSFile and JWKSURL")
	}
	switch {
	case cfg.JWKS != nil:
		if int64(len(cfg.JWKS)) > c.maxBytes {
			return nil, fmt.Errorf("tokenauth: JWKS exceeds JWKSMaxBytes (%d)", c.maxBytes)
		}
		set, err := parseJWKS(cfg.JWKS, algs)
		if err != nil {
			return nil, err
		}
		c.static = true
		c.set.Store(&loaded{set: set, at: now()})
	case cfg.JWKSFile != "":
		path := cfg.JWKSFile
		c.source = "file " + path
		c.load = func(context.Context) ([]byte, error) { return readFile(path, c.maxBytes) }
		if _, err := c.refresh(context.Background(), nil, true); err != nil {
			return nil, err
		}
	default:
		u, err := url.Parse(cfg.JWKSURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.Fragment != "" {
			return nil, errors.New("tokenauth: JWKSURL must be an absolute https URL without userinfo or fragment")
		}
		client := cfg.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: defaultJWKSTimeout, CheckRedirect: httpsOnly}
		}
		c.source = "url " + u.Redacted()
		c.load = func(ctx context.Context) ([]byte, error) { return fetch(ctx, client, u.String(), c.maxBytes) }
	}
	return c, nil
}

func httpsOnly(req *http.Request, via []*http.Request) error {
	if req.URL.Scheme != "https" {
		return errors.New("tokenauth: JWKS redirect to a non-https URL")
	}
	if len(via) >= 5 {
		return errors.New("tokenauth: JWKS: too many redirects")
	}
	return nil
}

func readFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(f, max)
}

func parseAlgs(field string, names, def []string) ([]jose.SignatureAlgorithm, error) {
	if names == nil {
		names = def
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("tokenauth: %s is empty", field)
	}
	var out []jose.SignatureAlgorithm
	for _, n := range names {
		alg := jose.SignatureAlgorithm(n)
		if !slices.Contains(supportedAlgs, alg) {
			return nil, fmt.Errorf("tokenauth: %s: algorithm %q not supported (RS256/384/512, PS256/384/512, ES256/384/512, EdDSA; never none or HS*)", field, n)
		}
		if slices.Contains(out, alg) {
			return nil, fmt.Errorf("tokenauth: %s: algorithm %q repeated", field, n)
		}
		out = append(out, alg)
	}
	return out, nil
}

func duration(field string, v, def, lo, hi time.Duration) (time.Duration, error) {
	if v == 0 {
		v = def
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("tokenauth: %s %v out of range [%v, %v]", field, v, lo, hi)
	}
	return v, nil
}

func checkText(field, v string) error {
	if v == "" {
		return fmt.Errorf("tokenauth: %s is required", field)
	}
	if len(v) > 2048 || !printable(v) {
		return fmt.Errorf("tokenauth: %s must be printable ASCII of at most 2048 bytes", field)
	}
	return nil
}

// printable reports whether s is printable ASCII (%x20-7E).
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
