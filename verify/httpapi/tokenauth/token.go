package tokenauth

import (
	"context"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

var _ httpapi.Authenticator = (*Authenticator)(nil)

// Token is a validated access token, as AuthenticateToken returns it.
type Token struct {
	// Scheme is SchemeBearer or SchemeDPoP.
	Scheme string
	// Subject is the user: sub, with the mapped profile claims.
	Subject verify.Subject
	// Scopes is the scope claim split on spaces (empty without one).
	Scopes []string
	// Issuer, Audience, ClientID (client_id) and ID (jti) as in the token.
	Issuer   string
	Audience []string
	ClientID string
	ID       string
	// Expiry (exp) is set; IssuedAt (iat) and NotBefore (nbf) may be zero.
	Expiry    time.Time
	IssuedAt  time.Time
	NotBefore time.Time
	// AuthTime (auth_time), AMR (amr) and ACR (acr) describe how the user
	// authenticated; zero when the token does not say.
	AuthTime time.Time
	AMR      []string
	ACR      string
	// JKT is the DPoP key thumbprint the token is bound to (cnf.jkt,
	// RFC 9449 §6.1), verified against the request's proof; "" for an
	// unbound bearer token.
	JKT string
}

// Principal returns the httpapi.Principal of t.
func (t *Token) Principal() httpapi.Principal {
	return httpapi.Principal{Subject: t.Subject, Scopes: slices.Clone(t.Scopes)}
}

// Authenticate implements httpapi.Authenticator.
func (a *Authenticator) Authenticate(r *http.Request) (httpapi.Principal, error) {
	t, err := a.AuthenticateToken(r)
	if err != nil {
		return httpapi.Principal{}, err
	}
	return t.Principal(), nil
}

// Refresh loads the key set now (a JWKSURL or JWKSFile), ignoring
// JWKSMinInterval: call it at start to fail fast on a bad configuration.
// With a fixed Config.JWKS it does nothing.
func (a *Authenticator) Refresh(ctx context.Context) error {
	if a.keys.static {
		return nil
	}
	_, err := a.keys.refresh(ctx, nil, true)
	return err
}

// AuthenticateToken authenticates r and returns its validated token. A
// request without an Authorization header fails with
// httpapi.ErrNoCredentials before anything else is read (GN-12). Every
// other failure of the client is an *httpapi.AuthError matching
// verify.ErrUnauthenticated, whose cause's verify.ReasonOf names the
// failed check for logs; any other error (the key set cannot be loaded,
// the nonce store fails) is an outage. The steps, in order:
//
//  1. one Authorization header, scheme Bearer or DPoP as the mode allows,
//     token68 syntax (else invalid_request);
//  2. the access token: size, JOSE header (an allowed alg, typ, no crit),
//     the issuer's key by kid and alg, signature, then iss, aud, exp
//     (required), nbf, iat, sub, scope and cnf (else invalid_token);
//  3. the binding: a token with cnf.jkt only with the DPoP scheme and a
//     token without it only with Bearer (else invalid_token); for DPoP the
//     proof (RFC 9449 §4.3: else invalid_dpop_proof) and its key's
//     thumbprint equal to cnf.jkt (else invalid_token), then the proof's
//     jti is recorded, refusing a replay;
//  4. MaxAuthAge and ACRValues (else insufficient_user_authentication).
func (a *Authenticator) AuthenticateToken(r *http.Request) (*Token, error) {
	vals := r.Header.Values("Authorization")
	if len(vals) == 0 {
		return nil, httpapi.ErrNoCredentials
	}
	scheme, raw, err := parseAuthorization(vals)
	if err != nil {
		return nil, err
	}
	switch {
	case scheme == SchemeDPoP && a.mode == DPoPDisabled:
		return nil, fail(scheme, httpapi.CodeInvalidRequest, "dpop_unsupported", descDPoPUnsupported, nil)
	case scheme == SchemeBearer && a.mode == DPoPRequired:
		return nil, fail(scheme, httpapi.CodeInvalidToken, "dpop_required", descDPoPRequired, nil)
	}
	t, err := a.validateToken(r.Context(), scheme, raw)
	if err != nil {
		return nil, err
	}
	t.Scheme = scheme
	switch {
	case scheme == SchemeBearer && t.JKT != "":
		// RFC 9449 §7.2: a DPoP-bound token is useless to whoever stole it
		// only if it is never accepted as a bearer token.
		return nil, fail(scheme, httpapi.CodeInvalidToken, "dpop_bound_as_bearer", descBound, nil)
	case scheme == SchemeDPoP && t.JKT == "":
		return nil, fail(scheme, httpapi.CodeInvalidToken, "dpop_unbound_token", descNotBound, nil)
	case scheme == SchemeDPoP:
		if err := a.checkProof(r, raw, t.JKT); err != nil {
			return nil, err
		}
	}
	if err := a.checkAuthentication(scheme, t); err != nil {
		return nil, err
	}
	return t, nil
}

// parseAuthorization parses the Authorization header fields of a request
// that has at least one: exactly one, "Bearer" or "DPoP" (case-
// insensitive, RFC 9110 §11.1) and a token68 (RFC 9110 §11.2; RFC 6750's
// b64token).
func parseAuthorization(vals []string) (scheme, token string, err error) {
	if len(vals) != 1 {
		return "", "", fail("", httpapi.CodeInvalidRequest, "authorization_multiple", descMalformedHeader, nil)
	}
	s, rest, ok := strings.Cut(vals[0], " ")
	switch {
	case ok && strings.EqualFold(s, SchemeBearer):
		scheme = SchemeBearer
	case ok && strings.EqualFold(s, SchemeDPoP):
		scheme = SchemeDPoP
	default:
		return "", "", fail("", httpapi.CodeInvalidRequest, "authorization_scheme", descMalformedHeader, nil)
	}
	token = strings.TrimLeft(rest, " ")
	if !isToken68(token) {
		return "", "", fail(scheme, httpapi.CodeInvalidRequest, "authorization_syntax", descMalformedHeader, nil)
	}
	return scheme, token, nil
}

// isToken68 reports whether s is a token68:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isToken68(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// validateToken checks the access token's signature and claims.
func (a *Authenticator) validateToken(ctx context.Context, scheme, raw string) (*Token, error) {
	bad := func(reason string, cause error) error {
		return fail(scheme, httpapi.CodeInvalidToken, reason, descInvalidToken, cause)
	}
	if len(raw) > a.maxToken {
		return nil, bad("token_size", nil)
	}
	hdr, err := peekHeader(raw)
	if err != nil {
		return nil, bad("token_malformed", nil)
	}
	alg, _, err := hdr.str("alg")
	if err != nil || !slices.Contains(a.algs, jose.SignatureAlgorithm(alg)) {
		// "none", HS256 (a public key used as an HMAC secret), and any
		// algorithm not configured (RFC 8725 §3.1).
		return nil, bad("token_alg", nil)
	}
	typ, hasTyp, err := hdr.str("typ")
	if err != nil {
		return nil, bad("token_typ", nil)
	}
	switch mediaType(typ) {
	case "at+jwt":
	case "jwt":
		if a.requireATJWT {
			return nil, bad("token_typ", nil)
		}
	default:
		if hasTyp || a.requireATJWT {
			return nil, bad("token_typ", nil)
		}
	}
	if hdr.has("crit") || hdr.has("b64") {
		return nil, bad("token_crit", nil)
	}
	kid, _, err := hdr.str("kid")
	if err != nil {
		return nil, bad("token_malformed", nil)
	}
	jws, err := jose.ParseSignedCompact(raw, a.algs)
	if err != nil {
		return nil, bad("token_malformed", nil)
	}
	keys, err := a.keys.lookup(ctx, kid, jose.SignatureAlgorithm(alg))
	if err != nil {
		return nil, err // the key set cannot be loaded: an outage
	}
	if len(keys) == 0 {
		return nil, bad("token_kid", nil)
	}
	var payload []byte
	for _, k := range keys {
		if payload, err = jws.Verify(k.key); err == nil {
			break
		}
	}
	if err != nil {
		return nil, bad("token_signature", nil)
	}
	c, err := decodeObject(payload)
	if err != nil {
		return nil, bad("token_claims", nil)
	}
	return a.checkClaims(scheme, c)
}

// mediaType lowercases a typ value and drops "application/" (RFC 7515
// §4.1.9).
func mediaType(typ string) string {
	typ = strings.ToLower(typ)
	return strings.TrimPrefix(typ, "application/")
}

// checkClaims checks the claims of a token whose signature verified.
func (a *Authenticator) checkClaims(scheme string, c claims) (*Token, error) {
	bad := func(reason string) error {
		return fail(scheme, httpapi.CodeInvalidToken, reason, descInvalidToken, nil)
	}
	now := a.now()
	t := &Token{}
	var ok bool
	var err error

	if t.Issuer, ok, err = c.str("iss"); err != nil || !ok || t.Issuer != a.issuer {
		return nil, bad("token_iss")
	}
	if t.Audience, ok, err = c.audience(); err != nil || !ok || !slices.Contains(t.Audience, a.audience) {
		return nil, bad("token_aud")
	}
	if t.Expiry, ok, err = c.date("exp"); err != nil || !ok {
		return nil, bad("token_exp")
	}
	if !now.Before(t.Expiry.Add(a.leeway)) {
		return nil, fail(scheme, httpapi.CodeInvalidToken, "token_expired", descExpired, nil)
	}
	if t.NotBefore, _, err = c.date("nbf"); err != nil || now.Add(a.leeway).Before(t.NotBefore) {
		return nil, bad("token_nbf")
	}
	if t.IssuedAt, _, err = c.date("iat"); err != nil || now.Add(a.leeway).Before(t.IssuedAt) {
		return nil, bad("token_iat")
	}
	if a.maxLifetime > 0 && (t.IssuedAt.IsZero() || t.Expiry.Sub(t.IssuedAt) > a.maxLifetime ||
		now.Sub(t.IssuedAt) > a.maxLifetime+a.leeway) {
		return nil, bad("token_lifetime")
	}
	if t.Subject.ID, ok, err = c.str("sub"); err != nil || !ok || !validClaim(t.Subject.ID) {
		return nil, bad("token_sub")
	}
	scope, _, err := c.str("scope")
	if err != nil {
		return nil, bad("token_scope")
	}
	t.Scopes = strings.Fields(scope)
	if t.ClientID, _, err = c.str("client_id"); err != nil {
		return nil, bad("token_client_id")
	}
	if t.ID, _, err = c.str("jti"); err != nil {
		return nil, bad("token_jti")
	}
	if t.AuthTime, _, err = c.date("auth_time"); err != nil || now.Add(a.leeway).Before(t.AuthTime) {
		return nil, bad("token_auth_time")
	}
	if t.AMR, _, err = c.strs("amr"); err != nil {
		return nil, bad("token_amr")
	}
	if t.ACR, _, err = c.str("acr"); err != nil {
		return nil, bad("token_acr")
	}
	cnf, ok, err := c.object("cnf")
	if err != nil {
		return nil, bad("token_cnf")
	}
	if ok {
		// A confirmation this package cannot check (x5t#S256 of mTLS, a
		// jwk) must not let the token pass as a bearer token.
		jkt, _, err := cnf.str("jkt")
		if err != nil || !isThumbprint(jkt) {
			return nil, bad("token_cnf")
		}
		t.JKT = jkt
	}
	for _, m := range []struct {
		claim string
		dst   *string
	}{{a.nameClaim, &t.Subject.Name}, {a.emailClaim, &t.Subject.Email}, {a.usernameClaim, &t.Subject.Username}} {
		if m.claim == "" {
			continue
		}
		v, _, err := c.str(m.claim)
		if err != nil || len(v) > maxClaimLen {
			return nil, bad("token_profile_claim")
		}
		*m.dst = v
	}
	return t, nil
}

// validClaim reports whether s is a non-empty claim of at most maxClaimLen
// bytes without control characters.
func validClaim(s string) bool {
	if s == "" || len(s) > maxClaimLen {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// isThumbprint reports whether s is a base64url SHA-256 JWK thumbprint
// (RFC 7638: 43 characters, unpadded).
func isThumbprint(s string) bool {
	if len(s) != 43 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkAuthentication applies MaxAuthAge and ACRValues (RFC 9470).
func (a *Authenticator) checkAuthentication(scheme string, t *Token) error {
	if a.maxAuthAge > 0 {
		if t.AuthTime.IsZero() {
			return fail(scheme, CodeInsufficientUserAuthentication, "auth_time_missing", descStaleAuth, nil)
		}
		if a.now().Sub(t.AuthTime) > a.maxAuthAge {
			return fail(scheme, CodeInsufficientUserAuthentication, "auth_time_stale", descStaleAuth, nil)
		}
	}
	if len(a.acrValues) > 0 && !slices.Contains(a.acrValues, t.ACR) {
		return fail(scheme, CodeInsufficientUserAuthentication, "acr", descWeakAuth, nil)
	}
	return nil
}

// equalStrings compares two public values without an early exit.
func equalStrings(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
