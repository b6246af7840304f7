package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// A recovery-code enrollment over HTTP: start it, then confirm it with the
// auth_session alone.
func ExampleNew() {
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	sealer, _ := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: "example-sealing-password-0123456789abcdef"}}, Now: now})
	st, _ := memory.New(memory.Config{Now: now})
	engine, _ := otp.NewRecoveryCode(otp.RecoveryCodeConfig{HashKey: bytes.Repeat([]byte{1}, 32)})
	svc, _ := verify.NewService(verify.Config{Engines: []verify.Engine{engine}, Sealer: sealer, Store: st, Now: now})
	auth, _ := httpapi.NewStaticBearer(httpapi.StaticToken{
		Token:     "demo-token-0123456789abcdef",
		Principal: httpapi.Principal{Subject: verify.Subject{ID: "auth0|alice"}, Scopes: []string{httpapi.ScopeCreateMethods}},
	})
	limiter, _ := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: now})
	h, err := httpapi.New(httpapi.Config{
		Verifier: svc, Authenticator: auth, Limiter: limiter, Now: now,
		BaseURL: "https://id.example.com/me/v1",
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/me/v1/", h)

	post := func(path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer demo-token-0123456789abcdef")
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		return w
	}

	w := post("/me/v1/authentication-methods", `{"type":"recovery-code"}`)
	var en struct {
		ID           string `json:"id"`
		AuthSession  string `json:"auth_session"`
		RecoveryCode string `json:"recovery_code"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &en)
	loc, _, _ := strings.Cut(w.Header().Get("Location"), "%7Cdev_")
	fmt.Println(w.Code, loc, len(en.RecoveryCode), "characters to write down")
	fmt.Println("rate limit:", w.Header().Get("X-RateLimit-Limit"), w.Header().Get("X-RateLimit-Remaining"))

	w = post("/me/v1/authentication-methods/"+strings.ReplaceAll(en.ID, "|", "%7C")+"/verify",
		`{"auth_session":"`+en.AuthSession+`"}`)
	var m struct {
		Type      string `json:"type"`
		Confirmed bool   `json:"confirmed"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	fmt.Println(w.Code, m.Type, m.Confirmed)

	w = post("/me/v1/authentication-methods/"+strings.ReplaceAll(en.ID, "|", "%7C")+"/verify",
		`{"auth_session":"`+en.AuthSession+`"}`)
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 202 https://id.example.com/me/v1/authentication-methods/recovery-code 24 characters to write down
	// rate limit: 10 9
	// 201 recovery-code true
	// 400 {"type":"session_already_used","status":400,"title":"Bad Request","detail":"The auth_session has already been used"}
}
