package session

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzOpen feeds client bytes to Open. Invariants: it never panics; every
// failure matches ErrInvalid with one of the two fixed texts and returns no
// payload; and a token only opens if it is one of the valid seeds,
// unchanged (any other success would be a forged MAC), to its plaintext.
//
// Checklist: FZ-03.
func FuzzOpen(f *testing.F) {
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
	f.Fuzz(func(t *testing.T, token string) {
		pt, err := s.Open(token)
		if err == nil {
			want, ok := valid[token]
			if !ok {
				t.Fatalf("a token that is not a valid seed opened: %q", token)
			}
			if string(pt) != want {
				t.Fatalf("seed opened to %q, want %q", pt, want)
			}
			return
		}
		if pt != nil {
			t.Fatalf("failed Open returned %q", pt)
		}
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v does not match ErrInvalid", err)
		}
		if msg := err.Error(); msg != ErrInvalid.Error() && msg != ErrExpired.Error() {
			t.Fatalf("error text %q is not one of the fixed texts", msg)
		}
	})
}

// FuzzSealRoundTrip seals arbitrary bytes and opens them again: what comes
// out is what went in, and Seal refuses exactly the tokens longer than
// MaxTokenLen.
//
// Checklist: FZ-03.
func FuzzSealRoundTrip(f *testing.F) {
	for _, seed := range []string{"", "héllo ✓ <&>", "\u2028\u2029", "\x00\x1f\"\\\xff", strings.Repeat("x", 100), strings.Repeat("y", 3100)} {
		f.Add([]byte(seed), int64(0))
	}
	f.Add([]byte("a"), int64(300000))
	s, err := NewSealer(Config{Keys: []Key{{ID: "k1", Password: testPassword}}, Now: (&fixedClock{ms: 1700000000000}).Now})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte, ttlMs int64) {
		if ttlMs < 0 || ttlMs > 1e12 {
			return
		}
		tok, err := s.Seal(in, time.Duration(ttlMs)*time.Millisecond)
		// Fe26.2*k1*encSalt*iv*ciphertext*exp*macSalt*mac
		want := len("Fe26.2*k1*") + 64 + 1 + 22 + 1 + b64.EncodedLen(len(pad(in))) + 1 + 64 + 1 + 43 + 1
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
		got, err := s.Open(tok)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(in) {
			t.Fatalf("sealed %q, opened %q", in, got)
		}
	})
}
