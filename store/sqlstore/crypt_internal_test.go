package sqlstore

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ring(t testing.TB) *keyRing {
	t.Helper()
	k1, k2 := Key{ID: "k1"}, Key{ID: "k2"}
	for i := range 32 {
		k1.Secret[i], k2.Secret[i] = byte(i+1), byte(200-i)
	}
	r, err := newKeyRing([]Key{k1, k2})
	require.NoError(t, err)
	return r
}

func TestAAD(t *testing.T) {
	// Length prefixes keep (id, subject) pairs apart that concatenate to
	// the same bytes.
	assert.NotEqual(t, aad("t", "c", "ab", "c"), aad("t", "c", "a", "bc"))
	assert.NotEqual(t, aad("t", "secret", "id", "sub"), aad("t", "other", "id", "sub"))
	assert.Equal(t, aad("t", "c", "id", "sub"), aad("t", "c", "id", "sub"))
}

func TestSealOpen(t *testing.T) {
	r := ring(t)
	ad := aad("verifykit_methods", "secret", "id", "sub")
	ct, id, err := r.seal([]byte("plaintext"), ad)
	require.NoError(t, err)
	assert.Equal(t, "k1", id, "the first key seals")
	pt, err := r.open(id, ct, ad)
	require.NoError(t, err)
	assert.Equal(t, []byte("plaintext"), pt)
	ct2, _, err := r.seal([]byte("plaintext"), ad)
	require.NoError(t, err)
	assert.NotEqual(t, ct, ct2, "a fresh nonce per seal")
	for name, tc := range map[string]struct {
		id string
		ct []byte
		ad []byte
	}{
		"wrong key":  {"k2", ct, ad},
		"no key":     {"k3", ct, ad},
		"other row":  {id, ct, aad("verifykit_methods", "secret", "id2", "sub")},
		"nil":        {id, nil, ad},
		"nonce only": {id, ct[:12], ad},
		"short tag":  {id, ct[:len(ct)-1], ad},
	} {
		_, err := r.open(tc.id, tc.ct, tc.ad)
		assert.ErrorIs(t, err, ErrDecrypt, name)
	}
}

// FuzzOpen feeds arbitrary stored bytes and key ids to the opener: it
// never panics, and it opens nothing it did not seal.
func FuzzOpen(f *testing.F) {
	r := ring(f)
	ad := aad("verifykit_methods", "secret", "id", "sub")
	ct, _, err := r.seal([]byte("seed secret"), ad)
	require.NoError(f, err)
	f.Add("k1", ct)
	f.Add("k2", ct)
	f.Add("", []byte{})
	f.Add("k1", ct[:12])
	f.Fuzz(func(t *testing.T, keyID string, sealed []byte) {
		pt, err := r.open(keyID, sealed, ad)
		if err != nil {
			if !errors.Is(err, ErrDecrypt) || pt != nil {
				t.Fatalf("open: %v with plaintext %q", err, pt)
			}
			return
		}
		// Only a genuine seal opens (the fuzzing workers each seal their
		// own seed, so compare the plaintext, not the bytes).
		if keyID != "k1" || string(pt) != "seed secret" {
			t.Fatalf("opened a forgery: key %q, %x", keyID, sealed)
		}
	})
}
