package httpapi

import (
	"cmp"
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
// serve returns the answer's status and body (nil: none), or the error
// to answer.
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
	serve        func(h *Handler, c *call) (int, any, error)
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

// errIncomplete fails a request whose service answered neither an error
// nor a complete result (a broken Verifier, Manager or SignInService).
var errIncomplete = errors.New("httpapi: the service returned an incomplete result")

// create serves POST /authentication-methods: 202 with the enrollment and
// the Location of the pending method.
func (h *Handler) create(c *call) (int, any, error) {
	req, err := h.decodeStart(c.body)
	if err != nil {
		return 0, nil, err
	}
	enr, err := h.cfg.Verifier.Start(c.r.Context(), c.principal.Subject, req, c.client)
	if err != nil || enr == nil || enr.ID == "" || enr.AuthSession == "" {
		return 0, nil, cmp.Or(err, errIncomplete)
	}
	c.location = enr.ID
	return http.StatusAccepted, enr, nil
}

// confirm serves POST /authentication-methods/{id}/verify: 201 with the
// confirmed method and its Location.
func (h *Handler) confirm(c *call) (int, any, error) {
	req, err := h.decodeProof(c.body, false)
	if err != nil {
		return 0, nil, err
	}
	m, err := h.cfg.Verifier.Verify(c.r.Context(), c.principal.Subject, c.id, req, c.client)
	if err != nil || m == nil || m.ID == "" {
		return 0, nil, cmp.Or(err, errIncomplete)
	}
	c.location = m.ID
	return http.StatusCreated, m, nil
}
