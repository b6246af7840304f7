package session

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// FuzzUnseal feeds client bytes to Unseal. Invariants: it never panics;
// every failure matches ErrInvalid with one of the two fixed texts and
// leaves the target untouched; and a token only opens if it is one of the
// valid seeds, unchanged (any other success would be a forged MAC).
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
