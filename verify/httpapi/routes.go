package httpapi

import (
	"errors"
	"net/http"
)

// Operations served, by their operationId in the spec. The operationId
// names a route's rate-limit bucket (Config.RouteLimits).
const (
	opCreate  = "createAuthenticationMethod"  // POST /authentication-methods
	opVerify  = "confirmAuthenticationMethod" // POST /authentication-methods/{authentication_method_id}/verify
	opList    = "getAuthenticationMethods"    // GET /authentication-methods[?type=]
	opGet     = "getAuthenticationMethod"     // GET /authentication-methods/{authentication_method_id}
	opUpdate  = "updateAuthenticationMethod"  // PATCH /authentication-methods/{authentication_method_id}
	opDelete  = "deleteAuthenticationMethod"  // DELETE /authentication-methods/{authentication_method_id}
	opFactors = "getFactors"                  // GET /factors
)

// route is one operation of the API. To add one: add an entry to routes
// with its operationId, method, path (relative to the prefix; "{id}"
// captures authentication_method_id, percent-decoded once), required
// scope, the query parameters it declares, whether it takes a JSON body,
// and a serve function. ServeHTTP has then authenticated the caller,
// applied the route's rate limit, checked the scope, refused undeclared or
// repeated query parameters (c.query holds the others) and, for body
// routes, checked the Content-Type and read the body (c.body) within
// Config.MaxBodyBytes. A route that needs more of the service than
// verify.Verifier offers finds it in h.manager (Config.Manager, or the
// Verifier when it implements Manager) and is served only then.
type route struct {
	op     string
	method string
	path   []string
	scope  string
	query  []string // declared query parameters
	body   bool
	manage bool // needs a Manager
	// optionalBody: the body may be absent; when present it is read as
	// for body (a route taking no members accepts nothing or {}).
	optionalBody bool
	signIn       bool // needs a SignInService
	serve        func(h *Handler, w http.ResponseWriter, c *call)
}

// routes returns the route table; the management routes only when manage
// is set, the sign-in routes only when signIn is.
func routes(manage, signIn bool) []route {
	all := []route{
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
	}
	served := all[:0]
	for _, rt := range all {
		if (manage || !rt.manage) && (signIn || !rt.signIn) {
			served = append(served, rt)
		}
	}
	return served
}

// create serves POST /authentication-methods: 202 with the enrollment and
// the Location of the pending method.
func (h *Handler) create(w http.ResponseWriter, c *call) {
	req, err := decodeStart(c.body, h.lim)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	enr, err := h.verifier.Start(c.r.Context(), c.principal.Subject, req, c.client)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	if enr == nil || enr.ID == "" || enr.AuthSession == "" {
		h.fail(w, c, errors.New("httpapi: verifier returned an enrollment without id or auth_session"))
		return
	}
	w.Header()["Location"] = c.headerValue(h.location(enr.ID))
	h.writeJSON(w, c, http.StatusAccepted, enr)
}

// confirm serves POST /authentication-methods/{id}/verify: 201 with the
// confirmed method and its Location.
func (h *Handler) confirm(w http.ResponseWriter, c *call) {
	req, err := decodeVerify(c.body, h.lim)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	m, err := h.verifier.Verify(c.r.Context(), c.principal.Subject, c.id, req, c.client)
	if err != nil {
		h.fail(w, c, err)
		return
	}
	if m == nil || m.ID == "" {
		h.fail(w, c, errors.New("httpapi: verifier returned a method without id"))
		return
	}
	w.Header()["Location"] = c.headerValue(h.location(m.ID))
	h.writeJSON(w, c, http.StatusCreated, m)
}
