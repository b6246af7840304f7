// Package webhook implements otp.Sender as an HTTP webhook: every code is
// POSTed as JSON to a configured URL, signed with HMAC-SHA256, for an SMS
// or voice gateway (or any relay) that the host operates.
//
// # Request
//
//	POST <URL>
//	Content-Type: application/json
//	Idempotency-Key: <id>
//	Verifykit-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(Key, "<t>.<body>")>
//
//	{"id":"<id>","channel":"sms","to":"+15551234567","code":"012345",
//	 "text":"Your verification code is 012345. It expires in 5 minutes.",
//	 "expires_at":"2026-01-02T03:09:05Z"}
//
// id is random and the same on every retry of one message, so a receiver
// deduplicates on it (or on Idempotency-Key). "subject" is present for
// e-mail messages. The receiver checks the signature with Verify before
// it trusts anything in the body: the timestamp is signed with the body,
// so a captured request cannot be replayed after the tolerance.
//
// # Delivery
//
// A 2xx answer is success. A network error, a timeout, 408, 429 and 5xx
// are retried up to MaxAttempts in all, after Backoff, then twice as
// long each time (with jitter, at most 30s, longer when the
// answer's Retry-After asks for it up to 30s); every other answer
// (4xx, 3xx: redirects are never followed, since they would carry the
// code elsewhere) fails at once. Each attempt is bounded by Timeout and
// the whole by the context.
//
// # Security
//
// The URL must be https (AllowHTTP permits http for a gateway on
// loopback during development). The code is in the body; errors carry the
// status but never the body of either side.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/verifykit/verifykit/internal/jsoncompat"
	"github.com/verifykit/verifykit/otp"
)

// Limits and defaults of Config (each field's comment states its range
// and default).
const (
	// minKeySize is the minimum signing key length: 256 bits.
	minKeySize         = 32
	defaultTimeout     = 5 * time.Second
	minTimeout         = 100 * time.Millisecond
	maxTimeout         = time.Minute
	defaultMaxAttempts = 3
	maxMaxAttempts     = 10
	defaultBackoff     = 500 * time.Millisecond
	minBackoff         = time.Millisecond
	// maxBackoff caps every wait between attempts.
	maxBackoff = 30 * time.Second
	// defaultTolerance is Verify's default bound on a signature's age.
	defaultTolerance = 5 * time.Minute
	// SignatureHeader is the request header that carries the signature
	// Verify checks.
	SignatureHeader = "Verifykit-Signature"
	// maxResponse is how much of an answer is read (and discarded) so the
	// connection can be reused.
	maxResponse = 4 << 10
)

var (
	// errRejected is matched by Send's error when the receiver answered
	// with a status that is not retried (4xx but 408 and 429, 3xx, 1xx).
	errRejected = errors.New("webhook: rejected")
	// errUnavailable is matched by Send's error when every attempt failed
	// with a retryable status or a network error.
	errUnavailable = errors.New("webhook: unavailable")
	// errSignature is matched by every error of Verify.
	errSignature = errors.New("webhook: invalid signature")
)

