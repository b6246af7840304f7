package verify_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/verifykit/verifykit/verify"
)

// TestSlogObserver pins the records of SlogObserver: the message, level
// and attributes of each kind of event.
func TestSlogObserver(t *testing.T) {
	var buf bytes.Buffer
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	obs := verify.SlogObserver(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: noTime})))
	client := verify.Client{IP: "192.0.2.1", UserAgent: "ua"}
	for _, tc := range []struct {
		e    verify.Event
		want string
	}{
		{verify.Event{Kind: verify.EventStarted, Subject: "auth0|u", Type: verify.TypeTOTP, MethodID: "totp|dev_1", Client: client},
			`level=INFO msg="verifykit enrollment_started" event=enrollment_started user=auth0|u type=totp method_id=totp|dev_1 ip=192.0.2.1`},
		{verify.Event{Kind: verify.EventConfirmed, Subject: "auth0|u", Type: verify.TypeTOTP, MethodID: "totp|dev_1", Client: client},
			`level=INFO msg="verifykit enrollment_confirmed" event=enrollment_confirmed user=auth0|u type=totp method_id=totp|dev_1 ip=192.0.2.1`},
		{verify.Event{Kind: verify.EventFailed, Subject: "auth0|u", Type: verify.TypeTOTP, MethodID: "totp|dev_1", Reason: "invalid_proof", Client: client},
			`level=WARN msg="verifykit enrollment_failed" event=enrollment_failed user=auth0|u type=totp method_id=totp|dev_1 reason=invalid_proof ip=192.0.2.1`},
		{verify.Event{Kind: verify.EventFailed, Subject: "auth0|u", Type: verify.TypeTOTP, Reason: "store", Internal: true},
			`level=ERROR msg="verifykit enrollment_failed" event=enrollment_failed user=auth0|u type=totp method_id="" reason=store`},
		{verify.Event{Kind: verify.EventDeleted, Subject: "auth0|u", Type: verify.TypeEmail, MethodID: "email|1", Client: client},
			`level=INFO msg="verifykit method_deleted" event=method_deleted user=auth0|u type=email method_id=email|1 ip=192.0.2.1`},
		{verify.Event{Kind: verify.EventUpdated, Subject: "auth0|u", Type: verify.TypePhone, MethodID: "phone|1"},
			`level=INFO msg="verifykit method_updated" event=method_updated user=auth0|u type=phone method_id=phone|1`},
		{verify.Event{Kind: "future_kind", Subject: "auth0|u"},
			`level=INFO msg="verifykit future_kind" event=future_kind user=auth0|u type="" method_id=""`},
	} {
		buf.Reset()
		obs.Observe(context.Background(), tc.e)
		assert.Equal(t, tc.want+"\n", buf.String())
	}
}

// BenchmarkSlogObserver is the event line of a start, through the text
// handler examples/server logs with.
func BenchmarkSlogObserver(b *testing.B) {
	obs := verify.SlogObserver(slog.New(slog.NewTextHandler(io.Discard, nil)))
	e := verify.Event{Kind: verify.EventStarted, Subject: "auth0|demo", Type: verify.TypeTOTP, MethodID: "totp|dev_0123456789abcdef",
		Client: verify.Client{IP: "127.0.0.1", UserAgent: "wrk"}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		obs.Observe(ctx, e)
	}
}
