package httpapi_test

import (
	"bytes"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"log/slog"
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

// The management routes of a *verify.Service, which implements Manager:
// list the user's methods, rename one, delete one, list the factors. Each
// route needs its own scope.
func ExampleManager() {
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	sealer, _ := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: "example-sealing-password-0123456789abcdef"}}, Now: now})
	st, _ := memory.New(memory.Config{Now: now})
	rc, _ := otp.NewRecoveryCode(otp.RecoveryCodeConfig{HashKey: bytes.Repeat([]byte{1}, 32)})
	totp, _ := otp.NewTOTP(otp.TOTPConfig{Issuer: "Example", Now: now})
	svc, _ := verify.NewService(verify.Config{Engines: []verify.Engine{totp, rc}, Sealer: sealer, Store: st, Now: now})
	alice := verify.Subject{ID: "auth0|alice"}
	auth, _ := httpapi.NewStaticBearer(
		httpapi.StaticToken{Token: "all-scopes-0123456789abcdef", Principal: httpapi.Principal{Subject: alice, Scopes: httpapi.AllScopes()}},
		httpapi.StaticToken{Token: "create-only-0123456789abcdef", Principal: httpapi.Principal{Subject: alice, Scopes: []string{httpapi.ScopeCreateMethods}}},
	)
	limiter, _ := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: now})
	h, _ := httpapi.New(httpapi.Config{
		Verifier: svc, Authenticator: auth, Limiter: limiter, Now: now,
		BaseURL: "https://id.example.com/me/v1", Logger: slog.New(slog.DiscardHandler),
	})
	call := func(token, method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "/me/v1"+path, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+token)
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	// Two enrollments, confirmed through the same handler.
	for _, typ := range []string{"recovery-code", "totp"} {
		var en struct {
			ID              string `json:"id"`
			AuthSession     string `json:"auth_session"`
			ManualInputCode string `json:"manual_input_code"`
		}
		_ = json.Unmarshal(call("all-scopes-0123456789abcdef", "POST", "/authentication-methods", `{"type":"`+typ+`"}`).Body.Bytes(), &en)
		body := map[string]string{"auth_session": en.AuthSession}
		if en.ManualInputCode != "" {
			secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.ManualInputCode)
			body["otp_code"], _ = otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}.Code(now())
		}
		b, _ := json.Marshal(body)
		call("all-scopes-0123456789abcdef", "POST", "/authentication-methods/"+strings.ReplaceAll(en.ID, "|", "%7C")+"/verify", string(b))
	}

	var list struct {
		AuthenticationMethods []struct{ ID, Type, Name string } `json:"authentication_methods"`
	}
	w := call("all-scopes-0123456789abcdef", "GET", "/authentication-methods", "")
	_ = json.Unmarshal(w.Body.Bytes(), &list)
	fmt.Println("list:", w.Code, len(list.AuthenticationMethods), "methods")
	rcID := strings.ReplaceAll(list.AuthenticationMethods[0].ID, "|", "%7C")
	totpID := strings.ReplaceAll(list.AuthenticationMethods[1].ID, "|", "%7C")

	w = call("create-only-0123456789abcdef", "GET", "/authentication-methods", "")
	fmt.Println("list with another scope:", w.Code, w.Header().Get("WWW-Authenticate"))

	w = call("all-scopes-0123456789abcdef", "PATCH", "/authentication-methods/"+totpID, `{"name":"Phone app"}`)
	var m struct{ Type, Name string }
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	fmt.Println("patch:", w.Code, m.Type, m.Name)

	w = call("all-scopes-0123456789abcdef", "DELETE", "/authentication-methods/"+rcID, "")
	fmt.Println("delete:", w.Code, w.Body.Len(), "bytes")
	w = call("all-scopes-0123456789abcdef", "GET", "/authentication-methods/"+rcID, "")
	fmt.Println("get after delete:", w.Code)
	w = call("all-scopes-0123456789abcdef", "GET", "/authentication-methods?type=recovery-code", "")
	fmt.Print("list of recovery codes: ", w.Body.String())
	w = call("all-scopes-0123456789abcdef", "GET", "/factors", "")
	fmt.Print("factors: ", w.Body.String())
	// Output:
	// list: 200 2 methods
	// list with another scope: 403 Bearer realm="verifykit", error="insufficient_scope", error_description="The access token lacks the scope read:me:authentication_methods", scope="read:me:authentication_methods"
	// patch: 200 totp Phone app
	// delete: 204 0 bytes
	// get after delete: 404
	// list of recovery codes: {"authentication_methods":[]}
	// factors: {"factors":[{"type":"totp","usage":["secondary"]},{"type":"recovery-code","usage":["secondary"]}]}
}
