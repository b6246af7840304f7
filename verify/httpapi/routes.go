package httpapi

import (
	"errors"
	"net/http"
)

// Operations served, by their operationId in the spec (verifykit's own
// for the sign-in routes). The operationId names a route's rate-limit
// bucket (Config.RouteLimits).
const (
	opCreate              = "createAuthenticationMethod"
	opVerify              = "confirmAuthenticationMethod"
	opList                = "getAuthenticationMethods"
	opGet                 = "getAuthenticationMethod"
	opUpdate              = "updateAuthenticationMethod"
	opDelete              = "deleteAuthenticationMethod"
	opFactors             = "getFactors"
	opChallenge           = "challengeAuthenticationMethod"
	opAuthenticate        = "authenticateAuthenticationMethod"
	opPasskeyChallenge    = "passkeyChallenge"
	opPasskeyAuthenticate = "passkeyAuthenticate"
)

// route is one operation of the API. Before serve runs, the Handler has
// authenticated the caller (unless anonymous), applied the route's rate
// limit, checked the scope, refused undeclared or repeated query
// parameters (c.query holds the others) and, for body routes, checked the
// Content-Type and read the body (c.body) within Config.MaxBodyBytes.
type route struct {
	op     string
	method string
	path   []string // relative to the prefix; "{id}" captures authentication_method_id
	scope  string
	query  []string // declared query parameters
	body   bool
	// optionalBody: the body may be absent; when present it is read as
	// for body (a route taking no members accepts nothing or {}).
	optionalBody bool
	manage       bool // needs a Manager
	signIn       bool // needs a SignInService
	anonymous    bool // served by PasskeySignIn at the host's root, limited per client IP
	serve        func(h *Handler, w http.ResponseWriter, c *call)
}

// allRoutes is the route table.
var allRoutes = []route{
	{op: opCreate, method: http.MethodPost, path: []string{"authentication-methods"},
		scope: ScopeCreateMethods, body: true, serve: (*Handler).create},
	{op: opVerify, method: http.MethodPost, path: []string{"authentication-methods", "{id}", "verify"},
		scope: ScopeCreateMethods, body: true, serve: (*Handler).confirm},
	{op: opList, method: http.MethodGet, path: []string{"authentication-methods"},
		scope: ScopeReadMethods, query: []string{"type"}, manage: true, serve: (*Handler).list},
	{op: opGet, method: http.MethodGet, path: []string{"authentication-methods", "{id}"},
		scope: ScopeReadMethods, manage: true, serve: (*Handler).get},
	{op: opUpdate, method: http.MethodPatch, path: []string{"authentication-methods", "{id}"},
		scope: ScopeUpdateMethods, body: true, manage: true, serve: (*Handler).update},
	{op: opDelete, method: http.MethodDelete, path: []string{"authentication-methods", "{id}"},
		scope: ScopeDeleteMethods, manage: true, serve: (*Handler).remove},
	{op: opFactors, method: http.MethodGet, path: []string{"factors"},
		scope: ScopeReadFactors, manage: true, serve: (*Handler).factors},
	{op: opChallenge, method: http.MethodPost, path: []string{"authentication-methods", "{id}", "challenge"},
		scope: ScopeAuthenticateMethods, optionalBody: true, signIn: true, serve: (*Handler).challengeMethod},
	{op: opAuthenticate, method: http.MethodPost, path: []string{"authentication-methods", "{id}", "authenticate"},
		scope: ScopeAuthenticateMethods, body: true, signIn: true, serve: (*Handler).authenticateMethod},
	{op: opPasskeyChallenge, method: http.MethodPost, path: []string{"passkey", "challenge"},
		optionalBody: true, anonymous: true, serve: (*Handler).passkeyChallenge},
	{op: opPasskeyAuthenticate, method: http.MethodPost, path: []string{"passkey", "authenticate"},
		body: true, anonymous: true, serve: (*Handler).passkeyAuthenticate},
}

// create serves POST /authentication-methods: 202 with the enrollment and
// the Location of the pending method.
func (h *Handler) create(w http.ResponseWriter, c *call) {
	req, err := decodeStart(c.body, &h.cfg)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	enr, err := h.cfg.Verifier.Start(c.r.Context(), c.principal.Subject, req, c.client)
	if err == nil && (enr == nil || enr.ID == "" || enr.AuthSession == "") {
		err = errors.New("httpapi: verifier returned an enrollment without id or auth_session")
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	w.Header().Set("Location", h.location(enr.ID))
	h.writeJSON(w, c, http.StatusAccepted, enr)
}

// confirm serves POST /authentication-methods/{id}/verify: 201 with the
// confirmed method and its Location.
func (h *Handler) confirm(w http.ResponseWriter, c *call) {
	req, err := decodeVerify(c.body, &h.cfg)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	m, err := h.cfg.Verifier.Verify(c.r.Context(), c.principal.Subject, c.id, req, c.client)
	if err == nil && (m == nil || m.ID == "") {
		err = errors.New("httpapi: verifier returned a method without id")
	}
	if err != nil {
		h.fail(w, c, err)
		return
	}
	w.Header().Set("Location", h.location(m.ID))
	h.writeJSON(w, c, http.StatusCreated, m)
}
