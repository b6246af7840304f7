// Command floor is the least a correct TOTP confirm over HTTP must do,
// written as plainly and cheaply as it can be, for bench/run to measure
// against the same bare handler as examples/server's verify route: what
// no implementation of the route can skip, so that the ratio it reaches
// bounds the ratio any implementation can reach on the machine.
//
// Per POST …/{id}/verify it does, and does nothing else:
//
//  1. compares the bearer token with its own in constant time;
//  2. reads the body and takes auth_session and otp_code out of it by
//     searching for their names (no JSON validation at all);
//  3. opens the auth_session with session.Sealer (iron Fe26.2; bench/run
//     measures it at 1.1× the bare primitives it must run);
//  4. checks that the payload names the path's method id, and takes the
//     session id and the TOTP key out of it, again by searching;
//  5. computes the codes of the three time steps around now with
//     crypto/hmac and compares each with otp_code in constant time;
//  6. under one mutex, counts the attempt (at most 5 per session), refuses
//     a consumed session and records the session as consumed and the
//     method as saved, in two maps;
//  7. writes one audit line through slog.TextHandler to standard error,
//     as examples/server does (not with -audit=false, which measures what
//     the line costs);
//  8. answers 201 with a fixed JSON body and a Location header.
//
// It is not a server to use: it skips everything that is not needed for
// a correct answer to a correct request (strict decoding, validation
// errors, rate limits, the spec's error bodies, expiry, key rotation…).
//
//	go run ./bench/floor -session-password PASSWORD -token TOKEN [-addr 127.0.0.1:8082] [-audit=false]
//
// It accepts the auth_sessions examples/server seals with the same
// -session-password, and the bearer tokens TOKEN and TOKEN.NAME (as
// examples/server -demo-users does). It prints "listening on
// http://ADDR" once it accepts connections.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/verifykit/verifykit/bench/internal/serve"
	"github.com/verifykit/verifykit/session"
)

// created is the fixed answer: the shape of examples/server's 201.
var created = []byte(`{"id":"totp|dev_0123456789abcdef","type":"totp","confirmed":true,"created_at":"2026-11-27T00:00:00.000Z","usage":["secondary"]}`)

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "listen address")
	password := flag.String("session-password", "", "auth_session sealing password, as examples/server's")
	token := flag.String("token", "", "bearer token, as examples/server's")
	audit := flag.Bool("audit", true, "write an audit line per confirm")
	flag.Parse()
	if err := run(*addr, *password, *token, *audit); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(addr, password, token string, audit bool) error {
	var w io.Writer = os.Stderr
	if !audit {
		w = io.Discard
	}
	h, err := newFloor(password, token, slog.New(slog.NewTextHandler(w, nil)))
	if err != nil {
		return err
	}
	return serve.Run(addr, h)
}

type floor struct {
	sealer *session.Sealer
	token  []byte
	log    *slog.Logger
	now    func() time.Time

	mu       sync.Mutex
	attempts map[string]int  // session id → attempts
	consumed map[string]bool // session id → consumed
	methods  map[string][]byte
}

func newFloor(password, token string, log *slog.Logger) (*floor, error) {
	if token == "" {
		return nil, errors.New("-token is required")
	}
	s, err := session.NewSealer(session.Config{Keys: []session.Key{{ID: "demo", Password: password}}})
	if err != nil {
		return nil, err
	}
	return &floor{
		sealer: s, token: []byte(token), log: log, now: time.Now,
		attempts: map[string]int{}, consumed: map[string]bool{}, methods: map[string][]byte{},
	}, nil
}

const prefix = "/me/v1/authentication-methods/"

func (f *floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutPrefix(r.URL.Path, prefix)
	id, ok2 := strings.CutSuffix(id, "/verify")
	if !ok || !ok2 || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	// 1. The bearer token: TOKEN, or TOKEN.NAME for the user NAME.
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	user, _, _ := strings.Cut(bearer, ".")
	if subtle.ConstantTimeCompare([]byte(user), f.token) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	// 2. The body's two members.
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<10))
	if err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	sealed, code := member(body, "auth_session"), member(body, "otp_code")
	if sealed == nil || len(code) != 6 {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	// 3. The auth_session.
	payload, err := f.sealer.Open(string(sealed))
	if err != nil {
		http.Error(w, "bad auth_session", http.StatusBadRequest)
		return
	}
	// 4. Bound to the path's method id (escaped there as %7C); its session
	// id and TOTP key.
	mid, sid, st := member(payload, "mid"), member(payload, "sid"), member(payload, "st")
	if !bytes.Equal(mid, []byte(strings.Replace(id, "%7C", "|", 1))) || sid == nil || st == nil {
		http.Error(w, "bad auth_session", http.StatusBadRequest)
		return
	}
	var key [4 + 64]byte // otp's key blob: version, algorithm, digits, period, secret
	n, err := base64.RawURLEncoding.Decode(key[:], st)
	if err != nil || n < 4+16 || key[1] != 1 || key[2] != 6 {
		http.Error(w, "bad state", http.StatusBadRequest)
		return
	}
	// 5. The code of the steps around now.
	step := f.now().Unix() / int64(key[3])
	match := 0
	mac := hmac.New(sha1.New, key[4:n])
	for s := step - 1; s <= step+1; s++ {
		var c [8]byte
		binary.BigEndian.PutUint64(c[:], uint64(s))
		mac.Reset()
		mac.Write(c[:])
		sum := mac.Sum(nil)
		off := sum[len(sum)-1] & 0x0f
		v := binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff % 1000000
		var want [6]byte
		for i := 5; i >= 0; i-- {
			want[i] = byte('0' + v%10)
			v /= 10
		}
		match |= subtle.ConstantTimeCompare(want[:], code)
	}
	// 6. The attempt, single use and the saved method.
	f.mu.Lock()
	f.attempts[string(sid)]++
	ok = match == 1 && f.attempts[string(sid)] <= 5 && !f.consumed[string(sid)]
	if ok {
		f.consumed[string(sid)] = true
		f.methods[string(mid)] = key[4:n:n]
	}
	f.mu.Unlock()
	// 7. The audit line.
	event := "enrollment_confirmed"
	if !ok {
		event = "enrollment_failed"
	}
	f.log.LogAttrs(r.Context(), slog.LevelInfo, "verifykit "+event, slog.String("event", event), slog.String("user", bearer[len(user):]),
		slog.String("type", "totp"), slog.String("method_id", string(mid)), slog.String("ip", r.RemoteAddr))
	if !ok {
		http.Error(w, "invalid proof", http.StatusBadRequest)
		return
	}
	// 8. The answer.
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", "http://"+r.Host+r.URL.Path[:len(r.URL.Path)-len("/verify")])
	w.WriteHeader(http.StatusCreated)
	w.Write(created)
}

// member returns the value of the first string member name of the JSON
// object b, found by searching for `"name":"` (a floor, not a parser).
func member(b []byte, name string) []byte {
	i := bytes.Index(b, []byte(`"`+name+`":"`))
	if i < 0 {
		return nil
	}
	v := b[i+len(name)+4:]
	j := bytes.IndexByte(v, '"')
	if j < 0 {
		return nil
	}
	return v[:j]
}
