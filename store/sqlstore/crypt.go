package sqlstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

// Key is one AES-256 key of the key ring that seals secret columns.
type Key struct {
	// ID names the key; it is stored with every row the key seals. 1 to 64
	// characters from [A-Za-z0-9._-]. Never reuse an ID for other key bytes.
	ID string
	// Secret is the AES-256 key: 32 bytes from a CSPRNG (never a password).
	// All zero is refused.
	Secret [32]byte
}

// ErrDecrypt is returned (wrapped) when a stored secret cannot be opened:
// its key id is not in the key ring, or its ciphertext was altered, cut or
// moved from another row. It is an internal failure (HTTP 500), never a
// client mistake: the store fails closed and returns no method.
var ErrDecrypt = errors.New("sqlstore: cannot decrypt stored secret")

// aadPrefix versions the associated data of every sealed column.
const aadPrefix = "verifykit/sqlstore/v1"

const (
	nonceSize = 12 // GCM standard nonce, random per seal
	tagSize   = 16
	maxKeyID  = 64
)

// keyRing seals with its first key and opens with any key by id.
type keyRing struct {
	currentID string
	current   cipher.AEAD
	byID      map[string]cipher.AEAD
}

func newKeyRing(keys []Key) (*keyRing, error) {
	if len(keys) == 0 {
		return nil, errors.New("sqlstore: Config.Keys is empty: secrets are always encrypted at rest")
	}
	r := &keyRing{byID: make(map[string]cipher.AEAD, len(keys))}
	var zero [32]byte
	for i, k := range keys {
		if err := checkKeyID(k.ID); err != nil {
			return nil, fmt.Errorf("sqlstore: Config.Keys[%d]: %w", i, err)
		}
		if subtle.ConstantTimeCompare(k.Secret[:], zero[:]) == 1 {
			return nil, fmt.Errorf("sqlstore: Config.Keys[%d] (%q): secret is all zero", i, k.ID)
		}
		if _, dup := r.byID[k.ID]; dup {
			return nil, fmt.Errorf("sqlstore: Config.Keys[%d]: key id %q appears twice", i, k.ID)
		}
		block, err := aes.NewCipher(k.Secret[:])
		if err != nil {
			return nil, fmt.Errorf("sqlstore: Config.Keys[%d]: %w", i, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: Config.Keys[%d]: %w", i, err)
		}
		r.byID[k.ID] = aead
		if i == 0 {
			r.currentID, r.current = k.ID, aead
		}
	}
	return r, nil
}

func checkKeyID(id string) error {
	if len(id) < 1 || len(id) > maxKeyID {
		return fmt.Errorf("key id length %d out of range [1, %d]", len(id), maxKeyID)
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return fmt.Errorf("key id %q has a character outside [A-Za-z0-9._-]", id)
		}
	}
	return nil
}

// seal encrypts plaintext under the current key with a fresh random nonce.
// It returns nonce || ciphertext || tag and the key id to store beside it.
func (r *keyRing) seal(plaintext, aad []byte) ([]byte, string, error) {
	out := make([]byte, nonceSize, nonceSize+len(plaintext)+tagSize)
	if _, err := rand.Read(out); err != nil {
		return nil, "", fmt.Errorf("sqlstore: random nonce: %w", err)
	}
	return r.current.Seal(out, out[:nonceSize], plaintext, aad), r.currentID, nil
}

// open decrypts what seal returned. Every failure is ErrDecrypt.
func (r *keyRing) open(keyID string, sealed, aad []byte) ([]byte, error) {
	aead, ok := r.byID[keyID]
	if !ok {
		return nil, fmt.Errorf("%w: key id %q is not in the key ring", ErrDecrypt, keyID)
	}
	if len(sealed) < nonceSize+tagSize {
		return nil, fmt.Errorf("%w: ciphertext too short", ErrDecrypt)
	}
	pt, err := aead.Open(nil, sealed[:nonceSize], sealed[nonceSize:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: key id %q: authentication failed", ErrDecrypt, keyID)
	}
	return pt, nil
}

// aad returns the associated data binding a sealed value to its table,
// column and row: a ciphertext copied into another row, or another column,
// does not open. Fields are length-prefixed so no two rows share an AAD.
func aad(table, column string, row ...string) []byte {
	b := make([]byte, 0, 64)
	b = append(b, aadPrefix...)
	for _, f := range append([]string{table, column}, row...) {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}
