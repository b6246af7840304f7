package httpapi

import (
	"errors"
	"net/http"
)

// Operations served, by their operationId in the spec. The operationId
// names a route's rate-limit bucket (Config.RouteLimits).
const (
	OpCreate = "createAuthenticationMethod"  // POST /authentication-methods
	OpVerify = "confirmAuthenticationMethod" // POST /authentication-methods/{authentication_method_id}/verify
)

// route is one operation of the API. To add one (list, get, update,
// delete, factors): add an entry to routes with its operationId, method,
// path (relative to the prefix; "{id}" captures authentication_method_id,
// percent-decoded once), required scope and whether it takes a JSON body,
// and a serve function. ServeHTTP has then authenticated the caller,
// applied the route's rate limit, checked the scope and, for body routes,
// checked the Content-Type and read the body (c.body) within
// Config.MaxBodyBytes. A route that needs more of the service than
// verify.Verifier offers should look for it with a type assertion in New.
type route struct {
	op     string
	method string
	path   []string
	scope  string
	body   bool
	serve  func(h *Handler, w http.ResponseWriter, c *call)
}

func routes() []route {
	return []route{
		{op: OpCreate, method: http.MethodPost, path: []string{"authentication-methods"},
			scope: ScopeCreateMethods, body: true, serve: (*Handler).create},
		{op: OpVerify, method: http.MethodPost, path: []string{"authentication-methods", "{id}", "verify"},
			scope: ScopeCreateMethods, body: true, serve: (*Handler).confirm},
	}
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
	w.Header().Set("Location", h.location(enr.ID))
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
	w.Header().Set("Location", h.location(m.ID))
	h.writeJSON(w, c, http.StatusCreated, m)
}
