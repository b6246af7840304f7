package main

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestFrontDoor: paths under the API prefix reach the API handler as they
// are (no redirect, no cleaning), everything else the mux, which still
// redirects the bare prefix to its subtree.
func TestFrontDoor(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Got", "api "+r.URL.Path) })
	mux := http.NewServeMux()
	mux.Handle("/me/v1/", api)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Got", "mux "+r.URL.Path) })
	h := frontDoor("/me/v1/", api, mux)
	for path, want := range map[string]string{
		"/me/v1/authentication-methods":              "api /me/v1/authentication-methods",
		"/me/v1/authentication-methods/x%7Cy/verify": "api /me/v1/authentication-methods/x|y/verify",
		"/me/v1//authentication-methods":             "api /me/v1//authentication-methods",
		"/":                                          "mux /",
		"/demo.js":                                   "mux /demo.js",
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, nil))
		assert.Equal(t, want, w.Header().Get("X-Got"), path)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/me/v1", nil))
	assert.Equal(t, http.StatusTemporaryRedirect, w.Code, "the mux redirects the bare prefix")
}
