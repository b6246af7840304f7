// Package session implements the sealing of verifykit's auth_session: a
// payload encrypted and authenticated into an opaque string in the "Fe26.2"
// format of hapi/iron, byte-compatible with @hapi/iron 7.0.1 and its
// default options, with password ids for key rotation.
//
// A [Sealer] is made once from a [Config] by [NewSealer]; [Sealer.Seal]
// turns payload bytes into a token that expires after a TTL and
// [Sealer.Open] turns a token back into those bytes. verify.Service uses it
// through the verify.Sealer interface.
//
// # Bytes in, bytes out
//
// The Sealer seals bytes, not values, and has one sealing path. Its caller
// owns the payload's JSON: verify encodes its session with its JSON library
// and decodes what Open returns exactly once, with one strict decoder
// (unknown, repeated and case-variant members and invalid UTF-8 refused),
// so the payload is never decoded twice by two decoders that could
// disagree. The Sealer stays a pure cipher, with no reflection and no
// schema: what it guarantees is that Open returns only bytes that Seal
// sealed under one of its keys, unchanged, before their expiry.
//
// # Format
//
// A token has eight components separated by '*':
//
//	Fe26.2*pwdId*encSalt*iv*ciphertext*expiration*hmacSalt*hmac
//
// In it:
//   - pwdId names the key that sealed it (empty for iron's id-less form);
//   - encSalt and hmacSalt are the lowercase hex of 32 random bytes each,
//     fresh per token; the hex string itself is the PBKDF2 salt;
//   - the encryption key is PBKDF2-HMAC-SHA1(password, encSalt, 1 iteration,
//     32 bytes), and ciphertext is the AES-256-CBC encryption, PKCS#7
//     padded, of the payload (for iron, JSON) under a random 16-byte iv;
//   - expiration is empty (no expiry) or the expiry in epoch milliseconds;
//   - hmac is HMAC-SHA256, keyed with PBKDF2-HMAC-SHA1(password, hmacSalt, 1
//     iteration, 32 bytes), of the first six components joined by '*';
//   - iv, ciphertext and hmac are base64url without padding.
//
// # Security
//
// The password must be a high-entropy random secret, at least 32 bytes from a
// CSPRNG, encoded (for example 43 base64url characters, or 64 hex). iron's key
// derivation is PBKDF2-SHA1 with ONE iteration: it does no stretching, so it
// protects a token no better than the password's own entropy, and anyone
// holding one token can test password guesses offline at the speed of
// HMAC-SHA1. A memorable phrase is a broken key. [NewSealer] refuses
// passwords shorter than 32 characters (iron's minimum) and obvious
// placeholders (fewer than 8 distinct characters), but it cannot measure
// entropy: generating the secret properly is the operator's job, e.g.
//
//	head -c 32 /dev/urandom | basenc --base64url
//
// One password keys both encryption and integrity, as iron's { id, secret }
// form does; the two keys are still distinct (separate random salts).
//
// [Sealer.Open] follows iron's order and is stricter where iron is lenient
// (SECURITY-CHECKLIST section D):
//
//  1. the token length is capped (Config.MaxTokenLen, default 4096) before
//     anything else, so no key derivation runs on a huge input (AS-16);
//  2. exactly 8 components (AS-02) and the prefix "Fe26.2" (AS-03);
//  3. a present expiration is 1 to 16 ASCII digits, never overflowing, and
//     the token is expired once now ≥ expiration + Config.Skew (AS-09);
//  4. the password id names a configured key (AS-12);
//  5. the salts are exactly 64 lowercase hex digits, the iv, hmac and
//     ciphertext strict base64url of 16 bytes, 32 bytes and whole blocks —
//     all before any key derivation (AS-08, AS-16);
//  6. the HMAC is recomputed and compared with hmac.Equal over the decoded
//     bytes (AS-04, AS-06); no decryption key is derived before it matches
//     (AS-05);
//  7. decryption with crypto/cipher's CBC, whose sizes step 5 checked, and
//     a full check of the PKCS#7 padding (AS-07).
//
// Every failure is one error text matching [ErrInvalid] (an expired token
// also [ErrExpired], and its error has a method Expired() bool returning
// true, which is how verify learns of expiry without importing this
// package): a caller cannot tell a bad MAC from bad padding, and no error
// holds the token, the plaintext or key material. Because the expiration is
// checked before the MAC, as in iron, an expired error says nothing about
// the token's authenticity.
//
// Open accepts tokens without expiration, which Seal makes for a TTL of 0,
// because iron does; a caller that needs a lifetime must carry and check one
// in the payload, as verify.Service does (SECURITY-CHECKLIST AS-10).
//
// # Compatibility
//
// Tokens are those of @hapi/iron 7.0.1's seal and unseal with
// Iron.defaults: aes-256-cbc, sha256, saltBits 256, iterations 1,
// minPasswordlength 32, timestampSkewSec 60, localtimeOffsetMsec 0. Given the
// same salts and IV, Seal of the bytes JSON.stringify writes produces
// iron's token byte for byte (the tests check known-answer vectors and run
// the real @hapi/iron), with these differences on opening:
//
//   - iron's raw key-buffer passwords (empty salts), non-default saltBits or
//     iterations, and separate encryption and integrity secrets are not
//     supported, and their tokens are refused;
//   - iron opens any pwdId with a bare string password; here a token's id
//     must name a configured key. An id-less token is opened by the key with
//     an empty ID or, failing that, the key "default", as iron's password
//     map does;
//   - tokens iron would accept but never produces — uppercase hex salts,
//     non-canonical base64url, expirations of 17 digits or more — are
//     refused;
//   - iron parses the payload as JSON; Open returns it undecoded.
//
// # Key rotation
//
// Keys are listed current first: the first key seals, every key opens the
// tokens that carry its id. Rotating on N processes without refusing live
// tokens takes three deployments:
//
//  1. add the new key last, so every process can open its tokens;
//  2. move it first, so it seals;
//  3. once every token sealed by the old key has expired (the session TTL,
//     at most 10 minutes for verify), remove the old key.
//
// For example, the second step:
//
//	sealer, err := session.NewSealer(session.Config{
//		Keys: []session.Key{
//			{ID: "k2", Password: os.Getenv("SESSION_KEY_2")}, // seals
//			{ID: "k1", Password: os.Getenv("SESSION_KEY_1")}, // opens until retired
//		},
//	})
package session
