package otp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	defer f.Close()
	o := NewOutbox(f)

	const n = 200
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := Message{Channel: ChannelSMS, To: fmt.Sprintf("+1555%07d", i), Code: fmt.Sprintf("%06d", i), Text: "line\nbreak \"quoted\"", Subject: "not written"}
			assert.NoError(t, o.Send(context.Background(), m))
		}()
	}
	wg.Wait()

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	sc := bufio.NewScanner(bytes.NewReader(data))
	seen := map[string]bool{}
	for sc.Scan() {
		var raw map[string]string
		require.NoError(t, json.Unmarshal(sc.Bytes(), &raw), sc.Text())
		assert.Len(t, raw, 4, "exactly channel, to, code, text")
		assert.Equal(t, "sms", raw["channel"])
		assert.Equal(t, "line\nbreak \"quoted\"", raw["text"])
		seen[raw["code"]] = true
	}
	assert.Len(t, seen, n, "every message is one whole line")
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestOutboxErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	require.ErrorIs(t, NewOutbox(&buf).Send(ctx, Message{}), context.Canceled)
	assert.Zero(t, buf.Len())
	require.ErrorContains(t, NewOutbox(failWriter{}).Send(context.Background(), Message{}), "disk full")
	var nilOutbox *Outbox
	require.Error(t, nilOutbox.Send(context.Background(), Message{}))
	require.NoError(t, SenderFunc(func(context.Context, Message) error { return nil }).Send(context.Background(), Message{}))
}

// TestOutboxLineBytesAreUnchanged pins the bytes of an outbox line as
// encoding/json wrote them before the move to json/v2: members in field
// order, <, >, & and U+2028/U+2029 escaped, Subject and ExpiresAt not
// written, one '\n' at the end.
func TestOutboxLineBytesAreUnchanged(t *testing.T) {
	var buf bytes.Buffer
	m := Message{
		Channel: ChannelEmail, To: "a&b@example.com", Code: "012345",
		Text: "<b>012345</b> & \"more\"\n\u2028\u2029é", Subject: "not written",
	}
	require.NoError(t, NewOutbox(&buf).Send(context.Background(), m))
	assert.Equal(t, `{"channel":"email","to":"a\u0026b@example.com","code":"012345","text":"\u003cb\u003e012345\u003c/b\u003e \u0026 \"more\"\n\u2028\u2029é"}`+"\n", buf.String())
}

// TestOutboxWritesInvalidUTF8AsReplacementCharacter: invalid UTF-8 in a
// message is still written, as U+FFFD, as encoding/json did; json/v2
// spells it as the character itself where encoding/json wrote the escape
// \ufffd (the same JSON string).
func TestOutboxWritesInvalidUTF8AsReplacementCharacter(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, NewOutbox(&buf).Send(context.Background(), Message{Channel: ChannelSMS, To: "+15551234567", Code: "012345", Text: "a\xffb"}))
	assert.Equal(t, `{"channel":"sms","to":"+15551234567","code":"012345","text":"a`+"\uFFFD"+`b"}`+"\n", buf.String())
	var line OutboxLine
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line))
	assert.Equal(t, "a\uFFFDb", line.Text)
}
