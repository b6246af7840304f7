// Package httpapi serves a verify.Verifier (a *verify.Service) over HTTP as
// the authentication-methods routes of the Auth0 My Account API —
// enrollment, management — and verifykit's sign-in extension: step-up
// challenge and authenticate and, through Handler.PasskeySignIn, the
// anonymous usernameless passkey sign-in. README.md, "HTTP handler
// reference", lists the routes, scopes, validation rules and problem types.
//
//	h, err := httpapi.New(httpapi.Config{
//		Verifier:      svc,
//		Authenticator: myAuth, // the host's access tokens or sessions
//		Limiter:       limiter,
//		BaseURL:       "https://id.example.com/me/v1",
//	})
//	mux.Handle("/me/v1/", h)
//
// Every request runs these steps and stops at the first failure: match
// the route (404, 405); authenticate through Config.Authenticator (401 with
// an RFC 6750 §3 challenge); rate-limit per user and route (429); check the
// route's one scope (403); refuse undeclared or repeated query parameters
// (400); check the Content-Type (415), read at most Config.MaxBodyBytes
// (413) and validate the body (400); call the service and write the
// spec's response, or its ErrorResponse.
//
// # Security
//
//   - Authentication happens before any body is read; the body is bounded
//     and validated before the service, and so before any engine decodes
//     base64, CBOR or a session (CB-10, GN-12).
//   - One JSON library, json/v2 (github.com/go-json-experiment/json), reads
//     every request byte and writes every response; a body is decoded once.
//     Invalid UTF-8, repeated or case-variant member names, trailing data,
//     nesting beyond Config.MaxDepth and members the schema does not
//     declare are refused, each with a 400 whose validation_errors name the
//     member and its JSON pointer without echoing its value.
//   - The path's authentication_method_id is percent-decoded exactly once
//     (GN-03). Every call acts for the authenticated subject only: another
//     user's method id is answered exactly like an unknown one (404).
//   - Rate limits apply per user and route after authentication, per IP
//     (per /64 for IPv6) before it and on the anonymous routes; a limiter
//     that fails fails the request (500), never open.
//   - Problem details are client-safe; a 500's cause goes to Config.Logger
//     only. Logs never carry the Authorization header, the body, an
//     auth_session, a code or a password (GN-07). Every response has
//     Cache-Control: no-store; request and response bodies are wiped once
//     used.
//   - The Client passed to the service (User-Agent truncated to 512 bytes,
//     Config.ClientIP) is informational; no security decision rests on it.
//   - The Handler sets no CORS headers (CORS wraps it for listed origins);
//     the Content-Type check keeps every call a preflighted one.
//
// An Authenticator that writes its own challenges (DPoP) implements
// Challenger, one that puts headers on every answer (DPoP nonces)
// HeaderSetter; package tokenauth is one for JWT access tokens.
package httpapi
