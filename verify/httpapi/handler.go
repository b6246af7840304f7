package httpapi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/verify"
)

// Limits of Config.
const (
	defaultMaxBodyBytes = 64 << 10
	minMaxBodyBytes     = 4 << 10
	maxMaxBodyBytes     = 1 << 20

	defaultMaxDepth = 16
	minMaxDepth     = 4
	maxMaxDepth     = 64

	defaultMaxAuthSession = 4096
	minMaxAuthSession     = 256
	maxMaxAuthSession     = 64 << 10

	// maxMaxAttestationObject and maxMaxClientDataJSON bound the field
	// limits a host may raise above the spec's.
	maxMaxAttestationObject = 64 << 10
	maxMaxClientDataJSON    = 16 << 10

	maxUserAgent = 512 // bytes of User-Agent kept in verify.Client
)

// defaultRateLimit returns the default per-user limit of every route:
// 10 requests per minute.
func defaultRateLimit() verify.Limit { return verify.Limit{Requests: 10, Window: time.Minute} }

// defaultAnonymousRateLimit returns the default per-IP limit of requests
// that carry no valid credentials or match no route: 60 per minute.
func defaultAnonymousRateLimit() verify.Limit { return verify.Limit{Requests: 60, Window: time.Minute} }

// Config configures a Handler. It is validated once by New.
type Config struct {
	// Verifier runs the enrollments, e.g. a *verify.Service. Required.
	Verifier verify.Verifier
	// Manager serves the management routes: list, get, update and delete
	// of the caller's methods, and the factors. Default: the Verifier, if
	// it implements Manager (a *verify.Service does). When neither is one,
	// those routes are not served: their paths answer 404, or 405 where
	// the path has other routes (GET /authentication-methods).
	Manager Manager
	// SignIn serves the sign-in routes (see signin.go): the step-up of the
	// caller with one of their methods and, through Handler.PasskeySignIn,
	// the usernameless passkey sign-in. Default: the Verifier, if it
	// implements SignInService (a *verify.Service does). When neither is
	// one, the step-up routes are not served (404) and PasskeySignIn fails.
	SignIn SignInService
	// Authenticator establishes who each request acts for. Required: the
	// handler never serves a request without a Principal.
	Authenticator Authenticator
	// Limiter rate-limits every request, per user and route, and per IP
	// for requests without valid credentials. Required: use
	// ratelimit.NewMemory for one process, a shared limiter for several,
	// or ratelimit.Unlimited to lift the limits explicitly. A Limiter error
	// fails the request closed (500).
	Limiter verify.Limiter
	// BaseURL is the absolute URL of the API root as clients see it, e.g.
	// "https://id.example.com/me/v1": Location headers are
	// BaseURL + "/authentication-methods/" + the escaped method id.
	// Required; http or https, no query or fragment.
	BaseURL string
	// Prefix is the path under which the handler receives requests, e.g.
	// "/me/v1" when mounted with mux.Handle("/me/v1/", h). Default: the
	// path of BaseURL. Set it to "/" when a proxy or http.StripPrefix
	// removes the prefix before the handler sees the request.
	Prefix string
	// RateLimit is the per-user limit of every route. Default
	// defaultRateLimit(); Requests in [1, 1<<30], Window in (0, 366 days].
	RateLimit verify.Limit
	// RouteLimits overrides RateLimit per route, keyed by operationId
	// (opCreate, opVerify, …). For the anonymous routes of PasskeySignIn
	// (opPasskeyChallenge, opPasskeyAuthenticate) it sets their per-IP
	// limit, by default AnonymousRateLimit.
	RouteLimits map[string]verify.Limit
	// AnonymousRateLimit is the per-IP limit (per /64 for IPv6) of requests
	// without valid credentials (answered 401) or outside every route (404,
	// 405), and the default per-IP limit of each PasskeySignIn route.
	// Default defaultAnonymousRateLimit().
	AnonymousRateLimit verify.Limit
	// MaxBodyBytes caps request bodies; a larger one is answered 413.
	// Default 64 KiB; range [4 KiB, 1 MiB].
	MaxBodyBytes int64
	// MaxDepth bounds the nesting of request JSON. Default 16; range [4, 64].
	MaxDepth int
	// MaxAuthSession bounds auth_session, in characters. Default 4096,
	// the default of session.Config.MaxTokenLen; range [256, 64 KiB].
	MaxAuthSession int
	// MaxAttestationObject and MaxClientDataJSON bound
	// authn_response.response.attestationObject and clientDataJSON, in
	// characters. Default the spec's 2000 and 1000, which attestations
	// carrying certificate chains (packed, tpm) exceed; a host accepting
	// those raises them, up to 64 KiB and 16 KiB.
	MaxAttestationObject int
	MaxClientDataJSON    int
	// ClientIP returns the client's IP address for verify.Client and the
	// anonymous rate limit. Default: the host of r.RemoteAddr. Behind a
	// reverse proxy, return the address the proxy reports, and only from
	// proxies you trust: a client sets X-Forwarded-For to anything.
	ClientIP func(r *http.Request) string
	// Realm is the realm of WWW-Authenticate challenges. Default "verifykit".
	Realm string
	// Logger receives one record per failed request (4xx at Info, 5xx at
	// Error with the cause). Records never carry a token, an auth_session,
	// a code, a password or a request body. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock of the rate-limit headers; nil means time.Now.
	Now func() time.Time
}

