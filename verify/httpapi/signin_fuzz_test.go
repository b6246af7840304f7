package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/internal/testkit/spectest"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// fakeSignInService accepts every request that reaches it and keeps the
// last one.
type fakeSignInService struct {
	calls atomic.Int32
	last  atomic.Pointer[verify.VerifyRequest]
}

func (s *fakeSignInService) Challenge(context.Context, verify.Subject, string, verify.Client) (*verify.SignInChallenge, error) {
	s.calls.Add(1)
	return &verify.SignInChallenge{AuthSession: "Fe26.2**x"}, nil
}

func (s *fakeSignInService) Authenticate(_ context.Context, sub verify.Subject, id string, req verify.VerifyRequest, _ verify.Client) (*verify.SignIn, error) {
	s.calls.Add(1)
	s.last.Store(&req)
	m, _ := okMethod(id)
	return &verify.SignIn{Subject: sub.ID, Method: *m}, nil
}

func (s *fakeSignInService) ChallengePasskey(context.Context, verify.Client) (*verify.SignInChallenge, error) {
	return s.Challenge(context.Background(), verify.Subject{}, "", verify.Client{})
}

func (s *fakeSignInService) AuthenticatePasskey(ctx context.Context, req verify.VerifyRequest, c verify.Client) (*verify.SignIn, error) {
	return s.Authenticate(ctx, verify.Subject{ID: "auth0|owner"}, "totp|dev_1", req, c)
}

// FuzzAuthenticateBody posts arbitrary bodies to both authenticate routes.
// Invariants: no panic; the answer is 200, 400 or 413 with the spec's
// ErrorResponse for an error; a refused body never reaches the service; an
// accepted one reached it with a non-empty auth_session within its bound,
// at most one proof, and an authn_response that is one JSON object of the
// assertion's members only.
func FuzzAuthenticateBody(f *testing.F) {
	for _, seed := range []string{
		`{"auth_session":"s","otp_code":"314159"}`,
		`{"auth_session":"s","recovery_code":"ABCD"}`,
		`{"auth_session":"s","password":"correct horse"}`,
		`{"auth_session":"s"}`,
		`{"auth_session":"s","authn_response":` + assertionJSON([]byte("cred"), goodSig) + `}`,
		`{"auth_session":"s","otp_code":"1","otp_code":"2"}`,
		`{"auth_session":"s","authn_response":{"id":"x","rawId":"x","type":"public-key","clientExtensionResults":{"a":[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]},"response":{}}}`,
		`{"auth_session":null}`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	fake := &fakeSignInService{}
	fx := newFixture(f, options{cfg: func(c *httpapi.Config) {
		c.SignIn = fake
		c.Authenticator = signInTokens(f)
		c.Limiter = ratelimit.Unlimited(nil)
	}})
	ph, err := fx.h.PasskeySignIn()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, route := range []struct {
			h    http.Handler
			path string
		}{{fx.h, "/me/v1/authentication-methods/totp%7Cdev_1/authenticate"}, {ph, "/passkey/authenticate"}} {
			before := fake.calls.Load()
			r := httptest.NewRequest(http.MethodPost, "https://id.example.com"+route.path, strings.NewReader(string(body)))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Authorization", "Bearer "+aliceSignIn)
			rec := httptest.NewRecorder()
			route.h.ServeHTTP(rec, r)
			switch rec.Code {
			case http.StatusOK:
				if fake.calls.Load() != before+1 {
					t.Fatalf("accepted without reaching the service: %q", body)
				}
				checkAccepted(t, *fake.last.Load(), body)
			case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
				if err := spectest.CheckSchema("ErrorResponse", rec.Body.Bytes()); err != nil {
					t.Fatalf("error body %s: %v", rec.Body, err)
				}
				if fake.calls.Load() != before {
					t.Fatalf("a refused body reached the service: %q", body)
				}
			default:
				t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
			}
		}
	})
}

// checkAccepted holds a request the handler passed on to the bounds the
// handler promises.
func checkAccepted(t *testing.T, req verify.VerifyRequest, body []byte) {
	t.Helper()
	if req.AuthSession == "" && !strings.Contains(string(body), `"auth_session"`) ||
		utf8.RuneCountInString(req.AuthSession) > httpapi.DefaultMaxAuthSession {
		t.Fatalf("auth_session out of bounds: %q", body)
	}
	proofs := 0
	for _, p := range []bool{req.OTPCode != nil, req.RecoveryCode != nil, req.Password != nil, req.AuthnResponse != nil} {
		if p {
			proofs++
		}
	}
	if proofs > 1 {
		t.Fatalf("two proofs passed on: %q", body)
	}
	if req.AuthnResponse != nil {
		var a struct {
			ID                      string         `json:"id"`
			RawID                   string         `json:"rawId"`
			Type                    string         `json:"type"`
			AuthenticatorAttachment string         `json:"authenticatorAttachment"`
			ClientExtensionResults  map[string]any `json:"clientExtensionResults"`
			Response                struct {
				ClientDataJSON    string  `json:"clientDataJSON"`
				AuthenticatorData string  `json:"authenticatorData"`
				Signature         string  `json:"signature"`
				UserHandle        *string `json:"userHandle"`
			} `json:"response"`
		}
		if err := json.Unmarshal(req.AuthnResponse, &a, json.RejectUnknownMembers(true)); err != nil || a.Type != "public-key" {
			t.Fatalf("authn_response passed on that is not an assertion (%v): %q", err, body)
		}
	}
}
