package push

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/verify"
)

// Handler serves the whole device API under the path of Config.BaseURL,
// as Guardian's SDKs call it:
//
//	POST   <base>/api/enroll                 Authorization: Ticket id="…"   EnrollRequest → 201 EnrollResponse
//	PATCH  <base>/api/device-accounts/{id}   Authorization: Bearer <device token>   DeviceUpdate → 200 DeviceAccount
//	DELETE <base>/api/device-accounts/{id}   Authorization: Bearer <device token>   → 204
//	POST   <base>/api/resolve-transaction    Authorization: Bearer <txtkn>   {"challenge_response": JWT} → 204
//
// Mount it at the base path, e.g. mux.Handle("/push/api/", engine.Handler())
// for a BaseURL of https://host/push. Every request is limited per client
// IP (Config.DeviceLimit, Config.ClientIP): 429 with Retry-After and the
// x-ratelimit-* headers. Bodies are application/json of at most
// 16 KiB, decoded strictly (github.com/go-json-experiment/json:
// unknown and duplicate members, trailing data and invalid UTF-8 are
// refused). Errors have a problem body {type, status, title, detail}:
//
//	400 invalid request, proof or challenge response
//	401 invalid ticket, device token or transaction (WWW-Authenticate)
//	404, 405, 413, 415, 429
//	409 device already enrolled
//	500 an internal failure (details are not shown)
func (p *Push) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(p.basePath+"/api/enroll", p.serveEnroll)
	mux.HandleFunc(p.basePath+"/api/device-accounts/{id}", p.serveDeviceAccount)
	mux.HandleFunc(p.basePath+"/api/resolve-transaction", p.serveResolve)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		problem(w, http.StatusNotFound, "Not Found", "No such device API route")
	})
	return p.limited(mux)
}

// EnrollHandler serves only the device API's enrollment, POST
// <base>/api/enroll, wherever the host mounts it (it does not look at the
// path), under the same per-IP limit as Handler.
func (p *Push) EnrollHandler() http.Handler {
	return p.limited(http.HandlerFunc(p.serveEnroll))
}

// limited charges the client IP's DeviceLimit before h.
func (p *Push) limited(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		d, err := p.limiter.Allow(r.Context(), "verifykit/push-notification/device-api/ip/"+p.clientIP(r), p.deviceLimit)
		if err != nil {
			problem(w, http.StatusInternalServerError, "Internal Server Error", "The request could not be completed")
			return
		}
		setRateLimit(w.Header(), d)
		if !d.Allowed {
			secs := int64(d.RetryAfter.Seconds() + 0.999)
			w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
			problem(w, http.StatusTooManyRequests, "Too Many Requests", "Too many device requests; try again later")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func setRateLimit(h http.Header, d verify.RateLimit) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(d.Remaining, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(d.Reset.Unix(), 10))
}

func (p *Push) serveEnroll(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		problem(w, http.StatusMethodNotAllowed, "Method Not Allowed", "Use POST")
		return
	}
	ticket, ok := parseTicket(r.Header.Get("Authorization"))
	if !ok {
		w.Header().Set("WWW-Authenticate", `Ticket`)
		problem(w, http.StatusUnauthorized, "Unauthorized", "An enrollment ticket is required: Authorization: Ticket id=\"…\"")
		return
	}
	var req EnrollRequest
	if !readJSON(w, r, &req, false) {
		return
	}
	resp, err := p.Enroll(r.Context(), ticket, &req)
	switch {
	case err == nil:
		writeJSON(w, http.StatusCreated, resp)
	case errors.Is(err, ErrInvalidTicket):
		w.Header().Set("WWW-Authenticate", `Ticket error="invalid_ticket"`)
		problem(w, http.StatusUnauthorized, "Unauthorized", "The enrollment ticket is invalid, expired or already used")
	case errors.Is(err, ErrAlreadyEnrolled):
		problem(w, http.StatusConflict, "Conflict", "This device is already enrolled")
	default:
		deviceProblem(w, err)
	}
}