// Handler serves the My Account authentication-method routes over a
// verify.Verifier. It is safe for concurrent use.
type Handler struct {
	verifier  verify.Verifier
	manager   Manager       // nil: the management routes are not served
	signIn    SignInService // nil: the sign-in routes are not served
	auth      Authenticator
	limiter   verify.Limiter
	base      string
	prefix    []string // path segments
	limits    map[string]verify.Limit
	anonLimit verify.Limit
	maxBody   int64
	lim       limits
	clientIP  func(*http.Request) string
	realm     string
	log       *slog.Logger
	now       func() time.Time
	routes    []route
	bufs      sync.Pool // *[]byte request body buffers, wiped
}

var prefixRE = regexp.MustCompile(`^(/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*/?$`)

// New validates cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Verifier == nil {
		return nil, errors.New("httpapi: Config.Verifier is required")
	}
	if cfg.Authenticator == nil {
		return nil, errors.New("httpapi: Config.Authenticator is required")
	}
	if cfg.Limiter == nil {
		return nil, errors.New("httpapi: Config.Limiter is required (ratelimit.Unlimited lifts the limits explicitly)")
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" ||
		base.RawQuery != "" || base.Fragment != "" || base.User != nil || base.Opaque != "" {
		return nil, fmt.Errorf("httpapi: BaseURL %q must be an absolute http(s) URL without query or fragment", cfg.BaseURL)
	}
	h := &Handler{
		verifier: cfg.Verifier, auth: cfg.Authenticator, limiter: cfg.Limiter,
		base:    strings.TrimSuffix(base.String(), "/"),
		limits:  map[string]verify.Limit{},
		maxBody: cfg.MaxBodyBytes, clientIP: cfg.ClientIP, realm: cfg.Realm, log: cfg.Logger, now: cfg.Now,
		lim: limits{
			depth: cfg.MaxDepth, authSession: cfg.MaxAuthSession,
			attestationObject: cfg.MaxAttestationObject, clientDataJSON: cfg.MaxClientDataJSON,
		},
	}
	prefix := cfg.Prefix
	if prefix == "" {
		prefix = base.EscapedPath()
	}
	if !prefixRE.MatchString(prefix) || (prefix != "" && prefix[0] != '/') {
		return nil, fmt.Errorf("httpapi: Prefix %q must be an absolute path of unreserved characters", prefix)
	}
	for _, seg := range strings.Split(strings.Trim(prefix, "/"), "/") {
		if seg != "" {
			h.prefix = append(h.prefix, seg)
		}
	}
	if err := defaultInt64(&h.maxBody, defaultMaxBodyBytes, minMaxBodyBytes, maxMaxBodyBytes, "MaxBodyBytes"); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		v             *int
		def, min, max int
		name          string
	}{
		{&h.lim.depth, defaultMaxDepth, minMaxDepth, maxMaxDepth, "MaxDepth"},
		{&h.lim.authSession, defaultMaxAuthSession, minMaxAuthSession, maxMaxAuthSession, "MaxAuthSession"},
		{&h.lim.attestationObject, specMaxAttestationObject, specMaxAttestationObject, maxMaxAttestationObject, "MaxAttestationObject"},
		{&h.lim.clientDataJSON, specMaxClientDataJSON, specMaxClientDataJSON, maxMaxClientDataJSON, "MaxClientDataJSON"},
	} {
		if *f.v == 0 {
			*f.v = f.def
		}
		if *f.v < f.min || *f.v > f.max {
			return nil, fmt.Errorf("httpapi: %s %d out of range [%d, %d]", f.name, *f.v, f.min, f.max)
		}
	}
	h.manager = cfg.Manager
	if h.manager == nil {
		h.manager, _ = cfg.Verifier.(Manager)
	}
	h.signIn = cfg.SignIn
	if h.signIn == nil {
		h.signIn, _ = cfg.Verifier.(SignInService)
	}
	h.routes = routes(h.manager != nil, h.signIn != nil)
	known := map[string]bool{}
	for _, op := range opNames() {
		known[op] = true
	}
	def := cfg.RateLimit
	if def == (verify.Limit{}) {
		def = defaultRateLimit()
	}
	if err := checkLimit("RateLimit", def); err != nil {
		return nil, err
	}
	for _, rt := range h.routes {
		h.limits[rt.op] = def
	}
	for op, l := range cfg.RouteLimits {
		if !known[op] {
			return nil, fmt.Errorf("httpapi: RouteLimits names unknown operation %q", op)
		}
		if err := checkLimit("RouteLimits["+op+"]", l); err != nil {
			return nil, err
		}
		h.limits[op] = l
	}
	h.anonLimit = cfg.AnonymousRateLimit
	if h.anonLimit == (verify.Limit{}) {
		h.anonLimit = defaultAnonymousRateLimit()
	}
	if err := checkLimit("AnonymousRateLimit", h.anonLimit); err != nil {
		return nil, err
	}
	for _, rt := range passkeyRoutes {
		if _, ok := cfg.RouteLimits[rt.op]; !ok {
			h.limits[rt.op] = h.anonLimit
		}
	}
	if h.clientIP == nil {
		h.clientIP = remoteIP
	}
	if h.realm == "" {
		h.realm = "verifykit"
	}
	if strings.ContainsAny(h.realm, "\"\\\r\n") {
		return nil, errors.New(`httpapi: Realm must not contain '"', '\' or line breaks`)
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h, nil
}

