package tokenauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/go-jose/go-jose/v4"
)

// verifKey is one usable verification key of the issuer's JWKS.
type verifKey struct {
	kid string
	alg jose.SignatureAlgorithm // the JWK's "alg"; "" means any the key type allows
	key any                     // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// keySet is a parsed JWKS: its usable signing keys.
type keySet struct {
	all   []verifKey
	byKid map[string][]verifKey
}

// loaded is a key set and when it was loaded.
type loaded struct {
	set *keySet
	at  time.Time
}

// keyCache holds the issuer's key set, refreshing it when it is older than
// ttl or lacks a token's kid, at most once per minInterval.
type keyCache struct {
	algs        []jose.SignatureAlgorithm
	now         func() time.Time
	ttl         time.Duration
	minInterval time.Duration
	maxBytes    int64
	static      bool                                      // Config.JWKS: never refreshed
	source      string                                    // for errors: "file …", "url …"
	load        func(ctx context.Context) ([]byte, error) // reads the JWKS

	set atomic.Pointer[loaded]

	mu          sync.Mutex // serializes loads; guards the fields below
	lastAttempt time.Time
	lastErr     error
}

// lookup returns the keys that may verify a token signed with alg whose
// header names kid. An unknown kid, or a set older than ttl, triggers a
// refresh (at most one per minInterval, shared by concurrent callers).
// When a refresh fails the last good set stays in use; with none, lookup
// fails with the load error (an outage, not a bad token). No key is not
// an error: it returns nil.
func (c *keyCache) lookup(ctx context.Context, kid string, alg jose.SignatureAlgorithm) ([]verifKey, error) {
	cur := c.set.Load()
	if cur != nil && (c.static || c.now().Sub(cur.at) < c.ttl) {
		if ks := cur.set.find(kid, alg); len(ks) > 0 || c.static {
			return ks, nil
		}
	}
	cur, err := c.refresh(ctx, cur, false)
	if cur == nil {
		if err == nil {
			err = fmt.Errorf("tokenauth: jwks %s: not loaded", c.source)
		}
		return nil, err
	}
	return cur.set.find(kid, alg), nil
}

// refresh loads the key set unless another caller replaced seen meanwhile
// or, without force, the last attempt is more recent than minInterval.
// It returns the current set (possibly nil) and the load error, if any.
func (c *keyCache) refresh(ctx context.Context, seen *loaded, force bool) (*loaded, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.set.Load()
	if cur != seen && !force {
		return cur, nil
	}
	now := c.now()
	if !force && !c.lastAttempt.IsZero() && now.Sub(c.lastAttempt) < c.minInterval {
		return cur, c.lastErr
	}
	prev := c.lastAttempt
	c.lastAttempt = now
	data, err := c.load(ctx)
	var set *keySet
	if err == nil {
		set, err = parseJWKS(data, c.algs)
	}
	if err != nil {
		if ctx.Err() != nil {
			// The caller gave up: that says nothing about the issuer,
			// so the next caller may try at once.
			c.lastAttempt = prev
			return cur, fmt.Errorf("tokenauth: jwks %s: %w", c.source, err)
		}
		c.lastErr = fmt.Errorf("tokenauth: jwks %s: %w", c.source, err)
		return cur, c.lastErr
	}
	c.lastErr = nil
	l := &loaded{set: set, at: now}
	c.set.Store(l)
	return l, nil
}

// find returns the keys of kid usable with alg. A token without kid is
// accepted only when exactly one key of the set can verify alg.
func (s *keySet) find(kid string, alg jose.SignatureAlgorithm) []verifKey {
	cands := s.all
	if kid != "" {
		cands = s.byKid[kid]
	}
	var out []verifKey
	for _, k := range cands {
		if (k.alg == "" || k.alg == alg) && compatible(alg, k.key) {
			out = append(out, k)
		}
	}
	if kid == "" && len(out) != 1 {
		return nil
	}
	return out
}

// compatible reports whether key can verify alg: the key type and curve
// fix the algorithm family, so no RSA key verifies an ES256 or HS256
// signature, and no P-256 key an ES384 one.
func compatible(alg jose.SignatureAlgorithm, key any) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		switch alg {
		case jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512:
			return k.N.BitLen() >= minRSABits
		}
	case *ecdsa.PublicKey:
		switch alg {
		case jose.ES256:
			return k.Curve == elliptic.P256()
		case jose.ES384:
			return k.Curve == elliptic.P384()
		case jose.ES512:
			return k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == jose.EdDSA && len(k) == ed25519.PublicKeySize
	}
	return false
}

