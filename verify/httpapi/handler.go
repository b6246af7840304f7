package httpapi

import (
	"cmp"
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
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/verify"
)

// Defaults of Config; each field's comment states them and its range.
const (
	defaultMaxBodyBytes   = 64 << 10
	defaultMaxDepth       = 16
	defaultMaxAuthSession = 4096
)

// defaultRateLimit is the default per-user limit of every route.
func defaultRateLimit() verify.Limit { return verify.Limit{Requests: 10, Window: time.Minute} }

// defaultAnonymousRateLimit is the default per-IP limit of requests that
// carry no valid credentials or match no route.
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
	// SignIn serves the sign-in routes: the step-up of the
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
	// RateLimit is the per-user limit of every route. Default 10 requests
	// a minute; Requests in [1, 1<<30], Window in (0, 366 days].
	RateLimit verify.Limit
	// RouteLimits overrides RateLimit per route, keyed by the spec's
	// operationId ("createAuthenticationMethod", "confirmAuthenticationMethod",
	// …; README.md lists them); New refuses an unknown one. For the
	// anonymous routes of PasskeySignIn ("passkeyChallenge",
	// "passkeyAuthenticate") it sets their per-IP limit, by default
	// AnonymousRateLimit.
	RouteLimits map[string]verify.Limit
	// AnonymousRateLimit is the per-IP limit (per /64 for IPv6) of requests
	// without valid credentials (answered 401) or outside every route (404,
	// 405), and the default per-IP limit of each PasskeySignIn route.
	// Default 60 requests a minute; ranges as RateLimit.
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
	cfg        Config        // validated, with the defaults set
	manager    Manager       // nil: the management routes are not served
	signIn     SignInService // nil: the sign-in routes are not served
	base       string
	prefix     []string // path segments
	limits     map[string]verify.Limit
	routes     []route // served under the prefix
	passkeys   []route // served by PasskeySignIn
	decodeOpts json.Options
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
		base:   strings.TrimSuffix(base.String(), "/"),
		limits: map[string]verify.Limit{},
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
	cfg.RateLimit = cmp.Or(cfg.RateLimit, defaultRateLimit())
	cfg.AnonymousRateLimit = cmp.Or(cfg.AnonymousRateLimit, defaultAnonymousRateLimit())
	if err := errors.Join(
		inRange("MaxBodyBytes", &cfg.MaxBodyBytes, defaultMaxBodyBytes, 4<<10, 1<<20),
		inRange("MaxDepth", &cfg.MaxDepth, defaultMaxDepth, 4, 64), // 4: the deepest member of a body
		inRange("MaxAuthSession", &cfg.MaxAuthSession, defaultMaxAuthSession, 256, 64<<10),
		inRange("MaxAttestationObject", &cfg.MaxAttestationObject, specMaxAttestationObject, specMaxAttestationObject, 64<<10),
		inRange("MaxClientDataJSON", &cfg.MaxClientDataJSON, specMaxClientDataJSON, specMaxClientDataJSON, 16<<10),
		checkLimit("RateLimit", cfg.RateLimit),
		checkLimit("AnonymousRateLimit", cfg.AnonymousRateLimit),
	); err != nil {
		return nil, err
	}
	manager, _ := cfg.Verifier.(Manager)
	signIn, _ := cfg.Verifier.(SignInService)
	h.manager, h.signIn = cmp.Or(cfg.Manager, manager), cmp.Or(cfg.SignIn, signIn)
	for _, rt := range allRoutes {
		h.limits[rt.op] = cfg.RateLimit
		switch {
		case rt.anonymous:
			h.limits[rt.op] = cfg.AnonymousRateLimit
			h.passkeys = append(h.passkeys, rt)
		case (h.manager != nil || !rt.manage) && (h.signIn != nil || !rt.signIn):
			h.routes = append(h.routes, rt)
		}
	}
	for op, l := range cfg.RouteLimits {
		if _, ok := h.limits[op]; !ok {
			return nil, fmt.Errorf("httpapi: RouteLimits names unknown operation %q", op)
		}
		if err := checkLimit("RouteLimits["+op+"]", l); err != nil {
			return nil, err
		}
		h.limits[op] = l
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = remoteIP
	}
	cfg.Realm = cmp.Or(cfg.Realm, "verifykit")
	if strings.ContainsAny(cfg.Realm, "\"\\\r\n") {
		return nil, errors.New(`httpapi: Realm must not contain '"', '\' or line breaks`)
	}
	cfg.Logger = cmp.Or(cfg.Logger, slog.Default())
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h.cfg, h.decodeOpts = cfg, decodeOptions(cfg.MaxDepth)
	return h, nil
}