func defaultInt64(v *int64, def, min, max int64, name string) error {
	if *v == 0 {
		*v = def
	}
	if *v < min || *v > max {
		return fmt.Errorf("httpapi: %s %d out of range [%d, %d]", name, *v, min, max)
	}
	return nil
}

func checkLimit(name string, l verify.Limit) error {
	if l.Requests < 1 || l.Requests > 1<<30 || l.Window <= 0 || l.Window > 366*24*time.Hour ||
		l.Window/time.Duration(l.Requests) < 1 {
		return fmt.Errorf("httpapi: %s %d per %v out of range: Requests in [1, %d], Window in (0, %v], at least 1ns per request",
			name, l.Requests, l.Window, 1<<30, 366*24*time.Hour)
	}
	return nil
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Prefix returns the path under which h expects requests ("/me/v1"; ""
// for Prefix "/"), for mounting: mux.Handle(h.Prefix()+"/", h).
func (h *Handler) Prefix() string {
	if len(h.prefix) == 0 {
		return ""
	}
	return "/" + strings.Join(h.prefix, "/")
}

// call is one request being served by a route.
type call struct {
	r         *http.Request
	route     *route
	id        string // authentication_method_id, percent-decoded once
	principal Principal
	client    verify.Client
	body      []byte
	buf       *[]byte    // the pooled buffer of body
	query     url.Values // the declared query parameters, each given once
	op        string     // operationId, "" outside the routes

	// hv backs the values of the response headers the handler sets, one
	// each, so that setting them allocates nothing. Each value's slice
	// has capacity 1: an Add elsewhere reallocates rather than overwrite
	// the next one.
	hv  [10]string
	nhv int
}

// headerValue returns []string{v}, from c.hv while it lasts. The header
// maps' keys are assigned directly, in canonical form (X-Ratelimit-Limit,
// as http.Header.Set would write X-RateLimit-Limit), with no
// canonicalisation at run time.
func (c *call) headerValue(v string) []string {
	if c.nhv == len(c.hv) {
		return []string{v}
	}
	i := c.nhv
	c.hv[i] = v
	c.nhv++
	return c.hv[i : i+1 : i+1]
}

// ServeHTTP serves one request: route, authenticate, rate-limit, check the
// scope, read the body, then the route's own work.
//
// The checks run in admit, whose frame is gone by the time the route runs:
// the route's stack (the Verifier, its engine, the sealer, the observer's
// logger) then fits the goroutine's first stack more often, rather than
// growing it on each request after a garbage collection shrank it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{r: r, client: verify.Client{IP: h.clientIP(r), UserAgent: userAgent(r)}}
	defer h.recoverPanic(w, c)
	if !h.admit(w, c) {
		return
	}
	if c.buf != nil {
		// The decoded request holds copies: the body goes back to the
		// pool, wiped, once the route is done with it.
		defer h.release(c.buf, c.body)
	}
	c.route.serve(h, w, c)
}

// recoverPanic answers 500 to a request whose handling panicked, and logs
// the panic; http.ErrAbortHandler goes on up.
func (h *Handler) recoverPanic(w http.ResponseWriter, c *call) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		h.log.LogAttrs(c.r.Context(), slog.LevelError, "verifykit: panic serving request",
			slog.String("op", c.op), slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
		h.problem(w, c, http.StatusInternalServerError, problemInternal, detailInternal, nil)
	}
}

