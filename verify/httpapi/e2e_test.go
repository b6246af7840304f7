package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/base32"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/verify"
)

// realFixture serves the real TOTP, recovery-code and e-mail engines.
type realFixture struct {
	*fixture
	outbox *syncBuffer
}

func newRealFixture(t *testing.T) *realFixture {
	t.Helper()
	rf := &realFixture{outbox: &syncBuffer{}}
	rf.fixture = newFixture(t, options{svc: func(c *verify.Config) {
		now := c.Now
		totp, err := otp.NewTOTP(otp.TOTPConfig{Issuer: "verifykit test", Now: now})
		require.NoError(t, err)
		rc, err := otp.NewRecoveryCode(otp.RecoveryCodeConfig{HashKey: bytes.Repeat([]byte{7}, 32)})
		require.NoError(t, err)
		limiter, err := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: now})
		require.NoError(t, err)
		email, err := otp.NewEmail(otp.EmailConfig{HashKey: bytes.Repeat([]byte{9}, 32), Now: now,
			SendLimit: verify.Limit{Requests: 2, Window: time.Hour}}, otp.NewOutbox(rf.outbox), limiter)
		require.NoError(t, err)
		c.Engines = []verify.Engine{totp, rc, email}
	}})
	return rf
}

func totpCode(t *testing.T, manual string, at time.Time) string {
	t.Helper()
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(manual)
	require.NoError(t, err)
	code, err := otp.TOTPKey{Algorithm: otp.SHA1, Digits: 6, Period: 30 * time.Second, Secret: secret}.Code(at)
	require.NoError(t, err)
	return code
}

func TestEndToEndTOTP(t *testing.T) {
	f := newRealFixture(t)
	e := f.start(t, aliceToken, `{"type":"totp"}`)
	u, err := url.Parse(e.BarcodeURI)
	require.NoError(t, err)
	assert.Equal(t, "otpauth", u.Scheme)
	assert.Equal(t, e.ManualInputCode, u.Query().Get("secret"))

	code := totpCode(t, e.ManualInputCode, f.clock.Now())
	wrong := []byte(code)
	wrong[0] = '0' + (wrong[0]-'0'+1)%10
	rec := f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, `,"otp_code":"`+string(wrong)+`"`)})
	requireProblem(t, rec, 400, "invalid_proof")
	rec = f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, `,"otp_code":"`+code+`"`)})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	var m map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &m))
	assert.Equal(t, "totp", m["type"])
	assert.Equal(t, true, m["confirmed"])
	assert.Equal(t, base+"/authentication-methods/"+escape(e.ID), rec.Header().Get("Location"))
	assert.NotContains(t, rec.Body.String(), e.ManualInputCode)
}

// TestEndToEndTOTPOathtool confirms a TOTP enrollment with the code of an
// independent implementation, oathtool, at the fixture's clock.
func TestEndToEndTOTPOathtool(t *testing.T) {
	path, err := exec.LookPath("oathtool")
	requirePeer(t, err == nil, "oathtool")
	f := newRealFixture(t)
	e := f.start(t, aliceToken, `{"type":"totp"}`)
	out, err := exec.Command(path, "--totp", "-b", "-N", "@"+strconv.FormatInt(f.clock.Now().Unix(), 10), e.ManualInputCode).Output()
	require.NoError(t, err)
	code := strings.TrimSpace(string(out))
	require.Len(t, code, 6)
	rec := f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, `,"otp_code":"`+code+`"`)})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
}

func TestEndToEndRecoveryCode(t *testing.T) {
	f := newRealFixture(t)
	e := f.start(t, aliceToken, `{"type":"recovery-code"}`)
	assert.Len(t, e.RecoveryCode, 24)
	rec := f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, `,"otp_code":"`+e.RecoveryCode+`"`)})
	requireProblem(t, rec, 400, "invalid_request")
	rec = f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, "")})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	assert.NotContains(t, rec.Body.String(), e.RecoveryCode)
	rec = f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, "")})
	requireProblem(t, rec, 400, "session_already_used")
}

// TestEndToEndEmail reads the code from the development outbox, and checks
// that the engine's own send throttling is answered 429 with its bucket.
func TestEndToEndEmail(t *testing.T) {
	f := newRealFixture(t)
	e := f.start(t, aliceToken, `{"type":"email","email":"alice@example.com"}`)
	var line otp.OutboxLine
	sc := bufio.NewScanner(strings.NewReader(f.outbox.String()))
	require.True(t, sc.Scan())
	require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
	assert.Equal(t, "alice@example.com", line.To)
	rec := f.do(t, req{path: verifyPath(e.ID), token: aliceToken, body: verifyBody(e.AuthSession, `,"otp_code":"`+line.Code+`"`)})
	require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"email":"alice@example.com"`)

	f.start(t, aliceToken, `{"type":"email","email":"alice@example.com"}`)
	rec = f.do(t, req{path: createPath, token: aliceToken, body: `{"type":"email","email":"alice@example.com"}`})
	requireProblem(t, rec, http.StatusTooManyRequests, "rate_limited")
	assert.Equal(t, "2", rec.Header().Get("X-RateLimit-Limit"), "the engine's send bucket, not the route's")
	assert.Equal(t, "0", rec.Header().Get("X-RateLimit-Remaining"))
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))
}
