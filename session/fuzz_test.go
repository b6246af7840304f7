package session

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzUnseal feeds client bytes to Unseal and UnsealPayload. Invariants:
// they never panic; every failure matches ErrInvalid with one of the two
// fixed texts and leaves the target untouched; a token only opens if it is
// one of the valid seeds, unchanged (any other success would be a forged
// MAC); and the two agree.
func FuzzUnseal(f *testing.F) {
	v := loadVectors(f)
	valid := map[string]string{} // token → plaintext
	for _, x := range v.Vectors {
		f.Add(x.Token)
		if !x.RawKey {
			valid[x.Token] = x.Plaintext
		}
	}
	for _, x := range v.Invalid {
		f.Add(x.Token)
	}
	f.Add(v.ExpiredBase + "*" + v.ExpiredMacSalt + "*" + strings.Repeat("A", 43))
	f.Add("")
	f.Add("*******")
	f.Add(strings.Repeat("*", 100))

	s, err := NewSealer(Config{
		Keys: []Key{{Password: v.Password}, {ID: "k1", Password: v.Password}},
		Now:  (&fixedClock{ms: v.Now}).Now,
	})
	if err != nil {
		f.Fatal(err)
	}
	sentinel := json.RawMessage(`"untouched"`)
	f.Fuzz(func(t *testing.T, token string) {
		raw := sentinel
		err := s.Unseal(token, &raw)
		// UnsealPayload agrees: the seeds' payloads are JSON, so it opens
		// exactly what Unseal opens, to the same bytes, and fails alike.
		pt, perr := s.UnsealPayload(token)
		if (perr == nil) != (err == nil) || (err == nil && string(pt) != string(raw)) ||
			(err != nil && (pt != nil || perr.Error() != err.Error())) {
			t.Fatalf("UnsealPayload: %q, %v; Unseal: %q, %v", pt, perr, raw, err)
		}
		if err == nil {
			want, ok := valid[token]
			if !ok {
				t.Fatalf("a token that is not a valid seed opened: %q", token)
			}
			if string(raw) != want {
				t.Fatalf("seed opened to %q, want %q", raw, want)
			}
			return
		}
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v does not match ErrInvalid", err)
		}
		if msg := err.Error(); msg != ErrInvalid.Error() && msg != ErrExpired.Error() {
			t.Fatalf("error text %q is not one of the fixed texts", msg)
		}
		if string(raw) != string(sentinel) {
			t.Fatalf("failed Unseal wrote %q", raw)
		}
	})
}

// FuzzSealRoundTrip seals arbitrary strings and maps and opens them again:
// what comes out is what went in (invalid UTF-8 aside, which encoding/json
// replaces with U+FFFD, as JSON.stringify cannot produce it at all).
func FuzzSealRoundTrip(f *testing.F) {
	for _, seed := range []string{"", "héllo ✓ <&>", "\u2028\u2029", "\x00\x1f\"\\", strings.Repeat("x", 100)} {
		f.Add(seed, int64(0))
	}
	f.Add("a", int64(300000))
	s, err := NewSealer(Config{Keys: []Key{{ID: "k1", Password: testPassword}}, Now: (&fixedClock{ms: 1700000000000}).Now})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string, ttlMs int64) {
		if ttlMs < 0 || ttlMs > 1e12 || !utf8.ValidString(in) {
			return
		}
		val := map[string]string{in: in}
		tok, err := s.Seal(val, time.Duration(ttlMs)*time.Millisecond)
		// The token's length, from the encoded JSON: Seal must refuse
		// exactly the tokens longer than MaxTokenLen.
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(val); err != nil {
			t.Fatal(err)
		}
		want := len("Fe26.2*k1*") + saltHexLen + 1 + ivB64Len + 1 + b64.EncodedLen(paddedLen(buf.Len()-1)) + 1 + saltHexLen + 1 + macB64Len + 1
		if ttlMs > 0 {
			want += len(strconv.FormatInt(1700000000000+ttlMs, 10))
		}
		if want > DefaultMaxTokenLen {
			if err == nil || !strings.Contains(err.Error(), "MaxTokenLen") {
				t.Fatalf("token of %d bytes: err %v", want, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != want {
			t.Fatalf("token of %d bytes, computed %d", len(tok), want)
		}
		var got map[string]string
		if err := s.Unseal(tok, &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[in] != in {
			t.Fatalf("sealed %q, unsealed %q", val, got)
		}
	})
}