// admit runs every step before the route's own work — route, authenticate,
// rate-limit, check the scope and the query, read the body into c — and
// reports whether the request goes on; when not, it has answered.
func (h *Handler) admit(w http.ResponseWriter, c *call) bool {
	r := c.r
	hdr := w.Header()
	// Bodies carry auth_sessions, TOTP secrets and recovery codes.
	hdr["Cache-Control"] = c.headerValue("no-store")
	hdr["X-Content-Type-Options"] = c.headerValue("nosniff")

	rt, id, allow := h.match(r)
	if rt == nil {
		if !h.limitAnonymous(w, c) {
			return false
		}
		if allow != "" {
			hdr.Set("Allow", allow)
			h.problem(w, c, http.StatusMethodNotAllowed, problemMethodNotAllowed, "The method is not allowed on this resource", nil)
			return false
		}
		h.problem(w, c, http.StatusNotFound, problemNotFound, "No such resource", nil)
		return false
	}
	c.route, c.id, c.op = rt, id, rt.op

	if hs, ok := h.auth.(HeaderSetter); ok {
		if err := hs.SetHeaders(r, hdr); err != nil {
			h.fail(w, c, fmt.Errorf("httpapi: authenticator headers: %w", err))
			return false
		}
	}
	p, err := h.auth.Authenticate(r)
	if err == nil && p.Subject.ID == "" {
		h.log.LogAttrs(r.Context(), slog.LevelError, "verifykit: authenticator returned a principal without Subject.ID", slog.String("op", c.op))
		err = &AuthError{Code: CodeInvalidToken, Description: "The access token is invalid"}
	}
	if err != nil {
		if h.limitAnonymous(w, c) {
			h.authFailure(w, c, err)
		}
		return false
	}
	c.principal = p

	rl, err := h.limiter.Allow(r.Context(), "verifykit|"+rt.op+"|"+p.Subject.ID, h.limits[rt.op])
	if err != nil {
		h.fail(w, c, fmt.Errorf("httpapi: rate limiter: %w", err))
		return false
	}
	c.setRateLimit(hdr, rl, h.now())
	if !rl.Allowed {
		h.problem(w, c, http.StatusTooManyRequests, problemRateLimited, "Too many requests; retry later", nil)
		return false
	}

	if !p.HasScope(rt.scope) {
		h.authFailure(w, c, &AuthError{Code: CodeInsufficientScope, Description: "The access token lacks the scope " + rt.scope})
		return false
	}

	if err := checkQuery(c); err != nil {
		h.fail(w, c, err)
		return false
	}

	if rt.body || rt.optionalBody && (r.ContentLength != 0 || len(r.TransferEncoding) > 0) {
		return h.readJSON(w, c)
	}
	return true
}

