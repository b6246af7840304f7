package tokenauth

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// checkProof checks the request's DPoP proof for the access token raw
// bound to the key thumbprint jkt, following RFC 9449 §4.3 (the step
// numbers below), §7.1 (ath) and §6.1 (cnf.jkt), and records its jti.
func (a *Authenticator) checkProof(r *http.Request, raw, jkt string) error {
	bad := func(reason string, cause error) error {
		return fail(SchemeDPoP, CodeInvalidDPoPProof, reason, descInvalidProof, cause)
	}
	// 1. Exactly one DPoP header field, holding one JWT.
	vals := r.Header.Values("DPoP")
	switch {
	case len(vals) == 0:
		return fail(SchemeDPoP, CodeInvalidDPoPProof, "dpop_missing", descMissingProof, nil)
	case len(vals) > 1:
		return fail(SchemeDPoP, CodeInvalidDPoPProof, "dpop_multiple", descMissingProof, nil)
	}
	proof := vals[0]
	if len(proof) > maxProofBytes {
		return bad("dpop_size", nil)
	}
	// 2, 4, 5, 7. A JWT whose header has typ dpop+jwt, an allowed
	// asymmetric alg, and a public jwk.
	hdr, err := peekHeader(proof)
	if err != nil {
		return bad("dpop_malformed", nil)
	}
	if typ, _, err := hdr.str("typ"); err != nil || strings.ToLower(typ) != "dpop+jwt" {
		return bad("dpop_typ", nil)
	}
	alg, _, err := hdr.str("alg")
	if err != nil || !slices.Contains(a.proofAlgs, jose.SignatureAlgorithm(alg)) {
		return bad("dpop_alg", nil)
	}
	jwkMembers, ok, err := hdr.object("jwk")
	if err != nil || !ok {
		return bad("dpop_jwk", nil)
	}
	for _, m := range privateMembers {
		if jwkMembers.has(m) {
			return bad("dpop_jwk_private", nil)
		}
	}
	if hdr.has("crit") || hdr.has("b64") {
		return bad("dpop_crit", nil)
	}
	jws, err := jose.ParseSignedCompact(proof, a.proofAlgs)
	if err != nil {
		return bad("dpop_malformed", nil)
	}
	key := jws.Signatures[0].Protected.JSONWebKey
	if key == nil || !key.Valid() || !key.IsPublic() || !compatible(jose.SignatureAlgorithm(alg), key.Key) {
		return bad("dpop_jwk", nil)
	}
	// 6. The signature verifies with that key.
	payload, err := jws.Verify(key.Key)
	if err != nil {
		return bad("dpop_signature", nil)
	}
	// 3. The required claims, of their types.
	c, err := decodeObject(payload)
	if err != nil {
		return bad("dpop_claims", nil)
	}
	jti, ok1, err1 := c.str("jti")
	htm, ok2, err2 := c.str("htm")
	htu, ok3, err3 := c.str("htu")
	iat, ok4, err4 := c.date("iat")
	ath, ok5, err5 := c.str("ath")
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil || !(ok1 && ok2 && ok3 && ok4 && ok5) ||
		jti == "" || len(jti) > maxClaimLen {
		return bad("dpop_claims", nil)
	}
	// 8. htm is the request's method.
	if htm != r.Method {
		return bad("dpop_htm", nil)
	}
	// 9. htu is the request's URI without query and fragment, compared
	// after normalization; the expected URI comes from Config.PublicURL.
	got, err := normalizeHTU(htu)
	if err != nil {
		return bad("dpop_htu", nil)
	}
	want, err := normalizeHTU(a.publicURL + r.URL.EscapedPath())
	if err != nil || got != want {
		return bad("dpop_htu", nil)
	}
	// 10. With server nonces (§8, §9), the nonce is the one the server
	// provides now, or the one before it.
	if a.serverNonces != nil {
		nonce, _, err := c.str("nonce")
		ok := false
		if err == nil && nonce != "" {
			var verr error
			if ok, verr = a.serverNonces.valid(r.Context(), nonce); verr != nil {
				return verr
			}
		}
		if !ok {
			return fail(SchemeDPoP, CodeUseDPoPNonce, "dpop_nonce", descUseNonce, nil)
		}
	}
	// 11. iat is recent: within ProofMaxAge in the past, Leeway in the
	// future.
	now := a.now()
	if iat.After(now.Add(a.leeway)) || iat.Add(a.proofMaxAge+a.leeway).Before(now) {
		return bad("dpop_iat", nil)
	}
	// 12. ath is the hash of the access token presented with the proof.
	if !equalStrings(ath, accessTokenHash(raw)) {
		return bad("dpop_ath", nil)
	}
	// §6.1: the proof key is the key the token is bound to.
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return bad("dpop_jwk", nil)
	}
	if !equalStrings(jkt, base64.RawURLEncoding.EncodeToString(tp)) {
		return fail(SchemeDPoP, httpapi.CodeInvalidToken, "dpop_binding", descBinding, nil)
	}
	// §11.1: the jti is used once while the proof could be fresh. The key
	// is scoped to the proof key, so no client can burn another's jti.
	h := sha256.New()
	h.Write([]byte("verifykit/tokenauth dpop jti\x00"))
	h.Write(tp)
	h.Write([]byte(jti))
	expires := iat.Add(a.proofMaxAge + a.leeway + time.Second) // +1 s: iat is truncated to the second
	if err := a.nonces.UseNonce(r.Context(), h.Sum(nil), expires); err != nil {
		if errors.Is(err, store.ErrConsumed) {
			return bad("dpop_replay", nil)
		}
		return fmt.Errorf("tokenauth: nonce store: %w", err)
	}
	return nil
}

// accessTokenHash is the ath of an access token: the base64url SHA-256 of
// its ASCII bytes (RFC 9449 §4.2).
func accessTokenHash(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// normalizeHTU normalizes an http(s) URI for the htu comparison of RFC 9449
// §4.3 step 9 with RFC 3986 §6.2.2 and §6.2.3: lowercase scheme and host,
// no default port, an empty path as "/", percent-encodings in uppercase and
// decoded when they encode an unreserved character. A URI with a query, a
// fragment, userinfo or no host is refused: htu has none (§4.2).
func normalizeHTU(s string) (string, error) {
	if strings.ContainsAny(s, "?#") {
		return "", errors.New("a URI with a query or fragment")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", errors.New("not a URI")
	}
	scheme := strings.ToLower(u.Scheme)
	if (scheme != "https" && scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", errors.New("not an absolute http(s) URI without userinfo")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" || strings.ContainsAny(host, "[]") {
		return "", errors.New("a URI without a valid host")
	}
	if strings.Contains(host, ":") {
		if net.ParseIP(host) == nil {
			return "", errors.New("a URI without a valid host")
		}
		host = "[" + host + "]"
	}
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	path := normalizePercent(u.EscapedPath())
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, nil
}

// normalizePercent uppercases percent-encodings and decodes those of
// unreserved characters (RFC 3986 §6.2.2.1, §6.2.2.2). s is a valid
// escaped path.
func normalizePercent(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+2 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		c := unhex(s[i+1])<<4 | unhex(s[i+2])
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
		} else {
			b.WriteString(strings.ToUpper(s[i : i+3]))
		}
		i += 2
	}
	return b.String()
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}
