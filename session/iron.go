package session

import (
	"crypto/aes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"encoding/base64"
	"errors"
	"hash"
)

// The Fe26.2 format with @hapi/iron 7.0.1 defaults (SECURITY-CHECKLIST D):
//
//	prefix*pwdId*encSalt*iv*ciphertext*expiration*hmacSalt*hmac
//
// encSalt and hmacSalt are the lowercase hex of 32 random bytes (saltBits
// 256), and that hex *string* is the PBKDF2 salt; iv, ciphertext and hmac
// are base64url without padding; expiration is empty (no expiry) or epoch
// milliseconds; the HMAC covers the first six components joined by '*'.
const (
	ironPrefix   = "Fe26.2"
	numParts     = 8
	saltBytes    = 32            // iron saltBits 256
	saltHexLen   = 2 * saltBytes // length of a salt component
	ivB64Len     = 22            // base64url of aes.BlockSize bytes
	macB64Len    = 43            // base64url of sha256.Size bytes
	keyBytes     = 32            // AES-256 and HMAC-SHA256 keys (iron keyBits 256)
	randBytes    = 2*saltBytes + aes.BlockSize
	maxExpDigits = 16       // 9999999999999999 ms fits int64 and is year ~318857
	maxExp       = 1e16 - 1 // largest expiration of maxExpDigits digits
)

// b64 is iron's base64url: URL alphabet, no padding. Strict refuses
// non-canonical trailing bits; the alphabet (and so '\r' and '\n', which
// encoding/base64 would skip) is checked by isB64URL before decoding.
var b64 = base64.RawURLEncoding.Strict()

// sha1State is the part of crypto/sha1's digest that precomputation needs.
type sha1State interface {
	hash.Hash
	encoding.BinaryAppender
	encoding.BinaryUnmarshaler
}

// sha1MarshaledSize is the length of a marshaled crypto/sha1 state:
// "sha\x01", five 32-bit words, one 64-byte block, a 64-bit length.
const sha1MarshaledSize = 4 + 5*4 + sha1.BlockSize + 8

// prfKey is HMAC-SHA1 keyed with one password, held as the SHA-1 states
// after absorbing (K ⊕ ipad) and (K ⊕ opad). FIPS 198-1 §6 allows storing
// these intermediate results "to initialize H each time that a message
// needs to be authenticated using the same key"; like the password itself
// they are secret. With them a PBKDF2 derivation costs five SHA-1
// compressions (one for the 64-byte salt, shared by both output blocks, and
// two per block) instead of about ten, and allocates nothing.
type prfKey struct {
	inner, outer []byte // marshaled sha1 states
}

func newPRFKey(password []byte) (prfKey, error) {
	key := password
	if len(key) > sha1.BlockSize {
		sum := sha1.Sum(key) // RFC 2104 §2: longer keys are hashed first
		key = sum[:]
	}
	var pad [sha1.BlockSize]byte
	defer clear(pad[:])
	h, ok := sha1.New().(sha1State)
	if !ok {
		return prfKey{}, errors.New("session: crypto/sha1 state cannot be marshaled")
	}
	var k prfKey
	var err error
	for i, p := range []byte{0x36, 0x5c} {
		for j := range pad {
			pad[j] = p
		}
		for j, b := range key {
			pad[j] ^= b
		}
		h.Reset()
		h.Write(pad[:])
		state, e := h.AppendBinary(make([]byte, 0, sha1MarshaledSize))
		if i == 0 {
			k.inner, err = state, e
		} else {
			k.outer = state
			err = errors.Join(err, e)
		}
	}
	return k, err
}

// pbkdf2 writes PBKDF2-HMAC-SHA1(password, salt, 1 iteration, 32 bytes)
// into dk (RFC 8018 §5.2): DK = T1 ‖ T2[:12] with Ti = HMAC(P, S ‖ INT(i)).
// The state after absorbing the salt is shared by T1 and T2.
func (k *prfKey) pbkdf2(sc *scratch, salt []byte, dk *[keyBytes]byte) error {
	h := sc.sha1
	if err := h.UnmarshalBinary(k.inner); err != nil {
		return err
	}
	h.Write(salt)
	mid, err := h.AppendBinary(sc.mid[:0])
	if err != nil {
		return err
	}
	for i := byte(1); i <= 2; i++ {
		if i == 2 {
			if err := h.UnmarshalBinary(mid); err != nil {
				return err
			}
		}
		sc.ctr = [4]byte{0, 0, 0, i}
		h.Write(sc.ctr[:])
		u := h.Sum(sc.u[:0])
		if err := h.UnmarshalBinary(k.outer); err != nil {
			return err
		}
		h.Write(u)
		t := h.Sum(sc.t[:0])
		copy(dk[int(i-1)*sha1.Size:], t)
	}
	clear(sc.u[:])
	clear(sc.t[:])
	clear(mid)
	return nil
}

