package httpapi

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/verifykit/verifykit/verify"
)

// Manager is what the management routes (list, get, update, delete,
// factors) need beyond verify.Verifier: the confirmed methods of the
// caller, and the method types served. *verify.Service implements it.
//
// Every method acts for sub only: Get, Update and Delete of another user's
// method fail with verify.ErrNotFound, exactly like an unknown id, so that
// a caller cannot learn which ids exist. List returns at most
// verify.MaxListed methods (the spec's maxItems); the handler answers with
// the first MaxListed of a longer list and logs the breach of contract.
type Manager interface {
	// List returns sub's confirmed methods, of type t unless t is empty.
	List(ctx context.Context, sub verify.Subject, t verify.Type) ([]verify.Method, error)
	// Get returns sub's method id, or an error matching verify.ErrNotFound.
	Get(ctx context.Context, sub verify.Subject, id string) (*verify.Method, error)
	// Update changes the name or preferred channel of sub's method id.
	Update(ctx context.Context, sub verify.Subject, id string, req verify.UpdateRequest, client verify.Client) (*verify.Method, error)
	// Delete removes sub's method id; verify.ErrConflict when policy
	// forbids it (the last primary method).
	Delete(ctx context.Context, sub verify.Subject, id string, client verify.Client) error
	// Factors lists the method types offered, with their usage.
	Factors() []verify.Factor
}

var _ Manager = (*verify.Service)(nil)

// listResponse is the spec's ListAuthenticationMethodsResponseContent.
type listResponse struct {
	AuthenticationMethods []verify.Method `json:"authentication_methods"`
}

// factorsResponse is the spec's ListFactorsResponseContent.
type factorsResponse struct {
	Factors []verify.Factor `json:"factors"`
}

// list serves GET /authentication-methods[?type=]: 200 with at most
// verify.MaxListed methods, oldest first.
func (h *Handler) list(c *call) (int, any, error) {
	var t verify.Type
	if vs, ok := c.query["type"]; ok {
		t = verify.Type(vs[0])
		if !t.Valid() {
			return 0, nil, queryError(verify.FieldError{Field: "type", Detail: "must be one of: " + strings.Join(typeNames, ", ")})
		}
	}
	ms, err := h.manager.List(c.r.Context(), c.principal.Subject, t)
	if err != nil {
		return 0, nil, err
	}
	if len(ms) > verify.MaxListed {
		h.cfg.Logger.LogAttrs(c.r.Context(), slog.LevelError, "verifykit: Manager.List returned more than verify.MaxListed methods; answering the first ones",
			slog.String("op", c.op), slog.Int("methods", len(ms)), slog.Int("max", verify.MaxListed))
		ms = ms[:verify.MaxListed]
	}
	if ms == nil {
		ms = []verify.Method{}
	}
	return http.StatusOK, listResponse{AuthenticationMethods: ms}, nil
}

// get serves GET /authentication-methods/{id}: 200 with the method, 404
// for an unknown id or another user's.
func (h *Handler) get(c *call) (int, any, error) {
	return found(h.manager.Get(c.r.Context(), c.principal.Subject, c.id))
}

// update serves PATCH /authentication-methods/{id}: 200 with the updated
// method; the Client goes to the Manager's audit event.
func (h *Handler) update(c *call) (int, any, error) {
	req, err := h.decodeUpdate(c.body)
	if err != nil {
		return 0, nil, err
	}
	return found(h.manager.Update(c.r.Context(), c.principal.Subject, c.id, req, c.client))
}

// found answers 200 with m, or err.
func found(m *verify.Method, err error) (int, any, error) {
	if err != nil || m == nil || m.ID == "" {
		return 0, nil, cmp.Or(err, errIncomplete)
	}
	return http.StatusOK, m, nil
}

// remove serves DELETE /authentication-methods/{id}: 204 without a body;
// the Client goes to the Manager's audit event.
func (h *Handler) remove(c *call) (int, any, error) {
	return http.StatusNoContent, nil, h.manager.Delete(c.r.Context(), c.principal.Subject, c.id, c.client)
}

// factors serves GET /factors: 200 with the method types offered.
func (h *Handler) factors(c *call) (int, any, error) {
	fs := h.manager.Factors()
	if fs == nil {
		fs = []verify.Factor{}
	}
	return http.StatusOK, factorsResponse{Factors: fs}, nil
}

// checkQuery parses the query string of c against the parameters its
// route declares: a malformed query, an undeclared parameter or a repeated
// one is refused (400), like an undeclared body member.
func checkQuery(c *call) error {
	if c.r.URL.RawQuery == "" {
		return nil
	}
	q, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		return queryError(verify.FieldError{Detail: "the query string is malformed"})
	}
	var fields []verify.FieldError
	for _, k := range slices.Sorted(maps.Keys(q)) {
		switch {
		case !slices.Contains(c.route.query, k):
			fields = append(fields, verify.FieldError{Field: clip(k), Detail: "is not a query parameter of this operation"})
		case len(q[k]) > 1:
			fields = append(fields, verify.FieldError{Field: k, Detail: "must be given at most once"})
		}
		if len(fields) == maxFieldErrors {
			break
		}
	}
	if len(fields) > 0 {
		return queryError(fields...)
	}
	c.query = q
	return nil
}

// queryError is an ErrInvalidRequest about query parameters; its fields
// have no JSON pointer, which points into bodies.
func queryError(fields ...verify.FieldError) error {
	return &verify.Error{Kind: verify.ErrInvalidRequest, Reason: "invalid_query", Detail: "Invalid request parameters", Fields: fields}
}
