package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/verifykit/verifykit/verify"
)

// Sign-in: verifykit's extension of the My Account API (README, "Sign-in
// (verifykit extension)").
//
// Step-up of the signed-in user, under the Handler's prefix, with the scope
// ScopeAuthenticateMethods:
//
//	POST /authentication-methods/{id}/challenge     → 200 {"auth_session", "authn_params_public_key"?}
//	POST /authentication-methods/{id}/authenticate  → 200 {"authentication_method", "recovery_code"?}
//
// Usernameless passkey sign-in, anonymous, served by PasskeySignIn at the
// host's root and limited per client IP:
//
//	POST /passkey/challenge     → 200 {"auth_session", "authn_params_public_key"}
//	POST /passkey/authenticate  → 200 {"user_id", "authentication_method"}
//
// verifykit proves who the user is; the host turns the answer into its own
// session or tokens.

// Operations of the sign-in routes, named like the spec's operationIds, for
// Config.RouteLimits.
const (
	opChallenge           = "challengeAuthenticationMethod"    // POST /authentication-methods/{id}/challenge
	opAuthenticate        = "authenticateAuthenticationMethod" // POST /authentication-methods/{id}/authenticate
	opPasskeyChallenge    = "passkeyChallenge"                 // POST /passkey/challenge (PasskeySignIn)
	opPasskeyAuthenticate = "passkeyAuthenticate"              // POST /passkey/authenticate (PasskeySignIn)
)

// SignInService is what the sign-in routes need: the transport-free
// sign-in of verify. *verify.Service implements it.
//
// Challenge and Authenticate act for sub only: another user's method fails
// with verify.ErrNotFound, exactly like an unknown id.
type SignInService interface {
	Challenge(ctx context.Context, sub verify.Subject, methodID string, client verify.Client) (*verify.SignInChallenge, error)
	Authenticate(ctx context.Context, sub verify.Subject, methodID string, req verify.AuthenticateRequest, client verify.Client) (*verify.SignIn, error)
	ChallengePasskey(ctx context.Context, client verify.Client) (*verify.SignInChallenge, error)
	AuthenticatePasskey(ctx context.Context, req verify.AuthenticateRequest, client verify.Client) (*verify.SignIn, error)
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
func (h *Handler) challengeMethod(w http.ResponseWriter, c *call) {
	if err := decodeEmpty(c.body); err != nil {
		h.fail(w, c, err)
		return
	}
	ch, err := h.signIn.Challenge(c.r.Context(), c.principal.Subject, c.id, c.client)
	h.challenged(w, c, ch, err)
}

// challenged answers 200 with ch, or err.
func (h *Handler) challenged(w http.ResponseWriter, c *call, ch *verify.SignInChallenge, err error) {
	if err != nil {
		h.fail(w, c, err)
		return
	}
	if ch == nil || ch.AuthSession == "" {
		h.fail(w, c, errors.New("httpapi: sign-in service returned a challenge without auth_session"))
		return
	}
	h.writeJSON(w, c, http.StatusOK, ch)
}

// authenticateMethod serves POST /authentication-methods/{id}/authenticate:
// 200 with the method signed in with (its last_auth_at set) and, after a
// recovery code, the code that replaces it, shown once.
func (h *Handler) authenticateMethod(w http.ResponseWriter, c *call) {
	req, err := decodeAuthenticate(c.body, h.lim)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	in, err := h.signIn.Authenticate(c.r.Context(), c.principal.Subject, c.id, req, c.client)
	if err == nil && (in == nil || in.Method.ID == "") {
		err = errors.New("httpapi: sign-in service returned a sign-in without method")
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	h.writeJSON(w, c, http.StatusOK, stepUpResponse{AuthenticationMethod: &in.Method, RecoveryCode: in.RecoveryCode})
}

// passkeyRoutes are the routes of PasskeySignIn, at the host's root.
var passkeyRoutes = []route{
	{op: opPasskeyChallenge, method: http.MethodPost, path: []string{"passkey", "challenge"},
		optionalBody: true, serve: (*Handler).passkeyChallenge},
	{op: opPasskeyAuthenticate, method: http.MethodPost, path: []string{"passkey", "authenticate"},
		body: true, serve: (*Handler).passkeyAuthenticate},
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
	return passkeySignIn{h}, nil
}

type passkeySignIn struct{ h *Handler }

// ServeHTTP serves one usernameless sign-in request: route, rate-limit per
// client IP, read the body, then the route's work.
func (p passkeySignIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := p.h
	c := &call{r: r, client: verify.Client{IP: h.clientIP(r), UserAgent: userAgent(r)}}
	defer h.recoverPanic(w, c)
	hdr := w.Header()
	hdr["Cache-Control"] = c.headerValue("no-store")
	hdr["X-Content-Type-Options"] = c.headerValue("nosniff")

	var rt *route
	allow := ""
	for i := range passkeyRoutes {
		cand := &passkeyRoutes[i]
		if "/"+cand.path[0]+"/"+cand.path[1] != r.URL.EscapedPath() {
			continue
		}
		if cand.method != r.Method {
			allow = cand.method
			continue
		}
		rt = cand
	}
	if rt == nil {
		if !h.limitAnonymous(w, c) {
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
	c.route, c.op = rt, rt.op

	rl, err := h.limiter.Allow(r.Context(), "verifykit|"+rt.op+"|"+anonymousKey(c.client.IP), h.limits[rt.op])
	if err != nil {
		h.fail(w, c, fmt.Errorf("httpapi: rate limiter: %w", err))
		return
	}
	c.setRateLimit(hdr, rl, h.now())
	if !rl.Allowed {
		h.problem(w, c, http.StatusTooManyRequests, problemRateLimited, "Too many requests; retry later", nil)
		return
	}
	if err := checkQuery(c); err != nil {
		h.fail(w, c, err)
		return
	}
	if rt.body || rt.optionalBody && (r.ContentLength != 0 || len(r.TransferEncoding) > 0) {
		if !h.readJSON(w, c) {
			return
		}
		defer h.release(c.buf, c.body)
	}
	rt.serve(h, w, c)
}

// passkeyChallenge serves POST /passkey/challenge: 200 with the
// auth_session and the request options of a discoverable credential.
func (h *Handler) passkeyChallenge(w http.ResponseWriter, c *call) {
	if err := decodeEmpty(c.body); err != nil {
		h.fail(w, c, err)
		return
	}
	ch, err := h.signIn.ChallengePasskey(c.r.Context(), c.client)
	h.challenged(w, c, ch, err)
}

// passkeyAuthenticate serves POST /passkey/authenticate: 200 with the user
// the credential belongs to and the method.
func (h *Handler) passkeyAuthenticate(w http.ResponseWriter, c *call) {
	req, err := decodeAuthenticate(c.body, h.lim)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	in, err := h.signIn.AuthenticatePasskey(c.r.Context(), req, c.client)
	if err == nil && (in == nil || in.Subject == "" || in.Method.ID == "") {
		err = errors.New("httpapi: sign-in service returned a sign-in without user or method")
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	h.writeJSON(w, c, http.StatusOK, passkeyResponse{UserID: in.Subject, AuthenticationMethod: &in.Method})
}
