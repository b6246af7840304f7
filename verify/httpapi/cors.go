package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rs/cors"
)

// CORS returns middleware that lets pages of the given origins call the
// wrapped handler from a browser (the Fetch standard's CORS protocol), as a
// single-page app on another origin calls Auth0's My Account API. It is
// github.com/rs/cors configured for these routes:
//
//   - only the listed origins are allowed, compared exactly; there is no
//     wildcard, and "null" is refused;
//   - preflights are answered for the routes' methods (GET, POST, PATCH,
//     DELETE) and the request headers Authorization, DPoP and
//     Content-Type;
//   - responses expose Location, WWW-Authenticate, DPoP-Nonce, Retry-After
//     and the x-ratelimit-* headers to the page;
//   - credentials (cookies) are not allowed: the API takes its access token
//     in the Authorization header;
//   - every response carries Vary: Origin.
//
// Each origin is "scheme://host[:port]" with an http or https scheme and
// nothing after the authority. Wrap the Handler, and the sign-in routes a
// host mounts at its root, where pages of other origins call them:
//
//	withCORS, err := httpapi.CORS("https://app.example.com")
//	mux.Handle("/me/v1/", withCORS(h))
func CORS(origins ...string) (func(http.Handler) http.Handler, error) {
	if len(origins) == 0 {
		return nil, fmt.Errorf("httpapi: CORS needs at least one origin")
	}
	for _, o := range origins {
		if err := checkOrigin(o); err != nil {
			return nil, err
		}
	}
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete},
		AllowedHeaders: []string{"Authorization", "DPoP", "Content-Type"},
		ExposedHeaders: []string{
			"Location", "WWW-Authenticate", "DPoP-Nonce", "Retry-After",
			"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
		},
		MaxAge: 600,
	})
	return c.Handler, nil
}

// checkOrigin accepts a serialized origin (RFC 6454 §6.1) of an http or
// https URL.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.Contains(o, "*") ||
		u.Scheme+"://"+u.Host != o {
		return fmt.Errorf("httpapi: CORS origin %q is not scheme://host[:port] with scheme http or https", o)
	}
	return nil
}
