package httpapi

import (
	"cmp"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/verifykit/verifykit/verify"
)

// Problem types: the "type" member of every error body, stable wire
// values a client may switch on (README.md lists them). The HTTP status of
// each is fixed.
const (
	problemInvalidRequest       = "invalid_request"
	problemInvalidSession       = "invalid_session"
	problemSessionExpired       = "session_expired"
	problemSessionUsed          = "session_already_used"
	problemTooManyAttempts      = "too_many_attempts"
	problemInvalidProof         = "invalid_proof"
	problemPending              = "enrollment_pending"
	problemUnauthorized         = "unauthorized"
	problemForbidden            = "forbidden"
	problemInsufficientScope    = "insufficient_scope"
	problemNotFound             = "not_found"
	problemMethodNotAllowed     = "method_not_allowed"
	problemConflict             = "conflict"
	problemPayloadTooLarge      = "payload_too_large"
	problemUnsupportedMediaType = "unsupported_media_type"
	problemRateLimited          = "rate_limited"
	problemInternal             = "internal_error"
)

const detailInternal = "An internal error occurred"

// kindProblem maps each verify error kind to its status, problem type and
// default detail; anything else is a 500.
var kindProblem = map[error]struct {
	status      int
	typ, detail string
}{
	verify.ErrInvalidRequest:  {http.StatusBadRequest, problemInvalidRequest, "Invalid request payload input"},
	verify.ErrInvalidSession:  {http.StatusBadRequest, problemInvalidSession, "The auth_session is invalid"},
	verify.ErrExpired:         {http.StatusBadRequest, problemSessionExpired, "The auth_session has expired; start the enrollment again"},
	verify.ErrAlreadyUsed:     {http.StatusBadRequest, problemSessionUsed, "The auth_session has already been used"},
	verify.ErrTooManyAttempts: {http.StatusBadRequest, problemTooManyAttempts, "Too many attempts; start the enrollment again"},
	verify.ErrInvalidProof:    {http.StatusBadRequest, problemInvalidProof, "The verification failed"},
	verify.ErrPending:         {http.StatusBadRequest, problemPending, "The enrollment is not complete yet; retry later"},
	verify.ErrUnauthenticated: {http.StatusUnauthorized, problemUnauthorized, "An access token is required"},
	verify.ErrForbidden:       {http.StatusForbidden, problemForbidden, "The request is not allowed"},
	verify.ErrRateLimited:     {http.StatusTooManyRequests, problemRateLimited, "Too many requests; retry later"},
	verify.ErrNotFound:        {http.StatusNotFound, problemNotFound, "Authentication method not found"},
	verify.ErrConflict:        {http.StatusConflict, problemConflict, "The request conflicts with the current state"},
	nil:                       {http.StatusInternalServerError, problemInternal, detailInternal},
}

// fail answers err: an *verify.Error (or another error matching a kind)
// with the kind's status and the error's client-safe detail, anything else
// with 500 and a generic detail, the cause going to the log only. A failed
// authentication or authorization is answered 401, 400 or 403 with the
// WWW-Authenticate challenge of RFC 6750 §3.
func (h *Handler) fail(w http.ResponseWriter, c *call, err error) {
	kind := verify.Kind(err)
	p, ok := kindProblem[kind]
	if !ok {
		p = kindProblem[nil]
	}
	status, typ, detail := p.status, p.typ, p.detail
	var ve *verify.Error
	if kind != nil && errors.As(err, &ve) && ve.Detail != "" {
		detail = ve.Detail
	}
	switch kind {
	case verify.ErrRateLimited:
		if ve != nil && ve.RateLimit != nil {
			// The engine's bucket (e.g. codes sent to one destination)
			// is the one the client hit: report it instead of the route's.
			rl := *ve.RateLimit
			rl.Allowed = false
			h.setRateLimit(w.Header(), rl)
		}
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", "1")
		}
	case verify.ErrUnauthenticated, verify.ErrForbidden:
		var ae *AuthError
		code, scope := "", ""
		if errors.As(err, &ae) {
			code, detail = ae.Code, cmp.Or(ae.Description, p.detail)
		} else if kind == verify.ErrUnauthenticated {
			code = CodeInvalidToken
		}
		switch code {
		case CodeInvalidRequest:
			status, typ = http.StatusBadRequest, problemUnauthorized
		case CodeInsufficientScope:
			status, typ = http.StatusForbidden, problemInsufficientScope
			if c.route != nil {
				scope = c.route.scope
			}
		}
		if status != http.StatusForbidden || code == CodeInsufficientScope {
			h.challenge(w.Header(), err, code, detail, scope)
		}
	}
	h.problem(w, c, status, typ, detail, err)
}

