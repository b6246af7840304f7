package bench_test

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// The benchmarks of this file serve the TOTP start and verify routes in
// process, through the stack examples/server builds with -rate-limit 0
// (httpapi with a static bearer token and no rate limit, verify.Service
// with an slog observer, the iron sealer, the TOTP engine and the memory
// store), against an httptest.ResponseRecorder: the handler's CPU per
// request without the network, to find where the HTTP comparison of
// bench/run goes. BenchmarkHandlerBare is bench/baseline's handler.

const benchToken = "bench-token-0123456789abcdefghij"

var benchUser = verify.Subject{ID: "auth0|demo", Email: "demo@example.com", Name: "Demo User", Username: "demo"}

// service is examples/server's verify.Service for TOTP, logging its
// events to nowhere.
func service(tb testing.TB) (*verify.Service, *slog.Logger) {
	tb.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	sealer, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "demo", Password: "bench-sealing-password-0123456789abcdef"}}})
	require.NoError(tb, err)
	st, err := memory.New(memory.Config{})
	require.NoError(tb, err)
	totp, err := otp.NewTOTP(otp.TOTPConfig{Issuer: "verifykit demo"})
	require.NoError(tb, err)
	svc, err := verify.NewService(verify.Config{Engines: []verify.Engine{totp}, Sealer: sealer, Store: st, Observer: verify.SlogObserver(logger)})
	require.NoError(tb, err)
	return svc, logger
}

// handler serves benchToken's user and, with users set, benchUsers more.
func handler(tb testing.TB, users bool) http.Handler {
	tb.Helper()
	svc, logger := service(tb)
	tokens := []httpapi.StaticToken{{Token: benchToken, Principal: httpapi.Principal{Subject: benchUser, Scopes: httpapi.AllScopes()}}}
	n := 0
	if users {
		n = benchUsers
	}
	for i := range n {
		sub := benchUser
		sub.ID = fmt.Sprintf("%s-%02d", benchUser.ID, i)
		tokens = append(tokens, httpapi.StaticToken{Token: userToken(i), Principal: httpapi.Principal{Subject: sub, Scopes: httpapi.AllScopes()}})
	}
	auth, err := httpapi.NewStaticBearer(tokens...)
	require.NoError(tb, err)
	api, err := httpapi.New(httpapi.Config{
		Verifier: svc, Authenticator: auth, Limiter: ratelimit.Unlimited(nil), BaseURL: "http://127.0.0.1:8080/me/v1",
		RateLimit: verify.Limit{Requests: 1, Window: time.Minute}, Logger: logger,
	})
	require.NoError(tb, err)
	mux := http.NewServeMux()
	mux.Handle(api.Prefix()+"/", api)
	return mux
}

// benchUsers more users, with tokens userToken(0…benchUsers-1), serve
// BenchmarkHandlerVerify's confirms: a user holds at most
// verify.MaxListed methods.
const benchUsers = 50

func userToken(i int) string { return fmt.Sprintf("%s-%02d", benchToken, i) }

func serve(tb testing.TB, h http.Handler, path, body string, want int) []byte {
	return serveAs(tb, h, benchToken, path, body, want)
}

func serveAs(tb testing.TB, h http.Handler, token, path, body string, want int) []byte {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != want {
		tb.Fatalf("%s: status %d, want %d: %s", path, w.Code, want, w.Body)
	}
	return w.Body.Bytes()
}

// BenchmarkHandlerStart is POST /me/v1/authentication-methods
// {"type":"totp"}.
func BenchmarkHandlerStart(b *testing.B) {
	h := handler(b, false)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, "/me/v1/authentication-methods", `{"type":"totp"}`, http.StatusAccepted)
	}
}

// BenchmarkServiceStart is BenchmarkHandlerStart's verify.Service.Start
// alone: the part of the route that is not HTTP.
func BenchmarkServiceStart(b *testing.B) {
	svc, _ := service(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Start(ctx, benchUser, verify.StartRequest{Type: verify.TypeTOTP}, verify.Client{IP: "127.0.0.1"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandlerVerify is a correct confirm of a started TOTP
// enrollment, answered 201. The enrollments are started with the timer
// stopped, a batch at a time on a fresh handler, spread over benchUsers
// users (one user may hold at most verify.MaxListed methods, and confirms
// add one each).
func BenchmarkHandlerVerify(b *testing.B) {
	type confirm struct{ token, path, body string }
	var (
		h    http.Handler
		todo []confirm
	)
	b.ReportAllocs()
	for b.Loop() {
		if len(todo) == 0 {
			b.StopTimer()
			h = handler(b, true)
			for i := range benchUsers * verify.MaxListed {
				token := userToken(i / verify.MaxListed)
				var en struct {
					ID          string `json:"id"`
					AuthSession string `json:"auth_session"`
					Manual      string `json:"manual_input_code"`
				}
				require.NoError(b, json.Unmarshal(serveAs(b, h, token, "/me/v1/authentication-methods", `{"type":"totp"}`, http.StatusAccepted), &en))
				secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Manual)
				require.NoError(b, err)
				code, err := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}.Code(time.Now())
				require.NoError(b, err)
				body, err := json.Marshal(map[string]string{"auth_session": en.AuthSession, "otp_code": code})
				require.NoError(b, err)
				todo = append(todo, confirm{token, "/me/v1/authentication-methods/" + url.PathEscape(en.ID) + "/verify", string(body)})
			}
			runtime.GC() // the starts' garbage is not the confirms' cost
			b.StartTimer()
		}
		c := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		serveAs(b, h, c.token, c.path, c.body, http.StatusCreated)
	}
}

// BenchmarkHandlerBare is bench/baseline's handler: read the body, answer
// a fixed JSON body.
func BenchmarkHandlerBare(b *testing.B) {
	body := []byte(`{"id":"totp|dev_0123456789abcdef","auth_session":"` + strings.Repeat("x", 300) + `"}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20)); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	b.ReportAllocs()
	for b.Loop() {
		serve(b, h, "/me/v1/authentication-methods", `{"type":"totp"}`, http.StatusOK)
	}
}
