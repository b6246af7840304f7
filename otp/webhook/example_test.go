package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/verifykit/verifykit/otp/webhook"
)

// The receiving side: a gateway checks the signature over the raw body
// before it reads the payload, and refuses a stale or altered request.
func ExampleVerify() {
	key := []byte("shared-webhook-key-of-32-bytes-0") // 32 random bytes in production
	sent := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	body := []byte(`{"id":"5f1c","channel":"sms","to":"+15551234567","code":"012345","text":"…","expires_at":"2026-01-02T03:09:05Z"}`)
	// What the Sender puts in Verifykit-Signature:
	// t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>.
	ts := strconv.FormatInt(sent.Unix(), 10)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(ts + "." + string(body)))
	header := "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))

	fmt.Println(webhook.Verify(key, header, body, sent.Add(time.Second), 0))
	fmt.Println(webhook.Verify(key, header, []byte(`{"to":"+15559999999"}`), sent, 0))
	fmt.Println(webhook.Verify(key, header, body, sent.Add(time.Hour), 0))
	// Output:
	// <nil>
	// webhook: invalid signature: mismatch
	// webhook: invalid signature: timestamp outside tolerance
}