// readJSON reads the JSON body of c's request into c.body, within
// MaxBodyBytes, after checking its Content-Type and Content-Encoding, and
// reports whether the request goes on; when not, it has answered.
func (h *Handler) readJSON(w http.ResponseWriter, c *call) bool {
	r := c.r
	if !isJSON(r.Header.Get("Content-Type")) {
		h.problem(w, c, http.StatusUnsupportedMediaType, problemUnsupportedMediaType,
			"The request body must be application/json", nil)
		return false
	}
	if ce := r.Header.Values("Content-Encoding"); len(ce) > 1 || len(ce) == 1 && !strings.EqualFold(ce[0], "identity") {
		// RFC 7694 §3: an unsupported content coding is a 415.
		h.problem(w, c, http.StatusUnsupportedMediaType, problemUnsupportedMediaType,
			"Content encodings of the request body are not supported", nil)
		return false
	}
	bp := h.buffer()
	body, err := readBody(http.MaxBytesReader(w, r.Body, h.maxBody), (*bp)[:0])
	if err != nil {
		h.release(bp, body)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.problem(w, c, http.StatusRequestEntityTooLarge, problemPayloadTooLarge,
				fmt.Sprintf("The request body exceeds %d bytes", h.maxBody), nil)
			return false
		}
		h.problem(w, c, http.StatusBadRequest, problemInvalidRequest, "The request body could not be read", nil)
		return false
	}
	c.buf, c.body = bp, body
	return true
}

// readBody reads a request body (behind http.MaxBytesReader) as io.ReadAll
// does, appending to b.
func readBody(r io.Reader, b []byte) ([]byte, error) {
	if cap(b) == 0 {
		b = make([]byte, 0, 512)
	}
	for {
		m, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow
		}
	}
}

// match finds the route of r. For a path of a route but another method it
// returns nil and the Allow header value.
func (h *Handler) match(r *http.Request) (rt *route, id string, allow string) {
	path := r.URL.EscapedPath()
	if path == "" || path[0] != '/' {
		return nil, "", ""
	}
	// The segments after the leading '/', as strings.Split would cut them.
	var buf [8]string
	segs := buf[:0]
	for rest := path[1:]; ; {
		seg, tail, more := strings.Cut(rest, "/")
		segs = append(segs, seg)
		if !more {
			break
		}
		rest = tail
	}
	if len(segs) < len(h.prefix) {
		return nil, "", ""
	}
	for i, p := range h.prefix {
		if segs[i] != p {
			return nil, "", ""
		}
	}
	segs = segs[len(h.prefix):]
	var methods []string
	for i := range h.routes {
		cand := &h.routes[i]
		pid, ok := cand.matchPath(segs)
		if !ok {
			continue
		}
		if cand.method == r.Method {
			return cand, pid, ""
		}
		methods = append(methods, cand.method)
	}
	return nil, "", strings.Join(methods, ", ")
}

// matchPath matches the escaped segments after the prefix; "{id}" takes
// one non-empty segment, percent-decoded exactly once (GN-03).
func (rt *route) matchPath(segs []string) (string, bool) {
	if len(segs) != len(rt.path) {
		return "", false
	}
	id := ""
	for i, p := range rt.path {
		if p == "{id}" {
			v, err := url.PathUnescape(segs[i])
			if err != nil || v == "" {
				return "", false
			}
			id = v
			continue
		}
		if segs[i] != p {
			return "", false
		}
	}
	return id, true
}

// limitAnonymous applies the per-IP limit and its headers to a request
// without a principal. It reports whether the request may go on; when not,
// it has answered.
func (h *Handler) limitAnonymous(w http.ResponseWriter, c *call) bool {
	rl, err := h.limiter.Allow(c.r.Context(), "verifykit|anonymous|"+anonymousKey(c.client.IP), h.anonLimit)
	if err != nil {
		h.fail(w, c, fmt.Errorf("httpapi: rate limiter: %w", err))
		return false
	}
	c.setRateLimit(w.Header(), rl, h.now())
	if !rl.Allowed {
		h.problem(w, c, http.StatusTooManyRequests, problemRateLimited, "Too many requests; retry later", nil)
		return false
	}
	return true
}