// Config configures a Sender.
type Config struct {
	// URL receives the POSTs. Required; https unless AllowHTTP.
	URL string
	// Key signs every request (HMAC-SHA256): at least 32 random
	// bytes, shared with the receiver only. Required.
	Key []byte
	// AllowHTTP permits an http URL, for a gateway on loopback during
	// development: the code then crosses the network in clear.
	AllowHTTP bool
	// Client sends the requests; nil means a client of its own. Whichever
	// is used, redirects are never followed.
	Client *http.Client
	// Timeout bounds each attempt. Default 5s; range [100ms, 1m].
	Timeout time.Duration
	// MaxAttempts is the number of attempts in all. Default 3; range [1, 10].
	MaxAttempts int
	// Backoff is the wait before the second attempt, doubled for each
	// later one, with jitter (half fixed, half random), capped at
	// 30s. Default 500ms; range [1ms, 30s].
	Backoff time.Duration
	// Now is the clock of the signature timestamp; nil means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx is done; nil means a timer. Tests replace
	// it to observe the backoff without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Sender POSTs otp.Message values to a webhook. It is immutable and safe
// for concurrent use.
type Sender struct {
	url         string
	key         []byte
	client      *http.Client
	timeout     time.Duration
	maxAttempts int
	backoff     time.Duration
	now         func() time.Time
	sleep       func(context.Context, time.Duration) error
}

var _ otp.Sender = (*Sender)(nil)

// configError is an error of New: it reads
// "webhook: invalid config: …", naming the field and its range, and matches
// otp.ErrConfig.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }
func (e *configError) Unwrap() error { return otp.ErrConfig }

func configErrorf(format string, args ...any) error {
	return &configError{msg: "webhook: invalid config: " + fmt.Sprintf(format, args...)}
}

// New validates cfg and returns a Sender. Its errors match otp.ErrConfig
// and name the field and its allowed range.
func New(cfg Config) (*Sender, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, configErrorf("URL must be an absolute http(s) URL without user info or fragment")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && cfg.AllowHTTP:
	default:
		return nil, configErrorf("URL scheme %q is not https (AllowHTTP permits http)", u.Scheme)
	}
	if len(cfg.Key) < minKeySize {
		return nil, configErrorf("Key of %d bytes is shorter than %d", len(cfg.Key), minKeySize)
	}
	s := &Sender{
		url: u.String(), key: bytes.Clone(cfg.Key), timeout: cfg.Timeout, maxAttempts: cfg.MaxAttempts,
		backoff: cfg.Backoff, now: cfg.Now, sleep: cfg.Sleep,
	}
	if s.timeout == 0 {
		s.timeout = defaultTimeout
	}
	if s.timeout < minTimeout || s.timeout > maxTimeout {
		return nil, configErrorf("Timeout %v out of range [%v, %v]", s.timeout, minTimeout, maxTimeout)
	}
	if s.maxAttempts == 0 {
		s.maxAttempts = defaultMaxAttempts
	}
	if s.maxAttempts < 1 || s.maxAttempts > maxMaxAttempts {
		return nil, configErrorf("MaxAttempts %d out of range [1, %d]", s.maxAttempts, maxMaxAttempts)
	}
	if s.backoff == 0 {
		s.backoff = defaultBackoff
	}
	if s.backoff < minBackoff || s.backoff > maxBackoff {
		return nil, configErrorf("Backoff %v out of range [%v, %v]", s.backoff, minBackoff, maxBackoff)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sleep == nil {
		s.sleep = sleep
	}
	// A copy of the client, so that refusing redirects changes nothing of
	// the caller's.
	c := http.Client{}
	if cfg.Client != nil {
		c = *cfg.Client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.client = &c
	return s, nil
}

// Payload is the JSON body of a webhook request.
type Payload struct {
	ID        string      `json:"id"`
	Channel   otp.Channel `json:"channel"`
	To        string      `json:"to"`
	Code      string      `json:"code"`
	Subject   string      `json:"subject,omitempty"`
	Text      string      `json:"text"`
	ExpiresAt time.Time   `json:"expires_at"`
}

// Send POSTs m and returns once the receiver answered 2xx. An error
// names the last status or network failure, never a body: a final answer
// (a status that is not retried) fails at once, retryable failures after
// MaxAttempts, and a done context with the context's error.
func (s *Sender) Send(ctx context.Context, m otp.Message) error {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return fmt.Errorf("webhook: random: %w", err)
	}
	body, err := json.Marshal(Payload{
		ID: hex.EncodeToString(id), Channel: m.Channel, To: m.To, Code: m.Code,
		Subject: m.Subject, Text: m.Text, ExpiresAt: m.ExpiresAt.UTC(),
	}, jsoncompat.SentBytes)
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	var last error
	for attempt := 1; ; attempt++ {
		retryAfter, err := s.attempt(ctx, hex.EncodeToString(id), body)
		if err == nil {
			return nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("webhook: attempt %d: %w", attempt, ctxErr)
		}
		if errors.Is(err, errRejected) {
			return fmt.Errorf("webhook: attempt %d: %w", attempt, err)
		}
		last = err
		if attempt == s.maxAttempts {
			break
		}
		if err := s.sleep(ctx, s.wait(attempt, retryAfter)); err != nil {
			return fmt.Errorf("webhook: backoff: %w", err)
		}
	}
	return fmt.Errorf("%w after %d attempts: %w", errUnavailable, s.maxAttempts, last)
}

// attempt makes one POST. It returns the Retry-After of a retryable
// answer, if any.
func (s *Sender) attempt(ctx context.Context, id string, body []byte) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("webhook: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "verifykit-webhook/1")
	req.Header.Set("Idempotency-Key", id)
	req.Header.Set(SignatureHeader, sign(s.key, s.now(), body))
	resp, err := s.client.Do(req)
	if err != nil {
		// Drop the URL (it may hold a gateway token); keep the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("webhook: post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return 0, nil
	case c == http.StatusRequestTimeout, c == http.StatusTooManyRequests, c >= 500:
		return retryAfter(resp.Header.Get("Retry-After"), s.now()), fmt.Errorf("webhook: status %d", c)
	default:
		return 0, fmt.Errorf("%w: status %d", errRejected, c)
	}
}

// wait returns the pause after failed attempt n (1-based): Backoff·2^(n-1)
// with equal jitter, at least retryAfter, at most maxBackoff.
func (s *Sender) wait(n int, retryAfter time.Duration) time.Duration {
	d := s.backoff << (n - 1)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	half := d / 2
	d = half + time.Duration(binary.BigEndian.Uint64(b[:])%uint64(half+1))
	if retryAfter > d {
		d = retryAfter
	}
	return min(d, maxBackoff)
}

// retryAfter parses a Retry-After value (delay-seconds or an HTTP date).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sign returns the SignatureHeader value for body at time t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>".
func sign(key []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(key, ts, body))
}

func mac(key []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a SignatureHeader value for body, for a receiver: the MAC
// under key must match (compared in constant time) and the timestamp must
// be within tolerance of now, either side (0 means 5 minutes). A receiver
// should also deduplicate on the payload's id. Any error means the request
// must be refused; it says which check failed, never the expected MAC.
func Verify(key []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = defaultTolerance
	}
	if len(header) > 200 {
		return fmt.Errorf("%w: header too long", errSignature)
	}
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return fmt.Errorf("%w: malformed header", errSignature)
	}
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, ts, body)) {
		return fmt.Errorf("%w: mismatch", errSignature)
	}
	if age := now.Sub(time.Unix(sec, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: timestamp outside tolerance", errSignature)
	}
	return nil
}