// macSum writes HMAC-SHA256(key, msg) into out: the integrity MAC of a
// token, over its first six components. It is RFC 2104 §2 written out,
// H(K ⊕ opad ‖ H(K ⊕ ipad ‖ msg)) with the 32-byte key zero-padded to the
// 64-byte block, on the SHA-256 state and pad of sc, because crypto/hmac
// allocates a new HMAC (two hashes, two pads) for every key and every
// token has its own key. TestMacSum holds it to crypto/hmac.
func (sc *scratch) macSum(key *[keyBytes]byte, msg []byte, out *[sha256.Size]byte) {
	h := sc.sha256
	for i, p := range [2]byte{0x36, 0x5c} {
		for j := range sc.pad {
			sc.pad[j] = p
		}
		for j, b := range key {
			sc.pad[j] ^= b
		}
		h.Reset()
		h.Write(sc.pad[:])
		if i == 0 {
			h.Write(msg)
			h.Sum(sc.inner[:0])
		} else {
			h.Write(sc.inner[:])
			h.Sum(out[:0])
		}
	}
	h.Reset()
	clear(sc.pad[:])
	clear(sc.inner[:])
}

// encryptCBC encrypts pt with AES-256-CBC and PKCS#7 padding, as Node's
// createCipheriv('aes-256-cbc') does, into dst, which must have room for
// paddedLen(len(pt)) bytes. It returns the ciphertext.
func encryptCBC(dst []byte, key *[keyBytes]byte, iv, pt []byte) ([]byte, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	n := paddedLen(len(pt))
	ct := dst[:n]
	copy(ct, pt)
	pad := byte(n - len(pt))
	for i := len(pt); i < n; i++ {
		ct[i] = pad
	}
	// CBC written out over the block: cipher.NewCBCEncrypter would copy
	// the expanded key into a new value per token (crypto/aes has no CBC
	// assembly on amd64 or arm64 either way). TestCBCMatchesCipher holds
	// both loops to crypto/cipher.
	prev := iv
	for i := 0; i < n; i += aes.BlockSize {
		b := ct[i : i+aes.BlockSize]
		subtle.XORBytes(b, b, prev)
		block.Encrypt(b, b)
		prev = b
	}
	return ct, nil
}

// paddedLen is the PKCS#7-padded length of n bytes: always 1 to 16 bytes
// more, to a whole number of blocks.
func paddedLen(n int) int { return (n/aes.BlockSize + 1) * aes.BlockSize }

// decryptCBC decrypts ct with AES-256-CBC into dst (len(ct) bytes of room)
// and removes the PKCS#7 padding. It checks the sizes itself, so that a
// bad IV length or a partial block is an error, never a panic of the
// block cipher (SECURITY-CHECKLIST AS-07). Unseal calls it only after the
// MAC has passed, so its errors are no padding oracle (AS-05).
func decryptCBC(dst []byte, key *[keyBytes]byte, iv, ct []byte) ([]byte, *unsealError) {
	if len(iv) != aes.BlockSize || len(ct) == 0 || len(ct)%aes.BlockSize != 0 || len(dst) < len(ct) {
		return nil, errBlocks
	}
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, errInternal
	}
	pt := dst[:len(ct)]
	// CBC written out, as in encryptCBC; dst must not overlap ct (each
	// block is XORed with the ciphertext before it).
	prev := iv
	for i := 0; i < len(ct); i += aes.BlockSize {
		c, p := ct[i:i+aes.BlockSize], pt[i:i+aes.BlockSize]
		block.Decrypt(p, c)
		subtle.XORBytes(p, p, prev)
		prev = c
	}
	n := int(pt[len(pt)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, errPadding
	}
	bad := byte(0)
	for _, b := range pt[len(pt)-n:] {
		bad |= b ^ byte(n)
	}
	if bad != 0 {
		return nil, errPadding
	}
	return pt[:len(pt)-n], nil
}

// Character classes of the token's alphabets, looked up without branching
// on the (attacker-chosen, so unpredictable) characters.
const (
	classB64  = 1 << iota // base64url: [A-Za-z0-9_-], as iron's B64.base64urlDecode requires
	classHex              // lowercase hex: [0-9a-f]
	classWord             // JavaScript's \w without the u flag: [A-Za-z0-9_]
)

var charClass = func() (t [256]uint8) {
	for c := range 256 {
		switch {
		case '0' <= c && c <= '9':
			t[c] = classB64 | classHex | classWord
		case 'a' <= c && c <= 'f':
			t[c] = classB64 | classHex | classWord
		case 'g' <= c && c <= 'z', 'A' <= c && c <= 'Z', c == '_':
			t[c] = classB64 | classWord
		case c == '-':
			t[c] = classB64
		}
	}
	return t
}()

// allIn reports whether every byte of s is in class.
func allIn(s []byte, class uint8) bool {
	all := class
	for _, c := range s {
		all &= charClass[c]
	}
	return all == class
}

// isB64URL reports whether s holds only base64url characters; the check
// comes before decoding because encoding/base64 skips '\r' and '\n'.
func isB64URL(s []byte) bool { return allIn(s, classB64) }

// isSalt reports whether s is a salt iron 7.0.1 can have produced: the
// lowercase hex of 32 bytes. The length check comes before any PBKDF2 work
// (SECURITY-CHECKLIST AS-16: salts are attacker-chosen PBKDF2 inputs).
func isSalt(s []byte) bool { return len(s) == saltHexLen && allIn(s, classHex) }

// parseExp parses a non-empty expiration: 1 to 16 ASCII digits (iron's
// /^\d+$/, bounded so it never overflows). "+1", "-1", "1e3" and 25 digits
// are refused.
func parseExp(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > maxExpDigits {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// isKeyID reports whether id matches iron's /^\w+$/ (ASCII letters, digits
// and underscore; JavaScript's \w without the u flag).
func isKeyID(id string) bool { return id != "" && allIn([]byte(id), classWord) }
