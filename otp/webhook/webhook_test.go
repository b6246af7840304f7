package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/otp"
)

var testKey = []byte("webhook-test-key-0123456789abcde")

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// gateway is a webhook receiver on loopback that answers with the next of
// its statuses (the last one repeats) and records what it received.
type gateway struct {
	srv      *httptest.Server
	mu       sync.Mutex
	statuses []int
	headers  map[string]string // set on every answer
	got      []received
}

type received struct {
	header http.Header
	body   []byte
}

func newGateway(t *testing.T, statuses ...int) *gateway {
	g := &gateway{statuses: statuses}
	g.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		g.mu.Lock()
		g.got = append(g.got, received{r.Header.Clone(), body})
		st := g.statuses[0]
		if len(g.statuses) > 1 {
			g.statuses = g.statuses[1:]
		}
		for k, v := range g.headers {
			w.Header().Set(k, v)
		}
		g.mu.Unlock()
		if st == http.StatusFound {
			w.Header().Set("Location", "https://elsewhere.example/")
		}
		w.WriteHeader(st)
		_, _ = io.WriteString(w, "answer body with 999999")
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *gateway) requests() []received {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]received(nil), g.got...)
}

// sleeps records the waits asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func newSender(t *testing.T, g *gateway, mod func(*Config)) (*Sender, *sleeps) {
	t.Helper()
	sl := &sleeps{}
	cfg := Config{URL: g.srv.URL + "/sms?tenant=a", Key: testKey, Client: g.srv.Client(), Now: func() time.Time { return epoch }, Sleep: sl.sleep}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	require.NoError(t, err)
	return s, sl
}

var msg = otp.Message{
	Channel: otp.ChannelSMS, To: "+15551234567", Code: "012345",
	Text: "Your verification code is 012345.", ExpiresAt: epoch.Add(5 * time.Minute),
}

func TestSend(t *testing.T) {
	g := newGateway(t, http.StatusAccepted)
	s, sl := newSender(t, g, nil)
	require.NoError(t, s.Send(context.Background(), msg))
	reqs := g.requests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.NoError(t, Verify(testKey, r.header.Get(SignatureHeader), r.body, epoch, 0))
	assert.Equal(t, sign(testKey, epoch, r.body), r.header.Get(SignatureHeader))
	var p map[string]any
	require.NoError(t, json.Unmarshal(r.body, &p))
	assert.Regexp(t, `^[0-9a-f]{32}$`, p["id"])
	assert.Equal(t, p["id"], r.header.Get("Idempotency-Key"))
	delete(p, "id")
	assert.Equal(t, map[string]any{
		"channel": "sms", "to": "+15551234567", "code": "012345",
		"text": "Your verification code is 012345.", "expires_at": "2026-01-02T03:09:05Z",
	}, p)
	assert.Empty(t, sl.d)
}