// privateMembers are JWK members that carry private or symmetric key
// material (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"}

// parseJWKS parses a JWK Set (RFC 7517 §5). A set carrying private or
// symmetric key material is refused whole: the issuer has published a
// secret. Keys that cannot verify any of algs, are not for signing ("use"
// other than "sig", "key_ops" without "verify"), are of an unknown type or
// are malformed are skipped, as §5 asks; a set left with no key is an
// error, so a broken set never replaces a good one. The set is decoded
// with json/v2: a member name repeated in the set or in any key, invalid
// UTF-8, and a "keys" member spelt in another case make it not a JWK Set.
func parseJWKS(data []byte, algs []jose.SignatureAlgorithm) (*keySet, error) {
	var doc struct {
		Keys []jsontext.Value `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not a JWK Set: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New("not a JWK Set: no keys member")
	}
	if len(doc.Keys) > maxJWKSKeys {
		return nil, fmt.Errorf("JWK Set has %d keys, more than %d", len(doc.Keys), maxJWKSKeys)
	}
	s := &keySet{byKid: make(map[string][]verifKey)}
	for i, raw := range doc.Keys {
		var members map[string]jsontext.Value
		if err := json.Unmarshal(raw, &members); err != nil {
			return nil, fmt.Errorf("JWK Set key %d is not an object", i)
		}
		for _, m := range privateMembers {
			if _, ok := members[m]; ok {
				return nil, fmt.Errorf("JWK Set key %d carries private or symmetric key material (%q)", i, m)
			}
		}
		if !forSigning(members) {
			continue
		}
		var jwk jose.JSONWebKey
		if err := json.Unmarshal(raw, &jwk); err != nil || !jwk.Valid() || !jwk.IsPublic() {
			continue
		}
		k := verifKey{kid: jwk.KeyID, alg: jose.SignatureAlgorithm(jwk.Algorithm), key: jwk.Key}
		usable := false
		for _, alg := range algs {
			if (k.alg == "" || k.alg == alg) && compatible(alg, k.key) {
				usable = true
				break
			}
		}
		if !usable {
			continue
		}
		s.all = append(s.all, k)
		s.byKid[k.kid] = append(s.byKid[k.kid], k)
	}
	if len(s.all) == 0 {
		return nil, errors.New("JWK Set has no key usable with the configured algorithms")
	}
	return s, nil
}

// forSigning reports whether a JWK's use and key_ops allow verifying
// signatures (RFC 7517 §4.2, §4.3).
func forSigning(members map[string]jsontext.Value) bool {
	if raw, ok := members["use"]; ok {
		var use string
		if json.Unmarshal(raw, &use) != nil || use != "sig" {
			return false
		}
	}
	if raw, ok := members["key_ops"]; ok {
		var ops []string
		if json.Unmarshal(raw, &ops) != nil || !slices.Contains(ops, "verify") {
			return false
		}
	}
	return true
}

// fetch GETs a JWKS of at most max bytes.
func fetch(ctx context.Context, client *http.Client, url string, max int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	return readBounded(resp.Body, max)
}

// readBounded reads r whole, failing if it exceeds max bytes.
func readBounded(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("key set exceeds %d bytes", max)
	}
	return data, nil
}
