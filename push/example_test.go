package push_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/verifykit/verifykit/push"
	"github.com/verifykit/verifykit/ratelimit"
	"github.com/verifykit/verifykit/session"
	"github.com/verifykit/verifykit/store/memory"
	"github.com/verifykit/verifykit/verify"
)

// A push-notification enrollment end to end: the user's client starts it,
// the authenticator app enrolls with the ticket from the barcode and, as an
// extension of Guardian's request, a proof signed with its own key, and
// the client's verify then succeeds.
func ExampleNew() {
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	st, _ := memory.New(memory.Config{Now: now})
	limiter, _ := ratelimit.NewMemory(ratelimit.MemoryConfig{Now: now})
	engine, err := push.New(push.Config{Issuer: "Example", BaseURL: "https://id.example.com/push", Now: now}, st, limiter)
	if err != nil {
		panic(err)
	}
	sealer, _ := session.NewSealer(session.Config{Keys: []session.Key{{ID: "k1", Password: "example-sealing-password-of-32-characters"}}, Now: now})
	svc, _ := verify.NewService(verify.Config{Engines: []verify.Engine{engine}, Sealer: sealer, Store: st, Now: now})
	ctx, alice := context.Background(), verify.Subject{ID: "auth0|alice", Email: "alice@example.com"}

	// 1. The client starts the enrollment and shows the barcode.
	en, _ := svc.Start(ctx, alice, verify.StartRequest{Type: verify.TypePushNotification}, verify.Client{})
	fmt.Println(en.BarcodeURI[:strings.Index(en.BarcodeURI, "?")])
	_, err = svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession}, verify.Client{})
	fmt.Println(err)

	// 2. The app scans it, makes a key pair and proves it holds the key by
	// signing the ticket for this endpoint.
	u, _ := url.Parse(en.BarcodeURI)
	ticket, base := u.Query().Get("enrollment_tx_id"), u.Query().Get("base_url")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pt, _ := key.PublicKey.Bytes()
	b64 := base64.RawURLEncoding.EncodeToString
	jwk := fmt.Sprintf(`{"kty":"EC","crv":"P-256","x":"%s","y":"%s"}`, b64(pt[1:33]), b64(pt[33:]))
	claims, _ := json.Marshal(map[string]any{"aud": base + "/api/enroll", "sub": ticket, "iss": "device-1", "iat": now().Unix(), "exp": now().Unix() + 60})
	input := b64([]byte(`{"alg":"ES256","typ":"JWT"}`)) + "." + b64(claims)
	digest := sha256.Sum256([]byte(input))
	r, s, _ := ecdsa.Sign(rand.Reader, key, digest[:])
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	resp, err := engine.Enroll(ctx, ticket, &push.EnrollRequest{
		Identifier: "device-1", Name: "Alice's phone",
		PushCredentials: &push.PushCredentials{Service: "FCM", Token: "fcm-registration-token"},
		PublicKey:       jsontext.Value(jwk),
		Proof:           input + "." + b64(sig),
	})
	fmt.Println(err, resp.UserID, resp.Token != "")

	// 3. The client's next poll confirms the method.
	m, err := svc.Verify(ctx, alice, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession}, verify.Client{})
	fmt.Println(err, m.Type, m.Name)
	// Output:
	// otpauth://totp/Example:alice@example.com
	// verify: enrollment pending
	// <nil> auth0|alice true
	// <nil> push-notification Alice's phone
}
