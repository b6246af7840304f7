package push

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/verifykit/verifykit/verify"
)

// FuzzEnrollHandler: any body and ticket header never panics, never
// enrolls unless the request is the valid one, and every answer is one of
// the documented statuses.
func FuzzEnrollHandler(f *testing.F) {
	fx := newFixture(f, Config{StartLimit: testStartLimit}, 0)
	d := newECDevice(f, "fuzz")
	en := fx.start(f, fx.alice)
	valid, _ := json.Marshal(d.request(f, en.baseURL, en.ticket, fx.clock.Now()))
	f.Add(`Ticket id="`+strings.Repeat("A", 22)+`"`, valid)
	f.Add(`Ticket id="x"`, []byte(`{"identifier":"a","name":"b","push_credentials":{"service":"FCM","token":"t"},"public_key":{"kty":"EC"},"proof":"a.b.c"}`))
	f.Add(`Ticket id=""`, []byte(`{"public_key":{"kty":"RSA","n":"AQAB","e":"AQAB"}}`))
	f.Add("", []byte(`[]`))
	h := http.HandlerFunc(fx.push.serveEnroll) // without the per-IP limit
	f.Fuzz(func(t *testing.T, auth string, body []byte) {
		if strings.Contains(auth, en.ticket) {
			return // the one valid ticket would be spent
		}
		st, _, _ := post(t, h, http.MethodPost, auth, "application/json", body)
		switch st {
		case 400, 401, 413:
		default:
			t.Fatalf("status %d for %q %q", st, auth, body)
		}
	})
}

// FuzzResolveHandler: any transaction token and body never panics, never
// resolves the open transaction, and every answer is a documented status.
func FuzzResolveHandler(f *testing.F) {
	var sent []Notification
	fx := newFixture(f, Config{Notifier: NotifierFunc(func(_ context.Context, _ Device, n Notification) error {
		sent = append(sent, n)
		return nil
	})}, 0)
	d := newECDevice(f, "fuzz")
	en := fx.start(f, fx.alice)
	if _, err := fx.enroll(f, d, en); err != nil {
		f.Fatal(err)
	}
	m, err := fx.verify(fx.alice, en)
	if err != nil {
		f.Fatal(err)
	}
	rec, err := fx.store.Get(context.Background(), fx.alice.ID, m.ID)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := fx.push.Challenge(context.Background(), &verify.EngineStart{Subject: fx.alice, Method: *m, Record: rec, ExpiresAt: fx.clock.Now().Add(time.Hour)}); err != nil {
		f.Fatal(err)
	}
	n := sent[0]
	h := sha256.Sum256([]byte(n.TransactionToken))
	claims := map[string]any{"aud": fx.push.ResolveURL(), "sub": n.Challenge, "iss": d.id, "iat": fx.clock.Now().Unix(),
		"exp": fx.clock.Now().Unix() + 30, "auth0_guardian_method": "push", "auth0_guardian_accepted": true}
	bad := d.sign(f, nil, claims)
	bad = bad[:len(bad)-4] + "AAAA" // a signature that does not verify
	body, _ := json.Marshal(map[string]string{"challenge_response": bad})
	f.Add("Bearer "+n.TransactionToken, body)
	f.Add("Bearer x", []byte(`{"challenge_response":"a.b.c"}`))
	f.Add("", []byte(`{}`))
	handler := http.HandlerFunc(fx.push.serveResolve)
	f.Fuzz(func(t *testing.T, auth string, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/push/api/resolve-transaction", bytes.NewReader(body))
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, req)
		switch w.Code {
		case 400, 401, 413:
		default:
			t.Fatalf("status %d for %q %q", w.Code, auth, body)
		}
		tx, err := fx.store.PushTransaction(context.Background(), h[:])
		if err != nil || tx.Resolved {
			t.Fatalf("the transaction was resolved by %q %q (%v)", auth, body, err)
		}
	})
}

// FuzzParsePublicKey: never panics; a parsed key's canonical JWK parses
// to the same key.
func FuzzParsePublicKey(f *testing.F) {
	f.Add([]byte(newECDevice(f, "a").jwk))
	f.Add([]byte(newRSADevice(f, "b").jwk))
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"","y":""}`))
	f.Add([]byte(`{"kty":"RSA","n":"","e":"AQAB","d":"x"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		k, err := parseDeviceKey(raw)
		if err != nil {
			return
		}
		again, err := parseDeviceKey(k.JWK())
		if err != nil || again.Alg != k.Alg || string(again.JWK()) != string(k.JWK()) {
			t.Fatalf("canonical JWK does not round-trip: %v", err)
		}
	})
}

// FuzzVerifyJWS: mutated tokens never panic and never verify unless they
// are the original token.
func FuzzVerifyJWS(f *testing.F) {
	d := newECDevice(f, "jws")
	key, err := parseDeviceKey(d.jwk)
	if err != nil {
		f.Fatal(err)
	}
	good := d.sign(f, nil, map[string]any{"sub": "x"})
	f.Add(good)
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Add("e30.e30.")
	f.Fuzz(func(t *testing.T, tok string) {
		if _, err := verifyJWS(key, tok); err == nil {
			// Only the signed header and payload can verify: anything else
			// would be a forgery (ECDSA's (r, n−s) twin signs the same input).
			if tok[:strings.LastIndexByte(tok, '.')] != good[:strings.LastIndexByte(good, '.')] {
				t.Fatalf("verified a token over other input: %q", tok)
			}
		}
	})
}

func BenchmarkEnroll(b *testing.B) {
	fx := newFixture(b, Config{StartLimit: testStartLimit}, 0)
	d := newECDevice(b, "bench")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		fx.clock.Add(4 * time.Second) // within the start limit
		en := fx.start(b, fx.alice)
		req := d.request(b, en.baseURL, en.ticket, fx.clock.Now())
		b.StartTimer()
		if _, err := fx.push.Enroll(ctx, en.ticket, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConfirm is the engine's confirm of an enrolled device: decode
// the sealed state, read the ticket, encode the device record.
func BenchmarkConfirm(b *testing.B) {
	fx := newFixture(b, Config{}, 0)
	en := fx.start(b, fx.alice)
	if _, err := fx.enroll(b, newECDevice(b, "bench"), en); err != nil {
		b.Fatal(err)
	}
	secret, _ := b32.DecodeString(en.secret)
	sum := sha256.Sum256([]byte(en.ticket))
	h := sum[:]
	state, _ := json.Marshal(pushState{V: 1, Ticket: h, Secret: secret})
	ec := &verify.EngineConfirm{Subject: fx.alice, MethodID: en.ID, State: state}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fx.push.Confirm(ctx, ec); err != nil {
			b.Fatal(err)
		}
	}
}