// inRange sets *v to def when it is zero and checks it against [lo, hi].
func inRange[T int | int64](name string, v *T, def, lo, hi T) error {
	if *v == 0 {
		*v = def
	}
	if *v < lo || *v > hi {
		return fmt.Errorf("httpapi: %s %d out of range [%d, %d]", name, *v, lo, hi)
	}
	return nil
}

// checkLimit checks a rate limit against the ranges of Config.RateLimit.
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
	query     url.Values // the declared query parameters, each given once
	op        string     // operationId, "" outside the routes
	location  string     // the method id of the answer's Location
}

// ServeHTTP serves one request of the routes under the prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.serve(w, r, h.prefix, h.routes)
}

// serve serves one request of routes, mounted under prefix: route,
// authenticate (unless the route is anonymous), rate-limit, check the
// scope, the query and the body, then the route's own work. It stops at
// the first failure, which it answers.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, prefix []string, routes []route) {
	c := &call{r: r, client: verify.Client{IP: h.cfg.ClientIP(r), UserAgent: userAgent(r)}}
	defer h.recoverPanic(w, c)
	hdr := w.Header()
	// Bodies carry auth_sessions, TOTP secrets and recovery codes.
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")

	rt, id, allow := match(r, prefix, routes)
	if rt == nil {
		if !h.allow(w, c, "anonymous", anonymousKey(c.client.IP), h.cfg.AnonymousRateLimit) {
			return
		}
		if allow != "" {
			hdr.Set("Allow", allow)
			h.problem(w, c, http.StatusMethodNotAllowed, problemMethodNotAllowed, "The method is not allowed on this resource", nil)
			return
		}
		h.problem(w, c, http.StatusNotFound, problemNotFound, "No such resource", nil)
		return
	}
	c.route, c.id, c.op = rt, id, rt.op

	if rt.anonymous {
		if !h.allow(w, c, rt.op, anonymousKey(c.client.IP), h.limits[rt.op]) {
			return
		}
	} else {
		if hs, ok := h.cfg.Authenticator.(HeaderSetter); ok {
			if err := hs.SetHeaders(r, hdr); err != nil {
				h.fail(w, c, fmt.Errorf("httpapi: authenticator headers: %w", err))
				return
			}
		}
		p, err := h.cfg.Authenticator.Authenticate(r)
		if err == nil && p.Subject.ID == "" {
			h.cfg.Logger.LogAttrs(r.Context(), slog.LevelError, "verifykit: authenticator returned a principal without Subject.ID", slog.String("op", c.op))
			err = &AuthError{Code: CodeInvalidToken, Description: "The access token is invalid"}
		}
		if k := verify.Kind(err); err != nil && k != verify.ErrUnauthenticated && k != verify.ErrForbidden {
			err = fmt.Errorf("httpapi: authenticate: %w", err) // an outage
		}
		if err != nil {
			if h.allow(w, c, "anonymous", anonymousKey(c.client.IP), h.cfg.AnonymousRateLimit) {
				h.fail(w, c, err)
			}
			return
		}
		c.principal = p
		if !h.allow(w, c, rt.op, p.Subject.ID, h.limits[rt.op]) {
			return
		}
		if !p.HasScope(rt.scope) {
			h.fail(w, c, &AuthError{Code: CodeInsufficientScope, Description: "The access token lacks the scope " + rt.scope})
			return
		}
	}

	if err := checkQuery(c); err != nil {
		h.fail(w, c, err)
		return
	}
	if rt.body || rt.optionalBody && (r.ContentLength != 0 || len(r.TransferEncoding) > 0) {
		if !h.readJSON(w, c) {
			return
		}
		// The decoded request holds copies: the body is wiped once the
		// route is done with it (it carries auth_sessions, codes and
		// passwords).
		defer clear(c.body)
	}
	switch status, v, err := rt.serve(h, c); {
	case err != nil:
		h.fail(w, c, err)
	case v == nil:
		w.WriteHeader(status)
	default:
		h.writeJSON(w, c, status, v)
	}
}

