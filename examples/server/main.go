// Command server serves the verifykit My Account enrollment API for one
// demo user, with the in-memory store and the engines of engines.go:
//
//	go run ./examples/server
//
// It prints the demo user's bearer token (random unless -token is given,
// granted every scope of the routes) and serves
//
//	POST   /me/v1/authentication-methods
//	POST   /me/v1/authentication-methods/{authentication_method_id}/verify
//	GET    /me/v1/authentication-methods[?type=]
//	GET    /me/v1/authentication-methods/{authentication_method_id}
//	PATCH  /me/v1/authentication-methods/{authentication_method_id}
//	DELETE /me/v1/authentication-methods/{authentication_method_id}
//	GET    /me/v1/factors
//	POST   /me/v1/authentication-methods/{authentication_method_id}/challenge
//	POST   /me/v1/authentication-methods/{authentication_method_id}/authenticate
//	POST   /passkey/challenge      (anonymous, limited per client IP)
//	POST   /passkey/authenticate   (anonymous, limited per client IP)
//
// (the last four are verifykit's sign-in extension: a step-up with one of
// the user's methods, and the usernameless passkey sign-in), and a demo
// page at /. It serves totp, recovery-code and password
// always; email and phone with -outbox; push-notification, with
// Guardian's device API under /push/api/ and its sign-in notifications
// written to the -outbox; passkeys and security keys when the
// origin suits the RP ID. With -outbox the demo user is also told, by a
// message in the outbox, when a method is added to or removed from their
// account. Flags:
//
//	-addr              listen address (default 127.0.0.1:8080)
//	-base-url          the API root clients see, for Location headers
//	                   (default http://ADDR/me/v1)
//	-token             the demo bearer token (default: random, printed)
//	-jwks, -iss, -aud  accept JWT access tokens instead of the demo token:
//	                   signed by a key of the JWKS -jwks (a file or an https
//	                   URL), with iss -iss and aud -aud, as Bearer or DPoP
//	                   (verify/httpapi/tokenauth); the user is the token's sub
//	-require-at-jwt    with -jwks: only tokens of header typ at+jwt (RFC 9068)
//	-max-token-lifetime with -jwks: refuse tokens whose exp-iat or age
//	                   exceeds it (1m to 24h)
//	-user              the demo user id (default auth0|demo)
//	-email             the demo user's e-mail (TOTP account label, address of
//	                   the added- and removed-method notifications)
//	-session-password  auth_session sealing password, at least 32 characters
//	                   (or VERIFYKIT_SESSION_PASSWORD; default: random, with
//	                   a warning: sessions do not survive a restart)
//	-hash-key          base64url key of at least 32 bytes for the keyed
//	                   hashes of codes (or VERIFYKIT_HASH_KEY; default random)
//	-issuer            the TOTP issuer shown in authenticator apps
//	-rp-id             WebAuthn relying party id of passkeys and security
//	                   keys (default localhost)
//	-origin            the origins WebAuthn ceremonies may run in, comma-
//	                   separated (default the server's own origin, from
//	                   -base-url; with -rp-id localhost and a loopback
//	                   address, http://localhost:PORT, where the demo page
//	                   must then be opened)
//	-outbox            file the e-mail and phone engines write codes to, one
//	                   JSON line each ("-" for standard error), and the
//	                   notifications of added and removed methods, and push
//	                   sign-in notifications ({"channel":"push", …,
//	                   "data": Guardian's payload}); e-mail and phone are
//	                   served only with an outbox
//	-rate-limit        per-user requests per minute and route (0 lifts it)
//	-phone-countries   regions whose numbers may enroll a phone, e.g. US,GB
//	                   (default all); the send budgets against SMS pumping
//	                   are the otp defaults, kept in the rate limiter
//	-store             memory (default), sqlite:PATH or a postgres:// URL;
//	                   processes sharing a database share single use,
//	                   attempt counts and methods
//	-store-keys        keys sealing secrets in the SQL stores, ID:KEY pairs
//	                   (KEY: 32 bytes base64url), current first, comma-
//	                   separated (or VERIFYKIT_STORE_KEYS; default random,
//	                   with a warning)
//	-purge-interval    how often expired session records are deleted
//	-redis             redis:// URL: rate limits shared by every process
//	                   using it (default: in this process's memory)
//	-log-format        text or json
//	-log-level         debug, info, warn or error
//
// It is a demo: a static token, state in memory unless -store and -redis
// say otherwise. A real deployment authenticates its users with its own
// access tokens (see examples/embed), shares a database store (-store) and
// a rate limiter (-redis) across processes, and keeps the sealing
// password, hash key and store keys in its secrets.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/verifykit/verifykit/push"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	addr, baseURL, token, user, email string
	sessionPassword, hashKey, issuer  string
	outbox                            string
	rpID, origin                      string
	corsOrigins                       string
	relatedOrigins, aaguidNames       string
	rateLimit                         int
	logFormat, logLevel               string
	store, storeKeys, redis           string
	purgeInterval                     time.Duration
	jwks, jwtIssuer, audience         string
	dpopNonces                        bool
	demoUsers                         bool
	abuse                             abuseFlags
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.baseURL, "base-url", "", "API root as clients see it (default http://ADDR/me/v1)")
	fs.StringVar(&c.token, "token", "", "demo bearer token (default: random, printed)")
	fs.StringVar(&c.user, "user", "auth0|demo", "demo user id")
	fs.StringVar(&c.email, "email", "demo@example.com", "demo user's e-mail address")
	fs.BoolVar(&c.demoUsers, "demo-users", false, "also accept TOKEN.NAME, acting for the user USER.NAME (NAME: 1-32 of A-Z a-z 0-9 _ -)")
	fs.StringVar(&c.sessionPassword, "session-password", os.Getenv("VERIFYKIT_SESSION_PASSWORD"), "auth_session sealing password (env VERIFYKIT_SESSION_PASSWORD)")
	fs.StringVar(&c.hashKey, "hash-key", os.Getenv("VERIFYKIT_HASH_KEY"), "base64url key for code hashes (env VERIFYKIT_HASH_KEY)")
	fs.StringVar(&c.issuer, "issuer", "verifykit demo", "TOTP issuer")
	fs.StringVar(&c.rpID, "rp-id", "localhost", "WebAuthn relying party id")
	fs.StringVar(&c.origin, "origin", "", "origins of WebAuthn ceremonies, comma-separated (default the server's own)")
	fs.StringVar(&c.corsOrigins, "cors-origin", "", "origins of pages on other origins that may call the API, comma-separated (CORS)")
	fs.StringVar(&c.relatedOrigins, "related-origins", "", "https origins on other sites allowed to run WebAuthn ceremonies for -rp-id, comma-separated; served at /.well-known/webauthn")
	fs.StringVar(&c.aaguidNames, "aaguid-names", "", "JSON file naming authenticators by AAGUID ({\"<aaguid>\": {\"name\", \"icon_dark\", \"icon_light\"}})")
	fs.StringVar(&c.outbox, "outbox", "", `file for e-mail and phone codes ("-" = stderr); enables those engines`)
	fs.IntVar(&c.rateLimit, "rate-limit", 60, "per-user requests per minute and route (0 lifts the limit)")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.store, "store", "memory", "memory, sqlite:PATH or a postgres:// URL")
	fs.StringVar(&c.storeKeys, "store-keys", os.Getenv("VERIFYKIT_STORE_KEYS"), "ID:KEY,… sealing SQL store secrets, current first (env VERIFYKIT_STORE_KEYS)")
	fs.DurationVar(&c.purgeInterval, "purge-interval", defaultPurgeInterval, "how often expired session records are deleted")
	fs.StringVar(&c.redis, "redis", "", "redis:// URL of a rate limiter shared across processes")
	fs.StringVar(&c.jwks, "jwks", "", "JWKS file or https URL: accept JWT access tokens (with -iss, -aud) instead of the demo token")
	fs.StringVar(&c.jwtIssuer, "iss", "", "iss of accepted JWT access tokens (with -jwks)")
	fs.StringVar(&c.audience, "aud", "", "aud of accepted JWT access tokens, e.g. https://DOMAIN/me/ (with -jwks)")
	c.abuse.register(fs)
	fs.BoolVar(&c.dpopNonces, "dpop-nonces", false, "require DPoP proofs to carry the server's nonce (DPoP-Nonce, RFC 9449 §8; with -jwks)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if (c.jwks != "" || c.jwtIssuer != "" || c.audience != "") && (c.jwks == "" || c.jwtIssuer == "" || c.audience == "") {
		return nil, errors.New("-jwks, -iss and -aud go together")
	}
	if c.dpopNonces && c.jwks == "" {
		return nil, errors.New("-dpop-nonces needs -jwks")
	}
	if c.purgeInterval < minPurgeInterval || c.purgeInterval > maxPurgeInterval {
		return nil, fmt.Errorf("-purge-interval %v out of range [%v, %v]", c.purgeInterval, minPurgeInterval, maxPurgeInterval)
	}
	if c.rateLimit < 0 || c.rateLimit > 1<<20 {
		return nil, fmt.Errorf("-rate-limit %d out of range [0, %d]", c.rateLimit, 1<<20)
	}
	return c, nil
}

