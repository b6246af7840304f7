package tokenauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store/storetest"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
	"github.com/verifykit/verifykit/verify/httpapi/tokenauth"
)

// jwksServer serves a JWKS over TLS, counting fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	body    []byte
	status  int
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	s := &jwksServer{body: body, status: http.StatusOK}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		body, status := s.body, s.status
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(status int, body []byte) {
	s.mu.Lock()
	s.status, s.body = status, body
	s.mu.Unlock()
}

// urlFixture is a fixture whose keys come from a jwksServer.
func urlFixture(t *testing.T, cfg tokenauth.Config, keys ...*signingKey) (*fixture, *jwksServer) {
	srv := newJWKSServer(t, jwks(keys...))
	cfg.JWKSURL = srv.URL + "/.well-known/jwks.json"
	cfg.HTTPClient = srv.Client()
	return newFixture(t, cfg), srv
}

// requireOutage asserts err is a failure of the key source, not a client
// error: the handler answers 500.
func requireOutage(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	assert.Nil(t, verify.Kind(err), "an outage matches no client error kind: %v", err)
	var ae *httpapi.AuthError
	assert.False(t, errors.As(err, &ae))
}

func TestJWKSURL(t *testing.T) {
	m := keyMaterial()
	minInterval := tokenauth.DefaultJWKSMinInterval

	t.Run("fetched on first use and cached", func(t *testing.T) {
		f, srv := urlFixture(t, tokenauth.Config{}, m.es256)
		assert.Zero(t, srv.fetches.Load(), "New does not fetch a URL")
		for range 3 {
			_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
			require.NoError(t, err)
		}
		assert.EqualValues(t, 1, srv.fetches.Load())
	})

	t.Run("unknown kid: one refresh per interval, then rotation", func(t *testing.T) {
		f, srv := urlFixture(t, tokenauth.Config{}, m.es256)
		_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		require.NoError(t, err)
		rotated := f.token(m.es256b, nil)

		_, err = f.auth.AuthenticateToken(request("Bearer " + rotated))
		requireFailure(t, err, httpapi.CodeInvalidToken, "token_kid")
		assert.EqualValues(t, 1, srv.fetches.Load(), "no refresh within JWKSMinInterval of the last")

		f.clock.Advance(minInterval)
		_, err = f.auth.AuthenticateToken(request("Bearer " + rotated))
		requireFailure(t, err, httpapi.CodeInvalidToken, "token_kid")
		assert.EqualValues(t, 2, srv.fetches.Load(), "an unknown kid refreshes once")
		for _, kid := range []string{"a", "b", "c", "d"} {
			_, err = f.auth.AuthenticateToken(request("Bearer " + sign("ES256", m.client.priv, map[string]any{"kid": kid}, f.claims())))
			requireFailure(t, err, httpapi.CodeInvalidToken, "token_kid")
		}
		assert.EqualValues(t, 2, srv.fetches.Load(), "spraying kids does not hammer the issuer")

		srv.set(http.StatusOK, jwks(m.es256, m.es256b)) // the issuer rotates
		f.clock.Advance(minInterval)
		_, err = f.auth.AuthenticateToken(request("Bearer " + f.token(m.es256b, nil)))
		require.NoError(t, err)
		assert.EqualValues(t, 3, srv.fetches.Load())
		_, err = f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		require.NoError(t, err, "the old key stays while published")
		assert.EqualValues(t, 3, srv.fetches.Load())
	})

	t.Run("a key removed from the set stops working after JWKSRefresh", func(t *testing.T) {
		f, srv := urlFixture(t, tokenauth.Config{}, m.es256, m.es256b)
		_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		require.NoError(t, err)
		srv.set(http.StatusOK, jwks(m.es256b))
		f.clock.Advance(tokenauth.DefaultJWKSRefresh - time.Second)
		_, err = f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		require.NoError(t, err)
		f.clock.Advance(time.Second)
		_, err = f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		requireFailure(t, err, httpapi.CodeInvalidToken, "token_kid")
		assert.EqualValues(t, 2, srv.fetches.Load())
	})

	t.Run("issuer down before any key: an outage, retried per interval", func(t *testing.T) {
		f, srv := urlFixture(t, tokenauth.Config{}, m.es256)
		srv.set(http.StatusServiceUnavailable, []byte("down"))
		_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		requireOutage(t, err)
		assert.Contains(t, err.Error(), "status 503")
		_, err = f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		requireOutage(t, err)
		assert.EqualValues(t, 1, srv.fetches.Load())
		srv.set(http.StatusOK, jwks(m.es256))
		f.clock.Advance(minInterval)
		_, err = f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		require.NoError(t, err)
	})

	t.Run("issuer down after a good fetch: the last good set is kept", func(t *testing.T) {
		f, srv := urlFixture(t, tokenauth.Config{}, m.es256)
		_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		require.NoError(t, err)
		for _, body := range [][]byte{[]byte("<html>"), []byte(`{"keys":[]}`), jwks()} {
			srv.set(http.StatusOK, body)
			f.clock.Advance(tokenauth.DefaultJWKSRefresh)
			_, err = f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
			require.NoError(t, err, "a broken set %q never replaces a good one", body)
		}
		srv.set(http.StatusInternalServerError, nil)
		f.clock.Advance(tokenauth.DefaultJWKSRefresh)
		_, err = f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		require.NoError(t, err)
	})

	t.Run("a set carrying a private key is refused", func(t *testing.T) {
		f, srv := urlFixture(t, tokenauth.Config{}, m.es256)
		j := privateJWK(m.es256.priv)
		j["kid"] = m.es256.kid
		body, _ := json.Marshal(map[string]any{"keys": []any{j}})
		srv.set(http.StatusOK, body)
		_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		requireOutage(t, err)
		assert.Contains(t, err.Error(), "private")
	})

	t.Run("a set larger than JWKSMaxBytes is refused", func(t *testing.T) {
		f, srv := urlFixture(t, tokenauth.Config{JWKSMaxBytes: 1024}, m.es256)
		srv.set(http.StatusOK, append(jwks(m.es256), strings.Repeat(" ", 1024)...))
		_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		requireOutage(t, err)
		assert.Contains(t, err.Error(), "exceeds 1024 bytes")
	})

	t.Run("concurrent unknown kids share one fetch", func(t *testing.T) {
		f, srv := urlFixture(t, tokenauth.Config{}, m.es256)
		at := f.token(m.es256b, nil)
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 50)
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := f.auth.AuthenticateToken(request("Bearer " + at))
				errs <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			requireFailure(t, err, httpapi.CodeInvalidToken, "token_kid")
		}
		assert.EqualValues(t, 1, srv.fetches.Load())
	})

	t.Run("Refresh fetches now", func(t *testing.T) {
		f, srv := urlFixture(t, tokenauth.Config{}, m.es256)
		require.NoError(t, f.auth.Refresh(context.Background()))
		require.NoError(t, f.auth.Refresh(context.Background()))
		assert.EqualValues(t, 2, srv.fetches.Load(), "Refresh ignores JWKSMinInterval")
		srv.set(http.StatusNotFound, nil)
		require.Error(t, f.auth.Refresh(context.Background()))
		_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		require.NoError(t, err, "the failed Refresh kept the set")
	})

	t.Run("a cancelled request does not delay the next fetch", func(t *testing.T) {
		f, srv := urlFixture(t, tokenauth.Config{}, m.es256)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := request("Bearer " + f.token(nil, nil)).WithContext(ctx)
		_, err := f.auth.AuthenticateToken(r)
		require.ErrorIs(t, err, context.Canceled)
		_, err = f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
		require.NoError(t, err)
		assert.LessOrEqual(t, srv.fetches.Load(), int32(2))
	})
}

