package httpapi

import (
	"cmp"
	"context"
	"errors"
	"net/http"

	"github.com/verifykit/verifykit/verify"
)

// SignInService is what the sign-in routes need: the transport-free
// sign-in of verify. *verify.Service implements it.
//
// Challenge and Authenticate act for sub only: another user's method fails
// with verify.ErrNotFound, exactly like an unknown id.
type SignInService interface {
	Challenge(ctx context.Context, sub verify.Subject, methodID string, client verify.Client) (*verify.SignInChallenge, error)
	Authenticate(ctx context.Context, sub verify.Subject, methodID string, req verify.VerifyRequest, client verify.Client) (*verify.SignIn, error)
	ChallengePasskey(ctx context.Context, client verify.Client) (*verify.SignInChallenge, error)
	AuthenticatePasskey(ctx context.Context, req verify.VerifyRequest, client verify.Client) (*verify.SignIn, error)
}

var _ SignInService = (*verify.Service)(nil)

// stepUpResponse is the answer of a step-up authentication.
type stepUpResponse struct {
	AuthenticationMethod *verify.Method `json:"authentication_method"`
	RecoveryCode         string         `json:"recovery_code,omitempty"`
}

// passkeyResponse is the answer of a usernameless passkey sign-in.
type passkeyResponse struct {
	UserID               string         `json:"user_id"`
	AuthenticationMethod *verify.Method `json:"authentication_method"`
}

// challengeMethod serves POST /authentication-methods/{id}/challenge: 200
// with the sign-in auth_session (and, for WebAuthn, the request options).
// The body is absent or {}.
func (h *Handler) challengeMethod(c *call) (int, any, error) {
	if err := h.decodeEmpty(c.body); err != nil {
		return 0, nil, err
	}
	return challenged(h.signIn.Challenge(c.r.Context(), c.principal.Subject, c.id, c.client))
}

// passkeyChallenge serves POST /passkey/challenge: 200 with the
// auth_session and the request options of a discoverable credential.
func (h *Handler) passkeyChallenge(c *call) (int, any, error) {
	if err := h.decodeEmpty(c.body); err != nil {
		return 0, nil, err
	}
	return challenged(h.signIn.ChallengePasskey(c.r.Context(), c.client))
}

// challenged answers 200 with ch, or err.
func challenged(ch *verify.SignInChallenge, err error) (int, any, error) {
	if err != nil || ch == nil || ch.AuthSession == "" {
		return 0, nil, cmp.Or(err, errIncomplete)
	}
	return http.StatusOK, ch, nil
}

// authenticateMethod serves POST /authentication-methods/{id}/authenticate:
// 200 with the method signed in with (its last_auth_at set) and, after a
// recovery code, the code that replaces it, shown once.
func (h *Handler) authenticateMethod(c *call) (int, any, error) {
	req, err := h.decodeProof(c.body, true)
	if err != nil {
		return 0, nil, err
	}
	in, err := h.signIn.Authenticate(c.r.Context(), c.principal.Subject, c.id, req, c.client)
	if err != nil || in == nil || in.Method.ID == "" {
		return 0, nil, cmp.Or(err, errIncomplete)
	}
	return http.StatusOK, stepUpResponse{AuthenticationMethod: &in.Method, RecoveryCode: in.RecoveryCode}, nil
}

// passkeyAuthenticate serves POST /passkey/authenticate: 200 with the user
// the credential belongs to and the method.
func (h *Handler) passkeyAuthenticate(c *call) (int, any, error) {
	req, err := h.decodeProof(c.body, true)
	if err != nil {
		return 0, nil, err
	}
	in, err := h.signIn.AuthenticatePasskey(c.r.Context(), req, c.client)
	if err != nil || in == nil || in.Subject == "" || in.Method.ID == "" {
		return 0, nil, cmp.Or(err, errIncomplete)
	}
	return http.StatusOK, passkeyResponse{UserID: in.Subject, AuthenticationMethod: &in.Method}, nil
}

// PasskeySignIn returns the handler of the usernameless passkey sign-in,
// POST /passkey/challenge and POST /passkey/authenticate, which the host
// mounts at its root:
//
//	mux.Handle("/passkey/", passkeys)
//
// The routes are anonymous: no Authenticator is consulted and no scope is
// required. Each is limited per client IP (Config.ClientIP; per /64 for
// IPv6) by its Config.RouteLimits entry, by default AnonymousRateLimit
// (60 a minute). Otherwise they follow the rules of h's routes: the
// Content-Type and body limits, strict decoding, the spec's problem bodies,
// rate-limit headers, Cache-Control: no-store, the service's attempt
// limits. Any other path answers 404 and another method 405, under the
// anonymous limit. A failed sign-in answers the same whether or not the
// credential exists (the engine's duty, SECURITY-CHECKLIST SI-03, SI-10).
//
// It fails when h has no SignInService (Config.SignIn).
func (h *Handler) PasskeySignIn() (http.Handler, error) {
	if h.signIn == nil {
		return nil, errors.New("httpapi: PasskeySignIn needs a Config.SignIn (or a Verifier implementing SignInService)")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.serve(w, r, nil, h.passkeys)
	}), nil
}
