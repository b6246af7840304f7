package httpapi_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// The HTTP adapter's bounds: authentication before the body is read
// (GN-12), per-field caps (CB-10) and the body cap (WA-35).

// GN-12: the principal is authenticated before the body is parsed.
func TestBodyIsNotReadBeforeAuthentication(t *testing.T) {
	fake := &fakeVerifier{}
	f := newFixture(t, options{verifier: fake})
	body := &countingReader{r: strings.NewReader(`{"auth_session":1}`)}
	hr := httptest.NewRequest(http.MethodPost, verifyPath("totp|dev_1"), body)
	hr.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, hr)
	requireProblem(t, rec, http.StatusUnauthorized, httpapi.ProblemUnauthorized)
	assert.Zero(t, body.n.Load(), "the body is not read before authentication")
	assert.Zero(t, fake.calls.Load())
}

// CB-10: size limits apply per field before JSON, base64 and CBOR decoding.
//
// Per-field caps apply before anything decodes base64 or CBOR:
// a 64 KiB clientDataJSON and a 256 KiB attestationObject are
// refused, by the field cap or the body cap.
func TestOversizedProofFieldsAreRefusedBeforeDecoding(t *testing.T) {
	f := newFixture(t, options{cfg: func(c *httpapi.Config) { c.MaxBodyBytes = 1 << 20 }})
	e := f.start(t, aliceToken, `{"type":"passkey"}`)
	rec := f.do(t, req{path: verifyPath(e.ID), token: aliceToken,
		body: `{"auth_session":"` + e.AuthSession + `","authn_response":` + strings.Replace(goodAuthn, `"clientDataJSON":"c"`, `"clientDataJSON":"`+strings.Repeat("c", 64<<10)+`"`, 1) + `}`})
	requireProblem(t, rec, 400, httpapi.ProblemInvalidRequest)
	rec = f.do(t, req{path: verifyPath(e.ID), token: aliceToken,
		body: `{"auth_session":"` + e.AuthSession + `","authn_response":` + strings.Replace(goodAuthn, `"attestationObject":"o"`, `"attestationObject":"`+strings.Repeat("o", 256<<10)+`"`, 1) + `}`})
	requireProblem(t, rec, 400, httpapi.ProblemInvalidRequest)
	assert.Zero(t, f.engines[verify.TypePasskey].confirms.Load())
}

// WA-35: the request size is bounded before parsing.
//
// A 1 MiB body with a 900 KiB attestationObject is refused with
// 413 after reading at most MaxBodyBytes.
func TestOversizedBodyIsRefusedAfterReadingAtMostTheCap(t *testing.T) {
	f := newFixture(t, options{verifier: &fakeVerifier{}})
	body := `{"auth_session":"s","authn_response":` + strings.Replace(goodAuthn, `"attestationObject":"o"`, `"attestationObject":"`+strings.Repeat("o", 900<<10)+`"`, 1) + `}`
	body += strings.Repeat(" ", 1<<20-len(body))
	r := &countingReader{r: strings.NewReader(body)}
	hr := httptest.NewRequest(http.MethodPost, verifyPath("passkey|new"), r)
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+aliceToken)
	rec := httptest.NewRecorder()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f.h.ServeHTTP(rec, hr)
	runtime.ReadMemStats(&after)
	requireProblem(t, rec, http.StatusRequestEntityTooLarge, httpapi.ProblemPayloadTooLarge)
	assert.LessOrEqual(t, r.n.Load(), int64(httpapi.DefaultMaxBodyBytes+32<<10), "reading stops near the cap")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(512<<10), "no allocation of the order of the body")
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
