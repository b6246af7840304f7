// Package httpapi serves a verify.Verifier (a *verify.Service) over HTTP as
// the authentication-methods routes of the Auth0 My Account API —
// enrollment (start, verify), management (list, get, update, delete,
// factors) — and verifykit's sign-in extension: the step-up challenge and
// authenticate routes and, through Handler.PasskeySignIn, the anonymous
// usernameless passkey sign-in. README.md, "HTTP handler reference", lists
// the routes, their scopes, the validation rules and the problem types.
//
//	h, err := httpapi.New(httpapi.Config{
//		Verifier:      svc,
//		Authenticator: myAuth, // the host's access tokens or sessions
//		Limiter:       limiter,
//		BaseURL:       "https://id.example.com/me/v1",
//	})
//	mux.Handle("/me/v1/", h)
//
// The Handler holds no business logic. Every request runs these steps and
// stops at the first failure: match the route (404, 405); authenticate
// through Config.Authenticator (401 with an RFC 6750 §3 challenge, 400 for a
// malformed Authorization header); rate-limit per user and route (429);
// check the route's one scope (403 insufficient_scope); refuse undeclared or
// repeated query parameters (400); check the Content-Type (415), read at
// most Config.MaxBodyBytes (413) and validate the body against the spec
// (400); then call the Verifier, Manager or SignInService and write the
// spec's response or its ErrorResponse.
//
// # Security
//
//   - Authentication happens before any body is read; the body is bounded
//     (http.MaxBytesReader) and validated before the Verifier, and so
//     before any engine decodes base64, CBOR or a session (CB-10, GN-12).
//   - One JSON library, github.com/go-json-experiment/json (json/v2), reads
//     every request byte and writes every response, and a body is decoded
//     once. Its grammar is strict: invalid UTF-8, repeated member names
//     (a parser differential: Go keeps the last duplicate, others the
//     first), case variants of a name and trailing data are refused; the
//     handler bounds the nesting depth and checks each member against its
//     schema, refusing members the schema does not declare. Every refusal
//     is a 400 invalid_request whose validation_errors name the member and
//     its JSON pointer, without echoing its value.
//   - The path's authentication_method_id is used after exactly one
//     percent-decoding (GN-03). Every management and step-up call acts for
//     the authenticated subject only: another user's method id is answered
//     exactly like an unknown one (404), so ids cannot be probed.
//   - Rate limits are per user and route after authentication, per IP (per
//     /64 for IPv6) before it and on the anonymous passkey routes; a
//     limiter that fails fails the request (500), never open. Every answer
//     carries the x-ratelimit-* headers, and Cache-Control: no-store.
//   - Problem details are client-safe: a verify error's Detail, or a
//     generic text for a 500, whose cause goes to Config.Logger only. Logs
//     name the route, status, problem type, reason, user, method id and IP
//     of a failed request; never the Authorization header, the body, an
//     auth_session, a code or a password (GN-07).
//   - The request body is wiped once the route is done with it, the encoded
//     response body once written.
//   - The Client passed to the service (User-Agent, truncated to 512 bytes,
//     and Config.ClientIP) is informational; no security decision rests on
//     it.
//   - The Handler sets no CORS headers and answers OPTIONS with 405; CORS
//     wraps it for pages of listed origins. The Content-Type check keeps
//     every call a preflighted one.
//
// # Extending
//
// An Authenticator establishes the Principal; one that writes its own
// challenges (DPoP) implements Challenger, one that puts headers on every
// answer (DPoP nonces) HeaderSetter. Package tokenauth is one for JWT
// access tokens; StaticBearer is one for demos and tests.
package httpapi
