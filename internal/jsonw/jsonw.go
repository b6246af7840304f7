// Package jsonw writes JSON strings exactly as encoding/json does, without
// its reflection, and holds the word-at-a-time byte tests the hand-written
// JSON readers and writers of verifykit share: verify/httpapi's response
// bodies and request scanner, and verify's sealed-session payload.
//
// TestAppendStringMatchesEncodingJSON and FuzzAppendString hold
// AppendString to encoding/json (with and without HTML escaping);
// TestWordTests holds the word tests to the byte tables.
package jsonw

import "unicode/utf8"

// hexDigits are the digits of \u escapes.
const hexDigits = "0123456789abcdef"

// Word-at-a-time tests (SWAR) over eight bytes w: for a byte value n ≤
// 0x80, (w - lsb*n) &^ w has the top bit of some byte set exactly when a
// byte of w is below n (1 for a zero byte, so w ^ lsb*c finds c); bytes
// from 0x80 show in w's own top bits. They report only whether there is
// such a byte: the caller then reads the eight one by one.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// below returns, in its top bits, the bytes of w below n.
func below(w, n uint64) uint64 { return (w - lsb*n) &^ w }

// equal returns, in its top bits, the bytes of w equal to c.
func equal(w uint64, c byte) uint64 { return below(w^lsb*uint64(c), 1) }

// load64 returns the eight bytes of s from i, little-endian.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// jsonSpecial reports whether one of the eight bytes of w is not
// jsonSafe: the string encoder must look at them one by one.
func jsonSpecial(w uint64) bool {
	return (w|below(w, 0x20)|equal(w, '"')|equal(w, '\\'))&msb != 0
}

// htmlSpecial is jsonSpecial for htmlSafe.
func htmlSpecial(w uint64) bool {
	return (w|below(w, 0x20)|equal(w, '"')|equal(w, '\\')|equal(w, '<')|equal(w, '>')|equal(w, '&'))&msb != 0
}

// jsonSafe and htmlSafe mark the ASCII bytes a JSON string holds as they
// are (encoding/json's safeSet and htmlSafeSet): all but '"', '\' and the
// control characters, and for htmlSafe not '<', '>' and '&' either.
// Bytes from utf8.RuneSelf up are not marked: they start runes, decoded
// one by one.
var jsonSafe, htmlSafe = func() (plain, html [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		plain[c] = c != '"' && c != '\\'
		html[c] = plain[c] && c != '<' && c != '>' && c != '&'
	}
	return plain, html
}()

// AppendString appends s as a JSON string exactly as encoding/json writes
// it:
// '"', '\\' and control characters escaped (\b \f \n \r \t by name), '<',
// '>' and '&' too when escapeHTML is set, U+2028 and U+2029 always, and
// each byte of invalid UTF-8 as \ufffd.
func AppendString(b []byte, s string, escapeHTML bool) []byte {
	safe := &jsonSafe
	if escapeHTML {
		safe = &htmlSafe
	}
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if escapeHTML {
			for i+8 <= len(s) && !htmlSpecial(load64(s, i)) {
				i += 8
			}
		} else {
			for i+8 <= len(s) && !jsonSpecial(load64(s, i)) {
				i += 8
			}
		}
		for i < len(s) && safe[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// StringSpecial reports whether one of the eight bytes of w ends a JSON
// string literal, starts an escape or is a control character: the bytes a
// reader of string literals must look at one by one ('"', '\\', below
// 0x20; bytes from 0x80 up are not reported).
func StringSpecial(w uint64) bool {
	return (below(w, 0x20)|equal(w, '"')|equal(w, '\\'))&msb != 0
}