// recoverPanic answers 500 to a request whose handling panicked, and logs
// the panic; http.ErrAbortHandler goes on up.
func (h *Handler) recoverPanic(w http.ResponseWriter, c *call) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		h.cfg.Logger.LogAttrs(c.r.Context(), slog.LevelError, "verifykit: panic serving request",
			slog.String("op", c.op), slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
		h.problem(w, c, http.StatusInternalServerError, problemInternal, detailInternal, nil)
	}
}

// allow applies the limit of bucket (an operationId, or "anonymous") to
// key (a user, or the client's address) and writes its headers. It reports
// whether the request may go on; when not, it has answered.
func (h *Handler) allow(w http.ResponseWriter, c *call, bucket, key string, l verify.Limit) bool {
	rl, err := h.cfg.Limiter.Allow(c.r.Context(), "verifykit|"+bucket+"|"+key, l)
	if err != nil {
		h.fail(w, c, fmt.Errorf("httpapi: rate limiter: %w", err))
		return false
	}
	h.setRateLimit(w.Header(), rl)
	if !rl.Allowed {
		h.problem(w, c, http.StatusTooManyRequests, problemRateLimited, "Too many requests; retry later", nil)
		return false
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		clear(body)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.problem(w, c, http.StatusRequestEntityTooLarge, problemPayloadTooLarge,
				fmt.Sprintf("The request body exceeds %d bytes", h.cfg.MaxBodyBytes), nil)
			return false
		}
		h.problem(w, c, http.StatusBadRequest, problemInvalidRequest, "The request body could not be read", nil)
		return false
	}
	c.body = body
	return true
}

// match finds the route of r among routes, mounted under prefix. For a
// path of a route but another method it returns nil and the Allow header
// value.
func match(r *http.Request, prefix []string, routes []route) (rt *route, id string, allow string) {
	segs := strings.Split(r.URL.EscapedPath(), "/")
	if len(segs) <= len(prefix) || segs[0] != "" || !slices.Equal(segs[1:len(prefix)+1], prefix) {
		return nil, "", ""
	}
	var methods []string
	for i := range routes {
		if pid, ok := routes[i].matchPath(segs[len(prefix)+1:]); ok {
			if routes[i].method == r.Method {
				return &routes[i], pid, ""
			}
			methods = append(methods, routes[i].method)
		}
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
func (h *Handler) setRateLimit(hdr http.Header, rl verify.RateLimit) {
	reset := rl.Reset.Unix()
	if rl.Reset.After(time.Unix(reset, 0)) {
		reset++ // round up: the bucket is full only then
	}
	hdr.Set("X-RateLimit-Limit", strconv.Itoa(max(rl.Limit, 0)))
	hdr.Set("X-RateLimit-Remaining", strconv.Itoa(max(rl.Remaining, 0)))
	hdr.Set("X-RateLimit-Reset", strconv.FormatInt(max(reset, 0), 10))
	if rl.Allowed {
		hdr.Del("Retry-After")
		return
	}
	wait := rl.RetryAfter
	if wait <= 0 {
		wait = rl.Reset.Sub(h.cfg.Now())
	}
	secs := int64((wait + time.Second - 1) / time.Second)
	hdr.Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
}

// isJSON accepts application/json with at most a charset parameter of
// utf-8 (RFC 8259 §8.1: JSON exchanged between systems is UTF-8).
func isJSON(ct string) bool {
	if ct == "application/json" {
		return true
	}
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
	if len(ua) > 512 { // doc.go: verify.Client keeps 512 bytes
		ua = ua[:512]
	}
	return strings.ToValidUTF8(ua, "")
}

// location is the URL of the authentication method id.
func (h *Handler) location(id string) string {
	return h.base + "/authentication-methods/" + url.PathEscape(id)
}

// writeJSON answers status with v encoded by json/v2 and a newline, with
// the Location of c.location if set. The encoded body, which may hold an
// auth_session, a TOTP secret or recovery codes, is wiped once written.
func (h *Handler) writeJSON(w http.ResponseWriter, c *call, status int, v any) {
	b, err := json.Marshal(v)
	defer clear(b)
	if err != nil {
		h.fail(w, c, fmt.Errorf("httpapi: encode response: %w", err))
		return
	}
	hdr := w.Header()
	if c.location != "" {
		hdr.Set("Location", h.location(c.location))
	}
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(b)
	_, _ = w.Write(newline)
}

var newline = []byte{'\n'}