func TestRetries(t *testing.T) {
	t.Run("5xx then success, same id, re-signed", func(t *testing.T) {
		g := newGateway(t, 503, 500, 200)
		s, sl := newSender(t, g, func(c *Config) { c.Backoff = time.Second })
		require.NoError(t, s.Send(context.Background(), msg))
		reqs := g.requests()
		require.Len(t, reqs, 3)
		for _, r := range reqs {
			assert.Equal(t, reqs[0].header.Get("Idempotency-Key"), r.header.Get("Idempotency-Key"))
			assert.Equal(t, reqs[0].body, r.body)
			require.NoError(t, Verify(testKey, r.header.Get(SignatureHeader), r.body, epoch, 0))
		}
		require.Len(t, sl.d, 2)
		assert.True(t, sl.d[0] >= 500*time.Millisecond && sl.d[0] <= time.Second, "first wait %v in [Backoff/2, Backoff]", sl.d[0])
		assert.True(t, sl.d[1] >= time.Second && sl.d[1] <= 2*time.Second, "second wait %v in [Backoff, 2·Backoff]", sl.d[1])
	})
	t.Run("429 honours Retry-After up to maxBackoff", func(t *testing.T) {
		g := newGateway(t, 429, 429, 200)
		g.headers = map[string]string{"Retry-After": "20"}
		s, sl := newSender(t, g, func(c *Config) { c.Backoff = time.Millisecond })
		require.NoError(t, s.Send(context.Background(), msg))
		assert.Equal(t, []time.Duration{20 * time.Second, 20 * time.Second}, sl.d)
		g.headers = map[string]string{"Retry-After": "3600"}
		g.statuses = []int{429, 200}
		require.NoError(t, s.Send(context.Background(), msg))
		assert.Equal(t, maxBackoff, sl.d[2])
	})
	t.Run("retries used up", func(t *testing.T) {
		g := newGateway(t, 502)
		s, sl := newSender(t, g, func(c *Config) { c.MaxAttempts = 4 })
		err := s.Send(context.Background(), msg)
		require.ErrorIs(t, err, errUnavailable)
		assert.Contains(t, err.Error(), "status 502")
		assert.Len(t, g.requests(), 4)
		assert.Len(t, sl.d, 3)
	})
	for _, st := range []int{400, 401, 404, 422, http.StatusFound} {
		t.Run("no retry on "+http.StatusText(st), func(t *testing.T) {
			g := newGateway(t, st)
			s, sl := newSender(t, g, nil)
			err := s.Send(context.Background(), msg)
			require.ErrorIs(t, err, errRejected)
			assert.Len(t, g.requests(), 1, "a redirect is not followed")
			assert.Empty(t, sl.d)
			assert.NotContains(t, err.Error(), "012345")
			assert.NotContains(t, err.Error(), "999999", "the answer body is not in the error")
		})
	}
	t.Run("attempt timeout is retried", func(t *testing.T) {
		release := make(chan struct{})
		calls := 0
		var mu sync.Mutex
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			if n == 1 {
				select { // hang until the client gives up
				case <-r.Context().Done():
				case <-release:
				}
				return
			}
			w.WriteHeader(200)
		}))
		defer srv.Close()
		defer close(release)
		sl := &sleeps{}
		s, err := New(Config{URL: srv.URL, Key: testKey, Client: srv.Client(), Timeout: minTimeout, Sleep: sl.sleep})
		require.NoError(t, err)
		require.NoError(t, s.Send(context.Background(), msg))
		assert.Equal(t, 2, calls)
	})
	t.Run("cancelled context stops", func(t *testing.T) {
		g := newGateway(t, 503)
		ctx, cancel := context.WithCancel(context.Background())
		s, _ := newSender(t, g, func(c *Config) {
			c.Sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
		})
		err := s.Send(ctx, msg)
		require.ErrorIs(t, err, context.Canceled)
		assert.Len(t, g.requests(), 1)
	})
	t.Run("network error hides the URL", func(t *testing.T) {
		g := newGateway(t, 200)
		s, _ := newSender(t, g, func(c *Config) { c.Client = &http.Client{}; c.MaxAttempts = 1 }) // does not trust the test CA
		err := s.Send(context.Background(), msg)
		require.ErrorIs(t, err, errUnavailable)
		assert.NotContains(t, err.Error(), "tenant=a")
	})
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"x"}`)
	h := sign(testKey, epoch, body)
	require.NoError(t, Verify(testKey, h, body, epoch.Add(defaultTolerance), 0))
	for name, tc := range map[string]struct {
		key    []byte
		header string
		body   []byte
		now    time.Time
	}{
		"other body":       {testKey, h, []byte(`{"id":"y"}`), epoch},
		"other key":        {[]byte("another-key-of-32-bytes-00000000"), h, body, epoch},
		"too old":          {testKey, h, body, epoch.Add(defaultTolerance + time.Second)},
		"from the future":  {testKey, h, body, epoch.Add(-defaultTolerance - time.Second)},
		"other timestamp":  {testKey, strings.Replace(h, "t=", "t=1", 1), body, epoch},
		"no signature":     {testKey, "t=1767323045", body, epoch},
		"not hex":          {testKey, "t=1767323045,v1=zz", body, epoch},
		"empty":            {testKey, "", body, epoch},
		"oversized header": {testKey, h + strings.Repeat(",x=y", 60), body, epoch},
	} {
		err := Verify(tc.key, tc.header, tc.body, tc.now, 0)
		assert.ErrorIs(t, err, errSignature, name)
	}
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		msg  string
	}{
		{"no url", Config{Key: testKey}, "URL"},
		{"relative url", Config{URL: "/sms", Key: testKey}, "URL"},
		{"user info", Config{URL: "https://u:p@gw.example/sms", Key: testKey}, "URL"},
		{"http", Config{URL: "http://gw.example/sms", Key: testKey}, `URL scheme "http" is not https`},
		{"short key", Config{URL: "https://gw.example/sms", Key: testKey[:31]}, "Key of 31 bytes is shorter than 32"},
		{"timeout", Config{URL: "https://gw.example/sms", Key: testKey, Timeout: time.Millisecond}, "Timeout 1ms out of range [100ms, 1m0s]"},
		{"attempts", Config{URL: "https://gw.example/sms", Key: testKey, MaxAttempts: 11}, "MaxAttempts 11 out of range [1, 10]"},
		{"backoff", Config{URL: "https://gw.example/sms", Key: testKey, Backoff: time.Minute}, "Backoff 1m0s out of range [1ms, 30s]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.ErrorIs(t, err, otp.ErrConfig)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	_, err := New(Config{URL: "http://127.0.0.1:9/sms", Key: testKey, AllowHTTP: true})
	require.NoError(t, err)
	caller := &http.Client{}
	_, err = New(Config{URL: "https://gw.example/sms", Key: testKey, Client: caller})
	require.NoError(t, err)
	assert.Nil(t, caller.CheckRedirect, "the caller's client is not modified")
}

// TestSendBodyBytesAreUnchanged pins the signed body as encoding/json
// wrote it before the move to json/v2: members in field order, subject
// only when set, <, >, & and U+2028/U+2029 escaped, expires_at in UTC
// RFC 3339.
func TestSendBodyBytesAreUnchanged(t *testing.T) {
	local := time.FixedZone("UTC+1", 3600)
	for name, tc := range map[string]struct {
		m    otp.Message
		want string // after the id
	}{
		"no subject": {msg, `"channel":"sms","to":"+15551234567","code":"012345","text":"Your verification code is 012345.","expires_at":"2026-01-02T03:09:05Z"}`},
		"escaped": {
			otp.Message{
				Channel: otp.ChannelEmail, To: "a&b@example.com", Code: "012345", Subject: "<Code> & more",
				Text: "<b>012345</b>\n\u2028\u2029é", ExpiresAt: time.Date(2026, 1, 2, 4, 9, 5, 500, local),
			},
			`"channel":"email","to":"a\u0026b@example.com","code":"012345","subject":"\u003cCode\u003e \u0026 more","text":"\u003cb\u003e012345\u003c/b\u003e\n\u2028\u2029é","expires_at":"2026-01-02T03:09:05.0000005Z"}`,
		},
		// Invalid UTF-8 is still sent, as U+FFFD; json/v2 writes the
		// character where encoding/json wrote the escape \ufffd.
		"invalid UTF-8": {
			otp.Message{Channel: otp.ChannelSMS, To: "+15551234567", Code: "012345", Text: "a\xffb", ExpiresAt: epoch},
			`"channel":"sms","to":"+15551234567","code":"012345","text":"a` + "\uFFFD" + `b","expires_at":"2026-01-02T03:04:05Z"}`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			g := newGateway(t, http.StatusAccepted)
			s, _ := newSender(t, g, nil)
			require.NoError(t, s.Send(context.Background(), tc.m))
			reqs := g.requests()
			require.Len(t, reqs, 1)
			id := reqs[0].header.Get("Idempotency-Key")
			require.Regexp(t, `^[0-9a-f]{32}$`, id)
			assert.Equal(t, `{"id":"`+id+`",`+tc.want, string(reqs[0].body))
		})
	}
}