func newLogger(c *config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("-log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", c.logFormat)
}

// randomSecret returns n random bytes, base64url-encoded.
func randomSecret(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// run serves until ctx is done, then shuts down gracefully.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	logger, err := newLogger(c, stderr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	addr := ln.Addr().String()
	if c.baseURL == "" {
		host, port, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			host = "localhost" // listening on every interface: name one clients can use
		}
		c.baseURL = "http://" + net.JoinHostPort(host, port) + "/me/v1"
	}

	if c.sessionPassword == "" {
		c.sessionPassword = randomSecret(32)
		logger.Warn("no -session-password or VERIFYKIT_SESSION_PASSWORD: using a random one; auth_sessions do not survive a restart")
	}
	if c.hashKey == "" {
		c.hashKey = randomSecret(32)
		logger.Warn("no -hash-key or VERIFYKIT_HASH_KEY: using a random one; codes and recovery codes do not survive a restart")
	}
	hashKey, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(c.hashKey, "="))
	if err != nil {
		return fmt.Errorf("-hash-key: not base64url: %w", err)
	}
	if c.token == "" {
		c.token = randomSecret(24)
	}

	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "demo", Password: c.sessionPassword}}})
	if err != nil {
		return err
	}
	storeKeys, randomKeys, err := parseStoreKeys(c.storeKeys)
	if err != nil {
		return err
	}
	if randomKeys && c.store != "memory" {
		logger.Warn("no -store-keys or VERIFYKIT_STORE_KEYS: sealing secrets with a random key; stored TOTP secrets cannot be opened after a restart")
	}
	st, closeStore, err := openStore(ctx, c.store, storeKeys)
	if err != nil {
		return err
	}
	defer closeStore()
	go purge(ctx, st, c.purgeInterval, logger)
	var limiter verify.Limiter
	if c.redis != "" {
		l, closeRedis, err := openRedisLimiter(ctx, c.redis)
		if err != nil {
			return err
		}
		defer closeRedis()
		limiter = l
	} else if limiter, err = ratelimit.NewMemory(ratelimit.MemoryConfig{}); err != nil {
		return err
	}
	sender, pushNotifier, closeOutbox, err := openOutbox(c.outbox, stderr)
	if err != nil {
		return err
	}
	defer closeOutbox()
	observer := verify.SlogObserver(logger)
	if sender != nil {
		// Tell the demo user, through the outbox, when a method is added
		// or removed. Queued notices are sent before the outbox closes.
		emails := map[string]string{c.user: c.email}
		n := newNotifier(sender, func(sub string) string { return emails[sub] }, logger)
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), notifyTimeout)
			defer cancel()
			n.close(ctx)
		}()
		observer = verify.Observers(observer, n)
	}
	routes := map[string]http.Handler{}
	deps := engineDeps{config: c, hashKey: hashKey, limiter: limiter, logger: logger, sender: sender, routes: routes, methods: st, pushNotifier: pushNotifier, observer: observer}
	if pd, ok := st.(push.Store); ok {
		deps.devices = pd
	}
	engines, closeEngines, err := buildEngines(deps)
	if err != nil {
		return err
	}
	defer closeEngines()
	svc, err := verify.NewService(verify.Config{
		Engines:  engines,
		Sealer:   sealer,
		Store:    st,
		Observer: observer,
	})
	if err != nil {
		return err
	}

	subject := verify.Subject{ID: c.user, Email: c.email, Name: "Demo User", Username: "demo"}
	var auth httpapi.Authenticator
	if c.jwks != "" {
		auth, err = jwtAuthenticator(c, st, logger)
	} else {
		auth, err = httpapi.NewStaticBearer(httpapi.StaticToken{
			Token:     c.token,
			Principal: httpapi.Principal{Subject: subject, Scopes: httpapi.AllScopes()},
		})
		if err != nil {
			err = fmt.Errorf("-token: %w", err)
		} else if c.demoUsers {
			auth = newDemoUsers(c.token, subject, auth)
		}
	}
	if err != nil {
		return err
	}
	var apiLimiter verify.Limiter = limiter
	if c.rateLimit == 0 {
		apiLimiter = ratelimit.Unlimited(nil)
	}
	api, err := httpapi.New(httpapi.Config{
		Verifier:      svc,
		Authenticator: auth,
		Limiter:       apiLimiter,
		BaseURL:       c.baseURL,
		RateLimit:     verify.Limit{Requests: headerLimit(c.rateLimit), Window: time.Minute},
		Logger:        logger,
	})
	if err != nil {
		return err
	}

	passkeys, err := api.PasskeySignIn()
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle(api.Prefix()+"/", api)
	mux.Handle("/passkey/", passkeys) // the usernameless passkey sign-in, at the root
	for pattern, h := range routes {
		mux.Handle(pattern, h)
	}
	demo(mux, demoDeps{service: svc, baseURL: c.baseURL, logger: logger})

	var handler http.Handler = frontDoor(api.Prefix()+"/", api, mux)
	if c.corsOrigins != "" {
		withCORS, err := httpapi.CORS(strings.Split(c.corsOrigins, ",")...)
		if err != nil {
			return fmt.Errorf("-cors-origin: %w", err)
		}
		handler = withCORS(handler)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "verifykit demo server listening on http://%s\n", addr)
	fmt.Fprintf(stdout, "API:   %s\n", c.baseURL)
	if c.jwks != "" {
		fmt.Fprintf(stdout, "auth:  JWT access tokens of %s for %s (Bearer or DPoP)\n", c.jwtIssuer, c.audience)
	} else {
		fmt.Fprintf(stdout, "user:  %s\n", c.user)
		fmt.Fprintf(stdout, "token: %s\n", c.token)
	}
	fmt.Fprintf(stdout, "types: %s\n", typeNames(svc.Types()))
	if _, ok := svc.Engine(verify.TypePasskey); ok {
		fmt.Fprintf(stdout, "demo:  %s/ (passkeys: RP ID %s)\n", strings.Split(c.origin, ",")[0], c.rpID)
	}
	if host, _, _ := net.SplitHostPort(addr); !net.ParseIP(host).IsLoopback() {
		logger.Warn("listening beyond loopback: anyone who reaches this address and learns the token enrolls factors for the demo user")
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func typeNames(ts []verify.Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// frontDoor hands requests under prefix straight to api and every other
// request to mux. api matches its routes exactly itself (a path it does
// not know is its 404 problem body), so the mux's pattern matching and
// path cleaning add nothing before it: they cost about 0.8 µs per request
// under load (bench/run), for redirects of unclean paths no API client
// follows with a POST.
func frontDoor(prefix string, api, mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, prefix) {
			api.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// headerLimit is the per-minute limit the rate-limit headers report for
// -rate-limit n: n itself, or with the limit lifted (0) the largest a
// limiter accepts, so that no client reading X-RateLimit-Limit throttles
// itself to a limit that is not there.
func headerLimit(n int) int {
	if n == 0 {
		return ratelimit.MaxRequests
	}
	return n
}