func TestJWKSFile(t *testing.T) {
	m := keyMaterial()
	path := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(path, jwks(m.es256), 0o600))
	f := newFixture(t, tokenauth.Config{JWKSFile: path})
	_, err := f.auth.AuthenticateToken(request("Bearer " + f.token(nil, nil)))
	require.NoError(t, err)

	require.NoError(t, os.WriteFile(path, jwks(m.es256, m.es256b), 0o600))
	_, err = f.auth.AuthenticateToken(request("Bearer " + f.token(m.es256b, nil)))
	requireFailure(t, err, httpapi.CodeInvalidToken, "token_kid")
	f.clock.Advance(tokenauth.DefaultJWKSMinInterval)
	_, err = f.auth.AuthenticateToken(request("Bearer " + f.token(m.es256b, nil)))
	require.NoError(t, err, "the file is re-read for an unknown kid")

	_, err = tokenauth.New(tokenauth.Config{Issuer: testIssuer, Audience: testAudience, DPoP: tokenauth.DPoPDisabled,
		JWKSFile: filepath.Join(t.TempDir(), "missing.json")}, nil)
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestJWKSParsing: which keys of a set are used.
func TestJWKSParsing(t *testing.T) {
	m := keyMaterial()
	key := func(k *signingKey, extra map[string]any) map[string]any {
		j := publicJWK(k.priv)
		j["kid"] = k.kid
		for n, v := range extra {
			j[n] = v
		}
		return j
	}
	set := func(keys ...any) []byte {
		b, err := json.Marshal(map[string]any{"keys": keys})
		require.NoError(t, err)
		return b
	}
	newAuth := func(body []byte, algs ...string) (*tokenauth.Authenticator, error) {
		cfg := tokenauth.Config{Issuer: testIssuer, Audience: testAudience, DPoP: tokenauth.DPoPDisabled, JWKS: body,
			Now: func() time.Time { return storetest.Epoch }}
		if algs != nil {
			cfg.Algorithms = algs
		}
		return tokenauth.New(cfg, nil)
	}
	f := newFixture(t, tokenauth.Config{})

	t.Run("skipped keys", func(t *testing.T) {
		good := key(m.ed, nil)
		a, err := newAuth(set(
			key(m.es256, map[string]any{"use": "enc"}),
			key(m.es256b, map[string]any{"key_ops": []string{"sign"}}),
			key(m.rs1024, nil),
			key(m.rs256, map[string]any{"alg": "RS512"}),
			map[string]any{"kty": "XYZ", "kid": "future"},
			map[string]any{"kty": "EC", "kid": "broken", "crv": "P-256", "x": "AAAA"},
			good,
		))
		require.NoError(t, err)
		for _, k := range []*signingKey{m.es256, m.es256b, m.rs1024, m.rs256} {
			_, err := a.AuthenticateToken(request("Bearer " + f.token(k, nil)))
			requireFailure(t, err, httpapi.CodeInvalidToken, "token_kid")
		}
		_, err = a.AuthenticateToken(request("Bearer " + f.token(m.ed, nil)))
		require.NoError(t, err)
	})
	t.Run("a JWK's alg pins its algorithm", func(t *testing.T) {
		a, err := newAuth(set(key(m.rs256, map[string]any{"alg": "PS256"})), "RS256", "PS256")
		require.NoError(t, err)
		_, err = a.AuthenticateToken(request("Bearer " + f.token(m.rs256, nil)))
		requireFailure(t, err, httpapi.CodeInvalidToken, "token_kid")
		_, err = a.AuthenticateToken(request("Bearer " + sign("PS256", m.rs256.priv, map[string]any{"kid": m.rs256.kid}, f.claims())))
		require.NoError(t, err)
	})
	t.Run("refused sets", func(t *testing.T) {
		many := make([]any, tokenauth.MaxJWKSKeys+1)
		for i := range many {
			many[i] = key(m.es256, nil)
		}
		for name, body := range map[string][]byte{
			"private EC key":    set(key(m.es256, map[string]any{"d": "AAAA"})),
			"private RSA prime": set(key(m.rs256, map[string]any{"p": "AAAA"})),
			"symmetric key":     set(map[string]any{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}),
			"no usable key":     set(key(m.es384, nil)),
			"empty":             set(),
			"no keys member":    []byte(`{"kty":"EC"}`),
			"not JSON":          []byte("<html>"),
			"key not an object": []byte(`{"keys":[1]}`),
			"too many keys":     set(many...),
			"too large":         append(set(key(m.es256, nil)), strings.Repeat(" ", tokenauth.DefaultJWKSMaxBytes)...),
		} {
			_, err := newAuth(body)
			assert.Error(t, err, name)
		}
	})
}
