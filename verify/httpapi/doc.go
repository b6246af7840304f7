// Package httpapi serves a verify.Verifier (a *verify.Service) over HTTP as
// the authentication-methods routes of the Auth0 My Account API:
//
//	route                                                   operationId                  scope                            success
//	POST   {prefix}/authentication-methods                  createAuthenticationMethod   create:me:authentication_methods 202
//	POST   {prefix}/authentication-methods/{id}/verify      confirmAuthenticationMethod  create:me:authentication_methods 201
//	GET    {prefix}/authentication-methods[?type=]          getAuthenticationMethods     read:me:authentication_methods   200
//	GET    {prefix}/authentication-methods/{id}             getAuthenticationMethod      read:me:authentication_methods   200
//	PATCH  {prefix}/authentication-methods/{id}             updateAuthenticationMethod   update:me:authentication_methods 200
//	DELETE {prefix}/authentication-methods/{id}             deleteAuthenticationMethod   delete:me:authentication_methods 204
//	GET    {prefix}/factors                                 getFactors                   read:me:factors                  200
//
// and verifykit's sign-in extension (signin.go), served when the Verifier
// or Config.SignIn is a SignInService:
//
//	POST   {prefix}/authentication-methods/{id}/challenge   challengeAuthenticationMethod     authenticate:me:authentication_methods 200
//	POST   {prefix}/authentication-methods/{id}/authenticate authenticateAuthenticationMethod authenticate:me:authentication_methods 200
//	POST   /passkey/challenge, /passkey/authenticate        (Handler.PasskeySignIn: anonymous, limited per client IP)     200
//
// ({id} is the spec's authentication_method_id.) It holds no business
// logic: it authenticates the caller, applies the rate limit, checks the
// route's scope, validates the request strictly against the spec, calls
// the Verifier (or the Manager) and writes the spec's responses — 202 with
// the enrollment (the spec's creation responses) and 201 with the confirmed
// method, each with a Location of Config.BaseURL + "/authentication-methods/" +
// url.PathEscape(id); 200 with {"authentication_methods": [...]} (at most
// 20, oldest first), one method, or {"factors": [...]}; 204 without a body
// for a deletion — or the spec's ErrorResponse.
//
// The last five routes need a Manager: Config.Manager, or the Verifier
// itself when it implements Manager, as *verify.Service does. Without one
// they are not served — their paths answer 404, and GET
// /authentication-methods 405 with Allow: POST — so a host that embeds only
// the enrollment flow exposes nothing else.
//
// Mount it under a host's mux with its prefix:
//
//	h, err := httpapi.New(httpapi.Config{
//		Verifier:      svc,
//		Authenticator: myAuth, // the host's access tokens or sessions
//		Limiter:       limiter,
//		BaseURL:       "https://id.example.com/me/v1",
//	})
//	mux.Handle("/me/v1/", h)
//
// # Request order
//
// Every request runs these steps and stops at the first failure: match the
// route (404, or 405 with Allow); authenticate through Config.Authenticator
// (401 with WWW-Authenticate: Bearer …, RFC 6750 §3; 400 for a malformed
// Authorization header); apply the per-user, per-route rate limit (429);
// check the route's scope, exactly the one of the table above: a token
// with only create:me:authentication_methods is refused GET, PATCH and
// DELETE (403, error="insufficient_scope", scope="…" naming the one
// needed); check the query string (400, see Strictness); for PATCH and the
// POST routes, check the Content-Type (415 unless application/json,
// optionally with charset=utf-8, and without a Content-Encoding other than
// identity), read at most Config.MaxBodyBytes (413) and validate the body
// (400); call the Verifier or Manager.
//
// # Strictness
//
// Request bodies are validated before anything else decodes them. A body
// must be UTF-8, one JSON object with nothing after it, nested at most
// Config.MaxDepth deep, and must not repeat a member name in any object
// (a parser differential: Go keeps the last duplicate, others the first);
// member names match exactly, so "Type" is not "type" but an unknown
// member.
// Then, against CreateAuthenticationMethodRequestContent,
// VerifyAuthenticationMethodRequestContent and
// UpdateAuthenticationMethodRequestContent: required members present,
// every member of its JSON type, enums and patterns as the spec says, the
// spec's maxLength (authn_response.id and rawId 1364,
// response.attestationObject 2000 and clientDataJSON 1000 unless raised by
// Config.MaxAttestationObject and Config.MaxClientDataJSON, transports
// items 100, new_password 1–256 characters without control characters,
// connection 1–128 of [A-Za-z0-9-], identity_user_id 1–255 without
// whitespace, preferred_authentication_method sms or voice) and no member
// the spec does not declare. Each problem is one
// validation_errors entry naming the member (field, dotted) and its JSON
// pointer (pointer) with a detail that never echoes the value; at most 16
// entries.
//
// Query strings are held to the same rule: each route accepts only the
// parameters the spec declares for it — type on GET /authentication-methods,
// none elsewhere — each at most once. A malformed query string, an
// undeclared parameter (a cache-buster such as ?_=1 included) or a
// repeated one is a 400 invalid_request whose validation_errors name the
// parameter (field, without a pointer: pointers point into bodies). type
// must be one of the spec's FactorTypeEnum.
//
// verifykit is stricter than the spec in documented ways, each a bound no
// valid request reaches or a rule the spec's siblings already follow:
//
//   - members the spec leaves unbounded are bounded: auth_session by
//     Config.MaxAuthSession (default 4096, session.Sealer's default token
//     limit), otp_code 64, email 320, phone_number 64, transports 16 items;
//   - unknown members are refused everywhere, including the two objects the
//     spec leaves open: the passkey start body (CreatePasskeyAuthenticationMethod
//     has no additionalProperties: false, unlike every other start body) and
//     authn_response's top level (the members of WebAuthn's
//     RegistrationResponseJSON the spec lists are the only ones accepted).
//     A browser's PublicKeyCredential.toJSON() also puts authenticatorData,
//     publicKey and publicKeyAlgorithm into response, which the spec's
//     AuthenticatorAttestationResponseData (additionalProperties: false)
//     refuses: clients send only attestationObject, clientDataJSON and
//     transports there;
//   - a verify body may carry at most one of otp_code, authn_response and
//     new_password (the spec's anyOf admits no body with two); whether the
//     proof suits the sealed method type is the service's check;
//   - a PATCH name is 1 to 100 characters (verify.MaxNameLength) without
//     control characters, where the spec says only "string"; an empty
//     body {} is accepted and changes nothing;
//   - undeclared query parameters are refused rather than ignored.
//
// # Extensions to the spec
//
//   - The start body accepts the types webauthn-platform and
//     webauthn-roaming, which the public start schema no longer lists but
//     FactorTypeEnum, the verify schemas and the method schemas keep, with
//     the passkey payload's members (connection, identity_user_id,
//     use_exclude_credentials).
//   - Statuses beyond each operation's list, all with the ErrorResponse
//     body: 413 (body over MaxBodyBytes), 404 and 409 (the verify kinds
//     ErrNotFound and ErrConflict: a method that exists already, a
//     concurrent update), 500. PATCH and DELETE of an unknown id, or of
//     another user's, answer 404 like GET, which the spec lists only for
//     GET. Outside the routes: 404 and 405.
//   - Every response, errors included, carries x-ratelimit-limit,
//     x-ratelimit-remaining and x-ratelimit-reset (Unix seconds, rounded
//     up); 429 adds retry-after (seconds, rounded up). Requests that reach
//     no user (no or bad credentials, no route) count against a per-IP
//     bucket (Config.AnonymousRateLimit; an IPv6 address counts as its /64)
//     whose state those headers report. A 204 carries them too.
//     An engine's own throttling (verify.Error of kind ErrRateLimited with
//     a RateLimit, e.g. codes sent to one phone) is answered 429 with that
//     bucket's headers.
//   - Every response has Cache-Control: no-store (bodies carry
//     auth_sessions, TOTP secrets and recovery codes) and
//     X-Content-Type-Options: nosniff.
//
// # Errors
//
// Error bodies are the spec's ErrorResponse, {type, status, title, detail,
// validation_errors?}, with Content-Type application/json (the spec's media
// type; not application/problem+json). type is one of the Problem*
// constants:
//
//	status  type                    when
//	400     invalid_request         malformed body, member or query parameter (validation_errors says where)
//	400     invalid_session         auth_session tampered with, or for another user, method id or proof
//	400     session_expired         auth_session expired
//	400     session_already_used    auth_session already confirmed a method
//	400     too_many_attempts       the session's attempts are used up (it is void)
//	400     invalid_proof           wrong code, attestation that does not verify, refused password
//	400     enrollment_pending      the push device has not enrolled yet
//	400/401 unauthorized            malformed Authorization header / no or bad credentials
//	403     forbidden               policy refusal
//	403     insufficient_scope      the token lacks the route's scope
//	404     not_found               no route; no such method of this user (verify.ErrNotFound)
//	405     method_not_allowed      the path exists with another method
//	409     conflict                verify.ErrConflict: the method exists already, it changed
//	                                concurrently, or deleting it would leave the user without a
//	                                primary method (verify.Config.AllowNoPrimary lifts that)
//	413     payload_too_large       body over MaxBodyBytes
//	415     unsupported_media_type  Content-Type not application/json
//	429     rate_limited            a rate limit was hit; see retry-after
//	500     internal_error          anything else: a store outage, a limiter error, a panic
//
// The detail of a verify error is its Detail, which verify and its engines
// keep client-safe; a 500's detail is generic and its cause goes to
// Config.Logger only. Misuse — a tampered, expired, reused or foreign
// auth_session, one for another method id, a payload of the wrong shape for
// the sealed type, a wrong code once the attempts are used up — is a 400
// and changes nothing but the session's attempt count.
//
// # Security
//
//   - The path's authentication_method_id is used verbatim after exactly
//     one percent-decoding: phone%7Cdev_1 is "phone|dev_1"; phone%257Cdev_1
//     is "phone%7Cdev_1", which no session is bound to (SECURITY-CHECKLIST
//     GN-03; the pending enrollment is not stored, so the answer is the
//     invalid_session 400 rather than a 404).
//   - Every management call acts for the authenticated subject only: an id
//     of another user's method is answered exactly like an unknown id
//     (404, same detail), so ids cannot be probed across users, and
//     PATCH and DELETE of it change nothing.
//   - Updates and deletions are audit events of the Service's Observer
//     (verify.EventUpdated, verify.EventDeleted) carrying the client's
//     address and user agent, which the handler passes as the Client
//     argument.
//   - Authentication happens before any body is read, and the body is
//     bounded (http.MaxBytesReader) and validated before the Verifier — and
//     so before any engine decodes base64, CBOR or a session (CB-10, GN-12).
//   - Rate limits are per user and route after authentication, per IP
//     before it; a limiter that fails fails the request (500), never open.
//   - Logs (Config.Logger) name the route, status, problem type, reason
//     code, user, method id and IP of each failed request; never the
//     Authorization header, the body, an auth_session, a code or a password
//     (GN-07). Events of the enrollment itself come from the Service's
//     Observer.
//   - The Client passed to the Verifier (User-Agent, truncated to 512 bytes,
//     and Config.ClientIP) is informational; no security decision rests on
//     it.
//   - The handler sets no CORS headers and answers OPTIONS with 405. A host
//     serving browser clients of other origins wraps it in its own CORS
//     policy; the Content-Type check keeps every call a preflighted one.
//   - StaticBearer, the demo Authenticator, compares SHA-256 digests of
//     tokens in constant time over every configured token.
//   - One JSON library, github.com/go-json-experiment/json (json/v2),
//     reads every request byte and writes every response. A request body
//     is decoded once, by one json/v2 pass into a struct of its members
//     (decodeJSON): the grammar, UTF-8, repeated and case-variant names
//     and the depth bound are the decoder's, then each member is checked
//     against its schema. authn_response is kept as sent, and handed to
//     the passkey engine as such.
//   - Request bodies (auth_sessions, codes, passwords) go through buffers
//     the Handler reuses, each wiped over its whole capacity before it is
//     reused; the decoded request never shares memory with one. The
//     encoded response body is wiped once written.
//
// # Extending
//
// Routes are a table (routes.go) of operationId, method, path, scope,
// declared query parameters and body flag. An Authenticator that writes
// its own challenges (DPoP) implements Challenger.
package httpapi