// challenge writes WWW-Authenticate: the Authenticator's own challenges if
// it is a Challenger, else a Bearer challenge (RFC 6750 §3).
func (h *Handler) challenge(hdr http.Header, err error, code, desc, scope string) {
	if ch, ok := h.cfg.Authenticator.(Challenger); ok {
		var cerr error
		if code != "" && code != CodeInsufficientScope {
			cerr = err
		}
		for _, v := range ch.Challenges(cerr, scope) {
			hdr.Add("WWW-Authenticate", v)
		}
		return
	}
	v := `Bearer realm="` + h.cfg.Realm + `"`
	if code != "" {
		v += `, error="` + code + `", error_description="` + quotable(desc) + `"`
	}
	if scope != "" {
		v += `, scope="` + scope + `"`
	}
	hdr.Set("WWW-Authenticate", v)
}

// quotable keeps the characters RFC 6750 §3 allows in error_description
// (%x20-21 / %x23-5B / %x5D-7E).
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0x20 && r <= 0x7e && r != '"' && r != '\\' {
			return r
		}
		return ' '
	}, s)
}

// problemBody is the spec's ErrorResponse.
type problemBody struct {
	Type             string            `json:"type"`
	Status           int               `json:"status"`
	Title            string            `json:"title"`
	Detail           string            `json:"detail"`
	ValidationErrors []validationError `json:"validation_errors,omitempty"`
}

// validationError is the spec's ValidationError.
type validationError struct {
	Detail  string `json:"detail"`
	Field   string `json:"field,omitempty"`
	Pointer string `json:"pointer,omitempty"`
}

// problem logs a failed request and writes its ErrorResponse; cause is the
// error answered, nil for a refusal of the handler's own. The log record
// names the route, user, method id, status, type and reason code; for a
// 5xx it adds the cause. It never carries the body, a token or a secret.
func (h *Handler) problem(w http.ResponseWriter, c *call, status int, typ, detail string, cause error) {
	level := slog.LevelInfo
	attrs := []slog.Attr{
		slog.String("op", c.op),
		slog.Int("status", status),
		slog.String("problem", typ),
	}
	if cause != nil {
		attrs = append(attrs, slog.String("reason", verify.ReasonOf(cause)))
	}
	if c.principal.Subject.ID != "" {
		attrs = append(attrs, slog.String("user", c.principal.Subject.ID))
	}
	if c.id != "" {
		attrs = append(attrs, slog.String("method_id", c.id))
	}
	attrs = append(attrs, slog.String("ip", c.client.IP))
	if status >= 500 {
		level = slog.LevelError
		if cause != nil {
			attrs = append(attrs, slog.String("error", cause.Error()))
		}
	}
	h.cfg.Logger.LogAttrs(c.r.Context(), level, "verifykit: request failed", attrs...)

	body := problemBody{Type: typ, Status: status, Title: http.StatusText(status), Detail: detail}
	var ve *verify.Error
	if errors.As(cause, &ve) && verify.Kind(cause) == verify.ErrInvalidRequest {
		for _, f := range ve.Fields {
			body.ValidationErrors = append(body.ValidationErrors, validationError{Detail: f.Detail, Field: f.Field, Pointer: f.Pointer})
		}
	}
	c.location = ""
	h.writeJSON(w, c, status, body)
}
