// Package tokenauth implements an httpapi.Authenticator for OAuth 2.0 JWT
// access tokens (RFC 9068, RFC 7519) presented with the Bearer scheme
// (RFC 6750) or bound to a client key and presented with the DPoP scheme
// and a proof (RFC 9449), verified against the issuer's JSON Web Key Set
// (RFC 7517) from a file or an https URL.
//
//	nonces, _ := memory.New(memory.Config{}) // or a shared store.Nonces
//	auth, err := tokenauth.New(tokenauth.Config{
//		Issuer:    "https://tenant.example.com/",
//		Audience:  "https://tenant.example.com/me/",
//		JWKSURL:   "https://tenant.example.com/.well-known/jwks.json",
//		PublicURL: "https://tenant.example.com", // what clients put in htu
//	}, nonces)
//	h, err := httpapi.New(httpapi.Config{Authenticator: auth, …})
//
// The Principal's Subject.ID is the token's sub and its Scopes its scope
// claim; Config.NameClaim, EmailClaim and UsernameClaim map profile
// claims. AuthenticateToken returns the whole validated Token (auth_time,
// amr, acr, client_id, cnf.jkt) for hosts with their own policy.
//
// # Security
//
// Access tokens (AuthenticateToken documents the order of the checks):
//   - A request without an Authorization header is refused with
//     httpapi.ErrNoCredentials before anything is parsed (GN-12).
//   - Only asymmetric algorithms exist (RS*, PS*, ES*, EdDSA; default
//     RS256, ES256, EdDSA): "none" and HS* cannot be configured, so a
//     public key is never used as an HMAC secret (RFC 8725 §2.1, §3.1).
//     The JOSE header's alg must be allowed and fit the key found by kid:
//     its type and curve (an ES256 signature is never checked with an RSA
//     key or a P-384 key), and the JWK's own alg when it names one. crit
//     and b64 are refused; jku, x5u, x5c and jwk in a token's header are
//     ignored — keys come from the configured set only.
//   - typ must be at+jwt, JWT or absent (only at+jwt with RequireATJWT), so
//     a DPoP proof or another JWT type is never taken for an access token.
//   - iss must equal Config.Issuer and aud contain Config.Audience; exp is
//     required; exp, nbf, iat and auth_time are checked with Config.Leeway
//     of skew (default 30 s, at most 5 min); with MaxTokenLifetime, iat is
//     required, and exp − iat and the token's age must not exceed it.
//   - Claims are read with exact, case-sensitive names and checked types;
//     sub must be 1 to 1024 bytes without control characters. A claims
//     set, JOSE header or JWK Set that repeats a member name (RFC 7519 §4)
//     or is not UTF-8 is refused. The token is bounded
//     (Config.MaxTokenBytes) before it is decoded.
//   - A token with a cnf this package cannot check (mTLS x5t#S256) is
//     refused rather than accepted as a bearer token.
//
// DPoP (RFC 9449):
//   - A token with cnf.jkt is accepted only with the DPoP scheme; presented
//     as Bearer it is refused with invalid_token (§7.2), so a stolen bound
//     token is useless without the client's private key. A DPoP-scheme
//     token must carry cnf.jkt. DPoPRequired refuses bearer tokens
//     altogether; DPoPDisabled refuses the DPoP scheme.
//   - The proof (§4.3) must be the one DPoP header field, at most
//     8 KiB; a JWS of typ dpop+jwt with an allowed asymmetric alg
//     and a public jwk (a jwk with private or symmetric members is refused),
//     whose signature verifies with that jwk; with jti, htm, htu, iat and
//     ath. htm must equal the request method; htu the request's URI
//     without query and fragment, built from Config.PublicURL and the
//     request path — never from Host or X-Forwarded-* — compared after
//     RFC 3986 normalization; iat within ProofMaxAge (default 1 min) in the
//     past and Leeway in the future; ath the SHA-256 of the token (§4.2);
//     and the RFC 7638 thumbprint of the jwk equal to cnf.jkt (§6.1).
//   - The jti is recorded in the store.Nonces until the proof's iat leaves
//     the window, after every other check, so an invalid proof consumes
//     nothing and a replay is refused for as long as the proof could be
//     fresh. Of concurrent uses of one proof exactly one is accepted. The
//     record's key is a SHA-256 of the proof key's thumbprint and the jti:
//     a client cannot burn another's jti. store/memory and store/sqlstore
//     implement store.Nonces; processes sharing a database share the
//     record, so a proof replayed to another process is refused too.
//   - With Config.DPoPNonces, the proof's nonce must be the server's
//     current nonce or the one before it (§8, §9; step 10), else the
//     request is refused with error="use_dpop_nonce". Every answer of the
//     guarded routes carries the current nonce in DPoP-Nonce (through
//     httpapi.HeaderSetter). Nonces are 256 random bits per
//     DPoPNonceRotation period, kept in a store.ServerNonces so that
//     processes sharing a database agree; the nonce check runs before the
//     jti is recorded, so a refused proof consumes nothing.
//
// Key set:
//   - Config.JWKSURL must be https; the default client times out after
//     10 s and follows redirects to https URLs only. The set is read at most
//     Config.JWKSMaxBytes (256 KiB) and 100 keys. A set carrying private or
//     symmetric key material is refused whole; keys not for signing, of an
//     unknown type, RSA under 2048 bits or malformed are skipped (RFC 7517
//     §5); a set left with no usable key never replaces a good one.
//   - The set is cached for JWKSRefresh (1 h). A token whose kid is unknown
//     triggers one refresh (key rotation), but at most one fetch happens
//     per JWKSMinInterval (1 min), shared by concurrent requests, so a
//     client spraying kids cannot make the server hammer the issuer. A
//     key removed from the set stops verifying at the next refresh. When a
//     refresh fails, the last good set stays in use; with none, requests
//     fail as an outage (500), never as a bad token.
//
// Step-up (RFC 9470, SECURITY-CHECKLIST GN-01): Config.MaxAuthAge requires
// auth_time no older than it, and Config.ACRValues an acr among them; a
// token that fails is refused with 401 and
// error="insufficient_user_authentication" with max_age or acr_values, so
// that the client re-authenticates the user before enrolling a factor.
//
// # Errors
//
// Client failures are *httpapi.AuthError values matching
// verify.ErrUnauthenticated, with the RFC 6750 code (invalid_request,
// answered 400, for a malformed header; invalid_token), RFC 9449's
// invalid_dpop_proof or RFC 9470's insufficient_user_authentication, and a
// description that never echoes the token and does not say which check of
// a signature or claim failed (GN-08). The failed check is the reason of
// the cause (verify.ReasonOf), which httpapi logs: authorization_multiple,
// authorization_scheme, authorization_syntax, token_size, token_malformed,
// token_alg, token_typ, token_crit, token_kid, token_signature,
// token_claims, token_iss, token_aud, token_exp, token_expired, token_nbf,
// token_iat, token_lifetime, token_sub, token_scope, token_cnf, token_profile_claim, …,
// dpop_required, dpop_unsupported, dpop_bound_as_bearer,
// dpop_unbound_token, dpop_missing, dpop_multiple, dpop_size,
// dpop_malformed, dpop_typ, dpop_alg, dpop_jwk, dpop_jwk_private,
// dpop_crit, dpop_signature, dpop_claims, dpop_htm, dpop_htu, dpop_iat,
// dpop_ath, dpop_binding, dpop_replay, auth_time_missing, auth_time_stale,
// acr. Key-set and nonce-store failures are plain errors (500).
//
// The Authenticator implements httpapi.Challenger: WWW-Authenticate offers
// `Bearer realm="…"` and `DPoP realm="…", algs="…"` (RFC 9449 §7.1) as the
// mode allows, with the error on the scheme the request used.
package tokenauth
