// Command embed shows verifykit mounted inside an existing server: the
// host keeps its own sign-in (here a toy session cookie) and adapts it to
// httpapi.Authenticator; verifykit serves the enrollment routes under the
// host's own path, /account/api.
//
//	go run ./examples/embed
//
// then sign in at http://127.0.0.1:8081/login?user=alice (a toy: no
// password) and call POST /account/api/authentication-methods with the
// session cookie.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "listen address")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	sessions := newSessions(time.Now)
	h, err := newHost(hostConfig{
		BaseURL:         "http://" + *addr + "/account/api",
		SealingPassword: randomString(32),
		HashKey:         randomBytes(32),
		Sessions:        sessions,
		Logger:          logger,
	})
	if err != nil {
		logger.Error("embed", "error", err)
		os.Exit(1)
	}
	srv := &http.Server{Addr: *addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Printf("host listening on http://%s — sign in at /login?user=alice\n", *addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		logger.Error("embed", "error", err)
		os.Exit(1)
	}
}

// hostConfig is what the host wires verifykit with.
type hostConfig struct {
	BaseURL         string // where clients reach the API, e.g. https://app.example.com/account/api
	SealingPassword string // auth_session sealing password (a secret of the host)
	HashKey         []byte // key of the recovery codes' keyed hashes (a secret of the host)
	Sessions        *sessions
	Logger          *slog.Logger
	Now             func() time.Time
}

// newHost returns the host's whole mux: its own pages and, under
// /account/api/, verifykit.
func newHost(c hostConfig) (http.Handler, error) {
	if c.Now == nil {
		c.Now = time.Now
	}
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: c.SealingPassword}}, Now: c.Now})
	if err != nil {
		return nil, err
	}
	st, err := memory.New(memory.Config{Now: c.Now})
	if err != nil {
		return nil, err
	}
	totp, err := otp.NewTOTP(otp.TOTPConfig{Issuer: "Example App", Now: c.Now})
	if err != nil {
		return nil, err
	}
	rc, err := otp.NewRecoveryCode(otp.RecoveryCodeConfig{HashKey: c.HashKey})
	if err != nil {
		return nil, err
	}
	svc, err := verify.NewService(verify.Config{
		Engines: []verify.Engine{totp, rc}, Sealer: sealer, Store: st, Now: c.Now,
		Observer: verify.SlogObserver(c.Logger),
	})
	if err != nil {
		return nil, err
	}
	limiter, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: c.Now})
	if err != nil {
		return nil, err
	}
	api, err := httpapi.New(httpapi.Config{
		Verifier:      svc,
		Authenticator: sessionAuth{sessions: c.Sessions, now: c.Now},
		Limiter:       limiter,
		BaseURL:       c.BaseURL,
		Logger:        c.Logger,
		Now:           c.Now,
	})
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	mux.Handle("/account/api/", api) // Prefix defaults to BaseURL's path
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("user")
		if user == "" {
			http.Error(w, "want ?user=", http.StatusBadRequest)
			return
		}
		id := c.Sessions.create("app|" + user)
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		fmt.Fprintf(w, "signed in as app|%s\n", user)
	})
	return mux, nil
}

const cookieName = "host_session"

// StepUpWindow is how recent the sign-in must be to change authentication
// methods (NIST SP 800-63B-4 draft: a separate authentication within 20
// minutes; SECURITY-CHECKLIST GN-01).
const StepUpWindow = 10 * time.Minute

// sessionAuth adapts the host's session cookie to httpapi.Authenticator.
type sessionAuth struct {
	sessions *sessions
	now      func() time.Time
}

func (a sessionAuth) Authenticate(r *http.Request) (httpapi.Principal, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return httpapi.Principal{}, httpapi.ErrNoCredentials
	}
	s, ok := a.sessions.get(c.Value)
	if !ok {
		return httpapi.Principal{}, &httpapi.AuthError{Code: httpapi.CodeInvalidToken, Description: "The session is invalid or expired"}
	}
	if a.now().Sub(s.signedInAt) > StepUpWindow {
		return httpapi.Principal{}, verify.NewError(verify.ErrForbidden, "stale_session",
			"Sign in again to change your authentication methods")
	}
	return httpapi.Principal{
		Subject: verify.Subject{ID: s.user},
		Scopes:  []string{httpapi.ScopeCreateMethods},
	}, nil
}

// sessions is the host's toy session store.
type sessions struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]hostSession
}

type hostSession struct {
	user       string
	signedInAt time.Time
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, m: map[string]hostSession{}}
}

func (s *sessions) create(user string) string {
	id := randomString(32)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[id] = hostSession{user: user, signedInAt: s.now()}
	return id
}

func (s *sessions) get(id string) (hostSession, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	return v, ok
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomString(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }
