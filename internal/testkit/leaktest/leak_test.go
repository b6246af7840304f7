package leaktest_test

import (
	"bufio"
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/internal/testkit/faulttest"
	"github.com/verifykit/verifykit/verify"
)

// secrets is every secret value the run handed out or sent, by what it is.
type secrets struct {
	names  []string
	values []string
}

// add records s, and its lower and upper case forms.
func (s *secrets) add(name, v string) {
	if v == "" {
		return
	}
	for _, x := range []string{v, strings.ToLower(v), strings.ToUpper(v)} {
		s.names, s.values = append(s.names, name), append(s.values, x)
	}
}

// addBytes records b in every text encoding a log line could carry it in.
func (s *secrets) addBytes(name string, b []byte) {
	if len(b) == 0 {
		return
	}
	s.add(name+" (hex)", hex.EncodeToString(b))
	s.add(name+" (base64)", base64.StdEncoding.EncodeToString(b))
	s.add(name+" (base64, unpadded)", base64.RawStdEncoding.EncodeToString(b))
	s.add(name+" (base64url)", base64.URLEncoding.EncodeToString(b))
	s.add(name+" (base64url, unpadded)", base64.RawURLEncoding.EncodeToString(b))
	s.add(name+" (base32)", base32.StdEncoding.EncodeToString(b))
	s.add(name+" (base32, unpadded)", base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
	if len(b) >= 8 {
		s.add(name+" (raw)", string(b))
		s.add(name+" (Go bytes)", fmt.Sprint(b))
	}
}

// addToken records an auth_session and each of its long parts (the
// encrypted payload, the salts, the IV, the MAC).
func (s *secrets) addToken(name, tok string) {
	s.add(name, tok)
	for _, part := range strings.Split(tok, "*") {
		if len(part) >= 16 {
			s.add(name+" part", part)
		}
	}
}

// addRecoveryCode records a recovery code in every form the engine
// accepts: upper and lower case, with and without groups of four.
func (s *secrets) addRecoveryCode(code string) {
	s.add("recovery code", code)
	var groups []string
	for i := 0; i < len(code); i += 4 {
		groups = append(groups, code[i:min(i+4, len(code))])
	}
	s.add("recovery code (grouped)", strings.Join(groups, "-"))
	s.add("recovery code (spaced)", strings.Join(groups, " "))
}

// addEnrollment records every secret e carries.
func (s *secrets) addEnrollment(t *testing.T, e *faulttest.Enrollment) {
	t.Helper()
	s.addToken("auth_session", e.AuthSession)
	s.add("code", e.Code)
	s.addBytes("TOTP secret", e.Secret)
	s.add("TOTP secret (manual input code)", e.ManualInputCode)
	if e.RecoveryCode != "" {
		s.addRecoveryCode(e.RecoveryCode)
	}
	if e.Challenge != "" {
		s.add("WebAuthn challenge", e.Challenge)
		b, err := base64.RawURLEncoding.DecodeString(e.Challenge)
		require.NoError(t, err)
		s.addBytes("WebAuthn challenge", b)
	}
	if e.Ticket != "" {
		s.add("push ticket", e.Ticket)
		b, err := base64.RawURLEncoding.DecodeString(e.Ticket)
		require.NoError(t, err)
		s.addBytes("push ticket", b)
	}
	s.add("password", e.Password)
}

// recorder wraps the service the handler calls and keeps the text of every
// error it returns, its whole chain: what a host would log or wrap.
type recorder struct {
	verify.Verifier
	mu   sync.Mutex
	errs []string
}

func (r *recorder) keep(err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	queue := []error{err}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		r.errs = append(r.errs, e.Error(), fmt.Sprintf("%+v", e))
		var ve *verify.Error
		if errors.As(e, &ve) {
			for _, f := range ve.Fields {
				r.errs = append(r.errs, f.Field+" "+f.Pointer+" "+f.Detail)
			}
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			if c := u.Unwrap(); c != nil {
				queue = append(queue, c)
			}
		case interface{ Unwrap() []error }:
			queue = append(queue, u.Unwrap()...)
		}
	}
}

func (r *recorder) Start(ctx context.Context, sub verify.Subject, req verify.StartRequest, c verify.Client) (*verify.Enrollment, error) {
	e, err := r.Verifier.Start(ctx, sub, req, c)
	r.keep(err)
	return e, err
}

func (r *recorder) Verify(ctx context.Context, sub verify.Subject, id string, req verify.VerifyRequest, c verify.Client) (*verify.Method, error) {
	m, err := r.Verifier.Verify(ctx, sub, id, req, c)
	r.keep(err)
	return m, err
}

// run is one full run: the Kit and everything the client saw.
type run struct {
	k       *faulttest.Kit
	rec     *recorder
	logs    *faulttest.Buffer
	secrets secrets
	// answers are the bodies and headers of every verify and device
	// answer: errors above all, and the confirmed methods.
	answers []string
	// verifies counts the verify requests that reached the service.
	statuses map[string]int // problem type or "201", for the coverage check
}

func (r *run) answer(rec *httptest.ResponseRecorder) *httptest.ResponseRecorder {
	r.answers = append(r.answers, rec.Body.String())
	for name, vs := range rec.Header() {
		r.answers = append(r.answers, name+": "+strings.Join(vs, ", "))
	}
	key := "201"
	if rec.Code != http.StatusCreated && rec.Code != http.StatusAccepted {
		var p faulttest.Problem
		_ = json.Unmarshal(rec.Body.Bytes(), &p)
		key = fmt.Sprint(rec.Code, " ", p.Type)
	}
	r.statuses[key]++
	return rec
}

func (r *run) verify(t *testing.T, e *faulttest.Enrollment, body string) *httptest.ResponseRecorder {
	t.Helper()
	return r.answer(r.k.Verify(t, e, body))
}

// tamper flips one character in the middle of the encrypted part.
func tamper(tok string) string {
	b := []byte(tok)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// fullRun runs every method type through its successes and failures.
func fullRun(t *testing.T) *run {
	logs := &faulttest.Buffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug, AddSource: true, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{} // timestamps are digits the code regex would see
		}
		return a
	}}))
	// Anything logging to the default logger (or the log package) is
	// captured too.
	prev := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(prev) })

	r := &run{rec: &recorder{}, logs: logs, statuses: map[string]int{}}
	r.k = faulttest.NewKit(t, faulttest.KitConfig{Logger: logger, WrapVerifier: func(v verify.Verifier) verify.Verifier {
		r.rec.Verifier = v
		return r.rec
	}})
	k, s := r.k, &r.secrets
	s.add("sealing password", k.SealPassword)
	s.addBytes("hash key", k.HashKey)
	intruder := "auth0|intruder"
	s.add("access token", k.Token(t, intruder))

	for _, typ := range verify.Types() {
		t.Run(string(typ), func(t *testing.T) {
			sub := "auth0|leak-" + string(typ)
			s.add("access token", k.Token(t, sub))
			e := k.Start(t, sub, typ)
			s.addEnrollment(t, e)

			if wrong, secret, ok := k.WrongProof(t, e); ok {
				s.add("wrong proof", secret)
				rec := r.verify(t, e, wrong)
				require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			}
			proof := k.Proof(t, e)
			if typ.Proof() == "authn_response" {
				var b struct {
					AuthnResponse jsontext.Value `json:"authn_response"`
				}
				require.NoError(t, json.Unmarshal([]byte(proof), &b))
				s.add("authn_response", string(b.AuthnResponse))
			}
			// A tampered auth_session, one of another user, and a proof of
			// the wrong kind.
			rec := r.verify(t, e, strings.Replace(proof, e.AuthSession, tamper(e.AuthSession), 1))
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			other := *e
			other.Token = k.Token(t, intruder)
			rec = r.answer(k.Verify(t, &other, proof))
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			shape := faulttest.VerifyBody(e.AuthSession, "otp_code", "424242")
			if typ.Proof() == "otp_code" {
				shape = faulttest.VerifyBody(e.AuthSession, "new_password", "424242 is not a password")
			}
			s.add("code", "424242")
			rec = r.verify(t, e, shape)
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())

			if typ == verify.TypePushNotification {
				rec = r.verify(t, e, proof)
				require.Equal(t, http.StatusBadRequest, rec.Code, "pending: %s", rec.Body.String())
				d, err := faulttest.NewDevice()
				require.NoError(t, err)
				s.add("push token", d.PushToken)
				wrongTicket := "A" + e.Ticket[1:]
				if e.Ticket[0] == 'A' {
					wrongTicket = "B" + e.Ticket[1:]
				}
				s.add("push ticket", wrongTicket)
				rec = r.answer(k.EnrollWith(t, context.Background(), d, wrongTicket))
				require.Equal(t, http.StatusUnauthorized, rec.Code, rec.Body.String())
				rec = k.EnrollWith(t, context.Background(), d, e.Ticket)
				require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
				// Guardian's enrollment answer hands the device, which
				// holds the ticket, its device token and the barcode's TOTP
				// secret (totp.secret), by design: the token must appear
				// nowhere else, and the rest of the answer is checked.
				var ans map[string]any
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &ans))
				tok, _ := ans["token"].(string)
				require.NotEmpty(t, tok)
				s.add("device token", tok)
				totp, _ := ans["totp"].(map[string]any)
				require.Equal(t, e.ManualInputCode, totp["secret"])
				delete(ans, "token")
				delete(ans, "totp")
				redacted := httptest.NewRecorder()
				redacted.Code = rec.Code
				for name, vs := range rec.Header() {
					redacted.Header()[name] = vs
				}
				b, _ := json.Marshal(ans)
				redacted.Body.Write(b)
				r.answer(redacted)
				rec = r.answer(k.EnrollWith(t, context.Background(), d, e.Ticket))
				require.Equal(t, http.StatusUnauthorized, rec.Code, "a used ticket: %s", rec.Body.String())
			}

			// A store outage at the commit: the 500's log record carries
			// the cause.
			k.Store.Inject(faulttest.Fault{Op: faulttest.OpCommit, Nth: 1})
			rec = r.verify(t, e, proof)
			k.Store.Clear()
			require.Equal(t, http.StatusInternalServerError, rec.Code, rec.Body.String())

			rec = r.verify(t, e, proof)
			require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
			rec = r.verify(t, e, proof)
			require.Equal(t, http.StatusBadRequest, rec.Code, "replay: %s", rec.Body.String())

			// Attempts used up by wrong proofs, then the right proof.
			if _, _, ok := k.WrongProof(t, e); ok {
				e2 := k.Start(t, sub+"-2", typ)
				s.add("access token", e2.Token)
				s.addEnrollment(t, e2)
				for range verify.DefaultMaxAttempts {
					wrong, secret, _ := k.WrongProof(t, e2)
					s.add("wrong proof", secret)
					r.verify(t, e2, wrong)
				}
				rec = r.verify(t, e2, k.Proof(t, e2))
				require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
			}

			// An expired session, with its right proof.
			e3 := k.Start(t, sub+"-3", typ)
			s.add("access token", e3.Token)
			s.addEnrollment(t, e3)
			proof3 := k.Proof(t, e3)
			k.Clock.Advance(verify.DefaultSessionTTL + time.Second)
			rec = r.verify(t, e3, proof3)
			require.Equal(t, http.StatusBadRequest, rec.Code, rec.Body.String())
		})
	}
	// Every code the engines sent.
	for _, m := range k.Outbox.Messages() {
		s.add("sent code", m.Code)
	}
	return r
}

// TestNoSecretLeaks: no secret of a full run appears in a log record, an
// error string or an answer of the verify operation (SECURITY-CHECKLIST
// GN-07); every verify is logged with its outcome and reason.
func TestNoSecretLeaks(t *testing.T) {
	r := fullRun(t)
	logs := r.logs.String()
	require.NotEmpty(t, logs)
	haystacks := map[string]string{
		"logs":        logs,
		"error chain": strings.Join(r.rec.errs, "\n"),
		"answers":     strings.Join(r.answers, "\n"),
	}
	for where, text := range haystacks {
		for i, v := range r.secrets.values {
			if strings.Contains(text, v) {
				t.Errorf("%s contain a %s (%q)", where, r.secrets.names[i], v)
			}
		}
	}
	// The checklist's regexes (GN-07), over what only the server sees.
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`Fe26\.2\*`),               // an auth_session
		regexp.MustCompile(`\b\d{6}\b`),               // a six-digit code
		regexp.MustCompile(`\b[A-Z2-7]{32}\b`),        // a base32 TOTP secret of 20 bytes
		regexp.MustCompile(`(?i)"challenge"\s*:\s*"`), // creation options
	} {
		for _, where := range []string{"logs", "error chain"} {
			assert.Empty(t, re.FindAllString(haystacks[where], 5), "%s match %s", where, re)
		}
	}

	// Coverage: the run went through every outcome.
	for _, want := range []string{"201", "400 invalid_proof", "400 invalid_request", "400 invalid_session",
		"400 session_already_used", "400 too_many_attempts", "400 session_expired", "400 enrollment_pending",
		"500 internal_error"} {
		assert.Positive(t, r.statuses[want], "no answer %q in the run: %v", want, r.statuses)
	}
	unauthorized := 0
	for k, n := range r.statuses {
		if strings.HasPrefix(k, "401 ") {
			unauthorized += n
		}
	}
	assert.Positive(t, unauthorized, "no device refused: %v", r.statuses)

	// Every verify that reached the service is logged with its outcome,
	// type, user, method id, client IP and, for a failure, its reason.
	events := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &rec), sc.Text())
		ev, _ := rec["event"].(string)
		if ev != string(verify.EventConfirmed) && ev != string(verify.EventFailed) {
			continue
		}
		events[ev+" "+fmt.Sprint(rec["type"])]++
		for _, key := range []string{"user", "method_id", "ip"} {
			assert.NotEmpty(t, rec[key], "%s without %s: %s", ev, key, sc.Text())
		}
		// The type is sealed in the auth_session: unknown when it does
		// not open.
		if reason, _ := rec["reason"].(string); reason != "session_unseal" && reason != "session_payload" {
			assert.NotEmpty(t, rec["type"], "%s without type: %s", ev, sc.Text())
		}
		if ev == string(verify.EventFailed) {
			assert.NotEmpty(t, rec["reason"], sc.Text())
		}
	}
	for _, typ := range verify.Types() {
		assert.Equal(t, 1, events[string(verify.EventConfirmed)+" "+string(typ)], typ)
		assert.Positive(t, events[string(verify.EventFailed)+" "+string(typ)], typ)
	}
	t.Logf("%d log bytes, %d error strings, %d answers, %d secret forms checked; outcomes %v",
		len(logs), len(r.rec.errs), len(r.answers), len(r.secrets.values), r.statuses)
}
