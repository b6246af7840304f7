package tokenauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// serverNonces issues and checks DPoP server nonces (RFC 9449 §8): one
// random 256-bit nonce per rotation period, kept in the store so that
// every process sharing it issues and accepts the same one. Each process
// caches the nonces of the current and previous periods; the store is
// asked once per period and process.
type serverNonces struct {
	store    store.ServerNonces
	rotation time.Duration
	now      func() time.Time

	mu    sync.Mutex
	cache map[int64]string // period → nonce
}

// nonceBytes is the size of a server nonce's random value.
const nonceBytes = 32

// get returns the nonce of period p, from the cache or the store.
func (n *serverNonces) get(ctx context.Context, p int64) (string, error) {
	n.mu.Lock()
	v, ok := n.cache[p]
	n.mu.Unlock()
	if ok {
		return v, nil
	}
	candidate := make([]byte, nonceBytes)
	_, _ = rand.Read(candidate) // crypto/rand.Read never fails (Go 1.24+)
	// A nonce is accepted in its own period and the next one.
	expires := time.Unix(0, (p+2)*int64(n.rotation))
	b, err := n.store.ServerNonce(ctx, p, candidate, expires)
	if err != nil {
		return "", fmt.Errorf("tokenauth: server nonce: %w", err)
	}
	v = base64.RawURLEncoding.EncodeToString(b)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cache == nil {
		n.cache = make(map[int64]string)
	}
	n.cache[p] = v
	for q := range n.cache {
		if q < p-1 {
			delete(n.cache, q)
		}
	}
	return v, nil
}

func (n *serverNonces) period() int64 { return n.now().UnixNano() / int64(n.rotation) }

// current returns the nonce to hand to clients now.
func (n *serverNonces) current(ctx context.Context) (string, error) {
	return n.get(ctx, n.period())
}

// valid reports whether nonce is the current or the previous period's
// nonce, comparing in constant time.
func (n *serverNonces) valid(ctx context.Context, nonce string) (bool, error) {
	p := n.period()
	cur, err := n.get(ctx, p)
	if err != nil {
		return false, err
	}
	prev, err := n.get(ctx, p-1)
	if err != nil {
		return false, err
	}
	a := subtle.ConstantTimeCompare([]byte(nonce), []byte(cur))
	b := subtle.ConstantTimeCompare([]byte(nonce), []byte(prev))
	return a|b == 1, nil
}

var _ httpapi.HeaderSetter = (*Authenticator)(nil)

// SetHeaders implements httpapi.HeaderSetter: with Config.DPoPNonces, it
// sets DPoP-Nonce to the current server nonce on every answer (RFC 9449
// §8.2: a client picks up a new nonce from any response). Without it,
// it sets nothing.
func (a *Authenticator) SetHeaders(r *http.Request, h http.Header) error {
	if a.serverNonces == nil {
		return nil
	}
	v, err := a.serverNonces.current(r.Context())
	if err != nil {
		return err
	}
	h.Set("DPoP-Nonce", v)
	return nil
}
