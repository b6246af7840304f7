package main

import (
	"bytes"
	"context"
	"embed"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/passkey"
	"github.com/verifykit/verifykit/verify"
)

// The account-security page: demo/index.html with demo/account.js and
// demo/account.css, served at /. With the token the server printed, it
// lists the demo user's methods (type, name, created_at, last_auth_at),
// renames and removes them, and enrolls every type the server offers
// through the My Account API; the WebAuthn ceremonies run in the browser
// (navigator.credentials.create) and need the page at -origin. It links to
// the sign-in page at /signin.
//
// Beside the API, the page uses three demo-only routes:
//
//	GET  /demo/config                  {"base_url", "types"}
//	POST /demo/qr                      {"data": "otpauth://…"} → image/png
//	GET  /demo/authenticators/{aaguid} {"name", "icon_light"?, "icon_dark"?} or {}
//
// The last names a passkey's authenticator, which the passkey schema
// cannot carry: passkey.Engine.Authenticator, from -aaguid-names (or MDS
// metadata). Icons are data:image URLs from that file, never fetched.
//
//go:embed demo/index.html demo/account.js demo/account.css demo/signin.html demo/signin.js demo/signin.css
var demoFiles embed.FS

// demoCSP is the Content-Security-Policy of the demo's files: scripts and
// styles only from the server's own files (no inline script or style),
// connections only to the server, images from the server, blob: (the QR
// code) and data: (authenticator icons of the configured file).
const demoCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// demoDeps is what the demo routes use.
type demoDeps struct {
	service *verify.Service
	baseURL string
	logger  *slog.Logger
}

// maxQRData bounds what /demo/qr encodes: an otpauth URI is far shorter.
const maxQRData = 1024

// demo adds the demo page and its helpers to mux.
func demo(mux *http.ServeMux, d demoDeps) {
	for pattern, f := range map[string]struct{ file, ctype string }{
		"GET /{$}":              {"demo/index.html", "text/html; charset=utf-8"},
		"GET /demo/account.js":  {"demo/account.js", "text/javascript; charset=utf-8"},
		"GET /demo/account.css": {"demo/account.css", "text/css; charset=utf-8"},
	} {
		body, err := demoFiles.ReadFile(f.file)
		if err != nil {
			panic(err) // embedded above: cannot happen
		}
		mux.HandleFunc(pattern, serveDemoFile(f.ctype, body))
	}
	mux.HandleFunc("GET /demo/config", func(w http.ResponseWriter, r *http.Request) {
		writeDemoJSON(w, struct {
			BaseURL string        `json:"base_url"`
			Types   []verify.Type `json:"types"`
		}{d.baseURL, d.service.Types()})
	})
	mux.HandleFunc("POST /demo/qr", qrHandler(d.logger))
	mux.HandleFunc("GET /demo/authenticators/{aaguid}", authenticatorHandler(d.service))
	demoSignIn(mux)
}

// serveDemoFile serves one embedded file with the demo's security headers.
func serveDemoFile(ctype string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", demoCSP)
		_, _ = w.Write(body)
	}
}

func writeDemoJSON(w http.ResponseWriter, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	_ = json.MarshalWrite(w, v)
}

// authenticatorNamer is what the passkey engine offers to name an
// authenticator model (passkey.Engine.Authenticator).
type authenticatorNamer interface {
	Authenticator(ctx context.Context, aaguid string) (passkey.AuthenticatorInfo, bool)
}

// authenticatorHandler answers GET /demo/authenticators/{aaguid}: the
// name and data:image icons of the authenticator model, or {} when the
// AAGUID is unknown, all-zero, malformed, or passkeys are not served. It
// tells only what the configuration file (or MDS) says of a model, so it
// takes no token.
func authenticatorHandler(svc *verify.Service) http.HandlerFunc {
	var namer authenticatorNamer
	if e, ok := svc.Engine(verify.TypePasskey); ok {
		namer, _ = e.(authenticatorNamer)
	}
	type answer struct {
		Name      string `json:"name,omitempty"`
		IconLight string `json:"icon_light,omitempty"`
		IconDark  string `json:"icon_dark,omitempty"`
	}
	return func(w http.ResponseWriter, r *http.Request) {
		var a answer
		if namer != nil {
			if info, ok := namer.Authenticator(r.Context(), r.PathValue("aaguid")); ok {
				a = answer{Name: info.Name, IconLight: dataImage(info.IconLight), IconDark: dataImage(info.IconDark)}
			}
		}
		writeDemoJSON(w, a)
	}
}

// dataImage keeps a data:image URL and drops anything else, so that the
// page never fetches an icon (the passkey engine already drops others).
func dataImage(s string) string {
	if strings.HasPrefix(s, "data:image/") {
		return s
	}
	return ""
}

// qrHandler renders {"data":"otpauth://…"} as a PNG QR code. The URI
// carries the TOTP secret, so it travels in a POST body, never in a URL
// that logs and histories keep, and nothing of it is logged.
func qrHandler(logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Data string `json:"data"`
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxQRData+64))
		if err != nil || json.Unmarshal(body, &req, json.RejectUnknownMembers(true)) != nil || len(req.Data) > maxQRData ||
			!strings.HasPrefix(req.Data, "otpauth://") {
			http.Error(w, "want {\"data\":\"otpauth://…\"}", http.StatusBadRequest)
			return
		}
		code, err := qr.Encode(req.Data, qr.M, qr.Auto)
		if err == nil {
			code, err = barcode.Scale(code, 256, 256)
		}
		var buf bytes.Buffer
		if err == nil {
			err = png.Encode(&buf, code)
		}
		if err != nil {
			logger.Error("demo: render QR code", slog.String("error", err.Error()))
			http.Error(w, "cannot render the QR code", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(buf.Bytes())
	}
}
