package main

import (
	"bytes"
	"embed"
	"encoding/json"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/verifykit/verifykit/verify"
)

// The demo page: demo/index.html and demo/app.js, served at / and
// /demo/app.js. It enrolls the demo user's TOTP app, recovery code,
// passkey and security key through the API, with the token the server
// printed; the WebAuthn ceremonies run in the browser
// (navigator.credentials.create) and need the page at -origin.
//
//go:embed demo/index.html demo/app.js
var demoFiles embed.FS

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
	page, _ := demoFiles.ReadFile("demo/index.html")
	script, _ := demoFiles.ReadFile("demo/app.js")
	serve := func(ctype string, body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", ctype)
			h.Set("Cache-Control", "no-store")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' blob:; style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
			_, _ = w.Write(body)
		}
	}
	mux.HandleFunc("GET /{$}", serve("text/html; charset=utf-8", page))
	mux.HandleFunc("GET /demo/app.js", serve("text/javascript; charset=utf-8", script))
	mux.HandleFunc("GET /demo/config", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]any{"base_url": d.baseURL, "types": d.service.Types()})
	})
	mux.HandleFunc("POST /demo/qr", qrHandler(d.logger))
	demoSignIn(mux)
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
		if err != nil || json.Unmarshal(body, &req) != nil || len(req.Data) > maxQRData ||
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