// anonymousKey is the bucket of an IP address: the address itself for
// IPv4, its /64 for IPv6, since one subscriber commonly holds a whole /64
// and could rotate through it.
func anonymousKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// setRateLimit writes the spec's rate-limit headers for rl.
func (c *call) setRateLimit(hdr http.Header, rl verify.RateLimit, now time.Time) {
	reset := rl.Reset.Unix()
	if rl.Reset.After(time.Unix(reset, 0)) {
		reset++ // round up: the bucket is full only then
	}
	if reset < 0 {
		reset = 0
	}
	hdr["X-Ratelimit-Limit"] = c.headerValue(strconv.Itoa(max(rl.Limit, 0)))
	hdr["X-Ratelimit-Remaining"] = c.headerValue(strconv.Itoa(max(rl.Remaining, 0)))
	hdr["X-Ratelimit-Reset"] = c.headerValue(strconv.FormatInt(reset, 10))
	if rl.Allowed {
		delete(hdr, "Retry-After")
		return
	}
	wait := rl.RetryAfter
	if wait <= 0 {
		wait = rl.Reset.Sub(now)
	}
	secs := int64((wait + time.Second - 1) / time.Second)
	hdr["Retry-After"] = c.headerValue(strconv.FormatInt(max(secs, 1), 10))
}

// isJSON accepts application/json with at most a charset parameter of
// utf-8 (RFC 8259 §8.1: JSON exchanged between systems is UTF-8).
func isJSON(ct string) bool {
	if ct == "application/json" || ct == "application/json; charset=utf-8" {
		return true // what clients send, without parsing
	}
	return parsedJSON(ct)
}

// parsedJSON is isJSON by parsing the media type.
func parsedJSON(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

func userAgent(r *http.Request) string {
	ua := r.Header.Get("User-Agent")
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	return strings.ToValidUTF8(ua, "")
}

// location is the URL of the authentication method id.
func (h *Handler) location(id string) string {
	const path = "/authentication-methods/"
	// A method id of unreserved characters and '|' (every id verify makes)
	// is written here in one allocation, '|' as url.PathEscape writes it;
	// any other id goes through url.PathEscape (TestLocationMatchesPathEscape).
	n := 0
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c == '|':
			n++
		case !unreserved(c):
			return h.base + path + url.PathEscape(id)
		}
	}
	b := make([]byte, 0, len(h.base)+len(path)+len(id)+2*n)
	b = append(append(b, h.base...), path...)
	for i := 0; i < len(id); i++ {
		if id[i] == '|' {
			b = append(b, "%7C"...)
		} else {
			b = append(b, id[i])
		}
	}
	return string(b)
}

// unreserved reports whether c is an RFC 3986 unreserved character, which
// url.PathEscape leaves as it is.
func unreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// maxPooledBody is the largest request body buffer kept for reuse.
const maxPooledBody = 16 << 10

// buffer returns a buffer of h's pool, for a request body.
func (h *Handler) buffer() *[]byte {
	bp, _ := h.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	return bp
}

// release wipes b, the buffer of bp as last grown, and puts it back into
// h's pool unless it grew too large. Bodies carry auth_sessions, codes and
// passwords; the reader may have written past len(b), so the whole
// capacity is wiped.
func (h *Handler) release(bp *[]byte, b []byte) {
	clear(b[:cap(b)])
	if cap(b) <= maxPooledBody {
		*bp = b[:0]
		h.bufs.Put(bp)
	}
}

// writeJSON answers status with v encoded by json/v2 and a newline. The
// encoded body, which may hold an auth_session, a TOTP secret or recovery
// codes, is wiped once written.
func (h *Handler) writeJSON(w http.ResponseWriter, c *call, status int, v any) {
	b, err := json.Marshal(v)
	defer clear(b)
	if err != nil {
		w.Header().Del("Location")
		h.fail(w, c, fmt.Errorf("httpapi: encode response: %w", err))
		return
	}
	hdr := w.Header()
	hdr["Content-Type"] = c.headerValue("application/json")
	hdr["Content-Length"] = c.headerValue(strconv.Itoa(len(b) + 1))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	_, _ = w.Write([]byte{'\n'})
}