func (p *Push) serveDeviceAccount(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPatch && r.Method != http.MethodDelete {
		w.Header().Set("Allow", "PATCH, DELETE")
		problem(w, http.StatusMethodNotAllowed, "Method Not Allowed", "Use PATCH or DELETE")
		return
	}
	token, ok := parseBearer(r.Header.Get("Authorization"))
	if !ok {
		unauthorized(w, "A device token is required: Authorization: Bearer <token>")
		return
	}
	id := r.PathValue("id")
	if r.Method == http.MethodDelete {
		if err := p.DeleteDevice(r.Context(), id, token); err != nil {
			deviceProblem(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var upd DeviceUpdate
	if !readJSON(w, r, &upd, true) {
		return
	}
	acct, err := p.UpdateDevice(r.Context(), id, token, &upd)
	if err != nil {
		deviceProblem(w, err)
		return
	}
	writeJSON(w, http.StatusOK, acct)
}

// resolveRequest is the body of POST <base>/api/resolve-transaction.
type resolveRequest struct {
	ChallengeResponse string `json:"challenge_response"`
}

func (p *Push) serveResolve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		problem(w, http.StatusMethodNotAllowed, "Method Not Allowed", "Use POST")
		return
	}
	txtkn, ok := parseBearer(r.Header.Get("Authorization"))
	if !ok {
		unauthorized(w, "A transaction token is required: Authorization: Bearer <txtkn>")
		return
	}
	var req resolveRequest
	if !readJSON(w, r, &req, false) {
		return
	}
	if err := p.Resolve(r.Context(), txtkn, req.ChallengeResponse); err != nil {
		deviceProblem(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deviceProblem answers an error of the device API.
func deviceProblem(w http.ResponseWriter, err error) {
	var rerr *RequestError
	switch {
	case errors.As(err, &rerr):
		problem(w, http.StatusBadRequest, "Bad Request", "Invalid "+rerr.Field+": "+rerr.Detail)
	case errors.Is(err, ErrInvalidProof):
		problem(w, http.StatusBadRequest, "Bad Request", "The signature of the device key is invalid")
	case errors.Is(err, ErrUnauthorized):
		unauthorized(w, "The device token is invalid")
	case errors.Is(err, ErrInvalidTransaction):
		unauthorized(w, "The transaction is invalid, expired or already answered")
	default:
		problem(w, http.StatusInternalServerError, "Internal Server Error", "The request could not be completed")
	}
}

func unauthorized(w http.ResponseWriter, detail string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	problem(w, http.StatusUnauthorized, "Unauthorized", detail)
}

// readJSON reads a JSON body of at most maxEnrollBody bytes into v,
// strictly, or answers the error and returns false. With emptyOK, an
// empty body is an empty object (a PATCH that changes nothing).
func readJSON(w http.ResponseWriter, r *http.Request, v any, emptyOK bool) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxEnrollBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			problem(w, http.StatusRequestEntityTooLarge, "Payload Too Large", "The body is too large")
			return false
		}
		problem(w, http.StatusBadRequest, "Bad Request", "The body could not be read")
		return false
	}
	if len(body) == 0 && emptyOK {
		return true
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		problem(w, http.StatusUnsupportedMediaType, "Unsupported Media Type", "The body must be application/json")
		return false
	}
	if err := jsonv2.Unmarshal(body, v, jsonv2.RejectUnknownMembers(true)); err != nil {
		problem(w, http.StatusBadRequest, "Bad Request", "The body must be one JSON object of the documented members, each once")
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := jsonv2.Marshal(v)
	if err != nil {
		problem(w, http.StatusInternalServerError, "Internal Server Error", "The request could not be completed")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// parseTicket reads `Ticket id="<ticket>"` (the scheme case-insensitive,
// one parameter, a quoted base64url value).
func parseTicket(h string) (string, bool) {
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Ticket") || len(rest) > 200 {
		return "", false
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(rest), `id="`)
	if !ok || !strings.HasSuffix(v, `"`) {
		return "", false
	}
	v = v[:len(v)-1]
	if v == "" || !base64URL(v) {
		return "", false
	}
	return v, true
}

// parseBearer reads `Bearer <token>` (the scheme case-insensitive, a
// base64url token of at most 256 characters).
func parseBearer(h string) (string, bool) {
	scheme, v, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || v == "" || len(v) > 256 || !base64URL(v) {
		return "", false
	}
	return v, true
}

func base64URL(v string) bool {
	return strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) < 0
}

// problem writes an error body shaped like the My Account API's.
func problem(w http.ResponseWriter, status int, title, detail string) {
	b, _ := jsonv2.Marshal(struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}{"about:blank", status, title, detail})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
