package push

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// EnrollHandler serves the device API's enrollment, POST <base>/api/enroll,
// wherever the host mounts it (it does not look at the path):
//
//	mux.Handle("POST /push/api/enroll", engine.EnrollHandler())
//
// It reads the ticket from "Authorization: Ticket id="<enrollment_tx_id>"",
// strictly decodes a JSON EnrollRequest of at most MaxEnrollBody bytes
// (unknown members, trailing data and duplicate bodies are refused) and
// calls Enroll. Answers, with a problem body {type, status, title, detail}
// for errors:
//
//	201 EnrollResponse                 the device is enrolled
//	400 invalid request or proof       (ErrInvalidRequest, ErrInvalidProof)
//	401 invalid ticket                 missing, malformed, unknown, expired or used
//	405, 413, 415                      wrong method, body too large, not JSON
//	500                                an internal failure (details are not shown)
func (p *Push) EnrollHandler() http.Handler {
	return http.HandlerFunc(p.serveEnroll)
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
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		problem(w, http.StatusUnsupportedMediaType, "Unsupported Media Type", "The body must be application/json")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxEnrollBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			problem(w, http.StatusRequestEntityTooLarge, "Payload Too Large", "The body is too large")
			return
		}
		problem(w, http.StatusBadRequest, "Bad Request", "The body could not be read")
		return
	}
	var req EnrollRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		problem(w, http.StatusBadRequest, "Bad Request", "The body must be one JSON enrollment request without unknown members")
		return
	}
	resp, err := p.Enroll(r.Context(), ticket, &req)
	var rerr *RequestError
	switch {
	case err == nil:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(resp)
	case errors.Is(err, ErrInvalidTicket):
		w.Header().Set("WWW-Authenticate", `Ticket error="invalid_ticket"`)
		problem(w, http.StatusUnauthorized, "Unauthorized", "The enrollment ticket is invalid, expired or already used")
	case errors.As(err, &rerr):
		problem(w, http.StatusBadRequest, "Bad Request", "Invalid "+rerr.Field+": "+rerr.Detail)
	case errors.Is(err, ErrInvalidProof):
		problem(w, http.StatusBadRequest, "Bad Request", "The proof of possession of the device key is invalid")
	default:
		problem(w, http.StatusInternalServerError, "Internal Server Error", "The enrollment could not be completed")
	}
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
	if v == "" || strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) >= 0 {
		return "", false
	}
	return v, true
}

// problem writes an error body shaped like the My Account API's.
func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}{"about:blank", status, title, detail})
}
