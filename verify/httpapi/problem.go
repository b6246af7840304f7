package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/verifykit/verifykit/verify"
)

// Problem types: the "type" member of every error body. They are stable;
// clients may switch on them. The HTTP status of each is fixed.
const (
	problemInvalidRequest       = "invalid_request"        // 400: the body or a parameter is malformed; see validation_errors
	problemInvalidSession       = "invalid_session"        // 400: the auth_session is tampered with, or for another user, method or payload
	problemSessionExpired       = "session_expired"        // 400: the auth_session (or its code) expired
	problemSessionUsed          = "session_already_used"   // 400: the auth_session already confirmed a method
	problemTooManyAttempts      = "too_many_attempts"      // 400: the auth_session's attempts are used up; it is void
	problemInvalidProof         = "invalid_proof"          // 400: the code, attestation or password does not verify
	problemPending              = "enrollment_pending"     // 400: an out-of-band step (push device) is not done yet
	problemUnauthorized         = "unauthorized"           // 401: no or bad credentials (400 for a malformed Authorization header)
	problemForbidden            = "forbidden"              // 403: not allowed by policy
	problemInsufficientScope    = "insufficient_scope"     // 403: the credential lacks the route's scope
	problemNotFound             = "not_found"              // 404: no such route or authentication method
	problemMethodNotAllowed     = "method_not_allowed"     // 405: the route exists with other methods (Allow header)
	problemConflict             = "conflict"               // 409: conflicts with the current state (method exists)
	problemPayloadTooLarge      = "payload_too_large"      // 413: body over Config.MaxBodyBytes
	problemUnsupportedMediaType = "unsupported_media_type" // 415: the body is not application/json
	problemRateLimited          = "rate_limited"           // 429: see retry-after
	problemInternal             = "internal_error"         // 500: details only in the server log
)

const detailInternal = "An internal error occurred"

// kindProblem maps each verify error kind to its status, problem type and
// default detail.
func kindProblem(kind error) (int, string, string) {
	switch kind {
	case verify.ErrInvalidRequest:
		return http.StatusBadRequest, problemInvalidRequest, "Invalid request payload input"
	case verify.ErrInvalidSession:
		return http.StatusBadRequest, problemInvalidSession, "The auth_session is invalid"
	case verify.ErrExpired:
		return http.StatusBadRequest, problemSessionExpired, "The auth_session has expired; start the enrollment again"
	case verify.ErrAlreadyUsed:
		return http.StatusBadRequest, problemSessionUsed, "The auth_session has already been used"
	case verify.ErrTooManyAttempts:
		return http.StatusBadRequest, problemTooManyAttempts, "Too many attempts; start the enrollment again"
	case verify.ErrInvalidProof:
		return http.StatusBadRequest, problemInvalidProof, "The verification failed"
	case verify.ErrPending:
		return http.StatusBadRequest, problemPending, "The enrollment is not complete yet; retry later"
	case verify.ErrUnauthenticated:
		return http.StatusUnauthorized, problemUnauthorized, "An access token is required"
	case verify.ErrForbidden:
		return http.StatusForbidden, problemForbidden, "The request is not allowed"
	case verify.ErrRateLimited:
		return http.StatusTooManyRequests, problemRateLimited, "Too many requests; retry later"
	case verify.ErrNotFound:
		return http.StatusNotFound, problemNotFound, "Authentication method not found"
	case verify.ErrConflict:
		return http.StatusConflict, problemConflict, "The request conflicts with the current state"
	}
	return http.StatusInternalServerError, problemInternal, detailInternal
}

// fail answers err: an *verify.Error (or another error matching a kind)
// with the kind's status and the error's client-safe detail, anything else
// with 500 and a generic detail, the cause going to the log only.
func (h *Handler) fail(w http.ResponseWriter, c *call, err error) {
	kind := verify.Kind(err)
	if kind == verify.ErrUnauthenticated || kind == verify.ErrForbidden {
		h.authFailure(w, c, err)
		return
	}
	status, typ, detail := kindProblem(kind)
	var ve *verify.Error
	var fields []verify.FieldError
	if kind != nil && errors.As(err, &ve) {
		if ve.Detail != "" {
			detail = ve.Detail
		}
		if kind == verify.ErrInvalidRequest {
			fields = ve.Fields
		}
		if kind == verify.ErrRateLimited && ve.RateLimit != nil {
			// The engine's bucket (e.g. codes sent to one destination)
			// is the one the client hit: report it instead of the route's.
			rl := *ve.RateLimit
			rl.Allowed = false
			c.setRateLimit(w.Header(), rl, h.now())
		}
	}
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	h.respond(w, c, status, typ, detail, fields, err)
}

// authFailure answers a failed authentication or authorization with 401,
// 400 or 403 and the WWW-Authenticate challenge of RFC 6750 §3.
func (h *Handler) authFailure(w http.ResponseWriter, c *call, err error) {
	kind := verify.Kind(err)
	if kind != verify.ErrUnauthenticated && kind != verify.ErrForbidden {
		h.fail(w, c, fmt.Errorf("httpapi: authenticate: %w", err))
		return
	}
	status, typ, detail := kindProblem(kind)
	var ae *AuthError
	code := ""
	if errors.As(err, &ae) {
		code = ae.Code
		if ae.Description != "" {
			detail = ae.Description
		}
	} else {
		if kind == verify.ErrUnauthenticated {
			code = CodeInvalidToken
		}
		var ve *verify.Error
		if errors.As(err, &ve) && ve.Detail != "" {
			detail = ve.Detail
		}
	}
	scope := ""
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
	h.respond(w, c, status, typ, detail, nil, err)
}

// challenge writes WWW-Authenticate: the Authenticator's own challenges if
// it is a Challenger, else a Bearer challenge (RFC 6750 §3).
func (h *Handler) challenge(hdr http.Header, err error, code, desc, scope string) {
	if ch, ok := h.auth.(Challenger); ok {
		var cerr error
		if code != "" && code != CodeInsufficientScope {
			cerr = err
		}
		for _, v := range ch.Challenges(cerr, scope) {
			hdr.Add("WWW-Authenticate", v)
		}
		return
	}
	v := `Bearer realm="` + h.realm + `"`
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

// problem answers an error the handler itself found (no verify error).
func (h *Handler) problem(w http.ResponseWriter, c *call, status int, typ, detail string, fields []verify.FieldError) {
	h.respond(w, c, status, typ, detail, fields, nil)
}

// respond logs the failure and writes the ErrorResponse. The log record
// names the route, user, method id, status, type and reason code; for a
// 5xx it adds the cause. It never carries the body, a token or a secret.
func (h *Handler) respond(w http.ResponseWriter, c *call, status int, typ, detail string, fields []verify.FieldError, cause error) {
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
	h.log.LogAttrs(c.r.Context(), level, "verifykit: request failed", attrs...)

	body := problemBody{Type: typ, Status: status, Title: http.StatusText(status), Detail: detail}
	for _, f := range fields {
		body.ValidationErrors = append(body.ValidationErrors, validationError{Detail: f.Detail, Field: f.Field, Pointer: f.Pointer})
	}
	w.Header().Del("Location")
	h.writeJSON(w, c, status, body)
}
