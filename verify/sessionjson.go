package verify

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// appendString appends s as a JSON string, as a json.Encoder with
// SetEscapeHTML(false) writes it.
func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// appendSession appends the JSON of p to b exactly as a json.Encoder with
// SetEscapeHTML(false) writes it, without the Encoder's newline: the bytes
// session.Sealer.Seal encodes from the struct. p.State must be compact JSON
// (as json.Marshal writes it), which the Encoder would copy as it is.
// TestAppendSessionMatchesEncoder and FuzzAppendSession hold it to the
// Encoder.
func appendSession(b []byte, p *sealedSession) []byte {
	b = appendSessionMembers(b, p)
	if len(p.State) > 0 {
		b = append(b, `,"st":`...)
		b = append(b, p.State...)
	}
	return append(b, '}')
}

// appendSessionMembers appends the opening brace and every member of p
// but the state: appendSession without its end.
func appendSessionMembers(b []byte, p *sealedSession) []byte {
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, int64(p.Version), 10)
	b = append(b, `,"p":`...)
	b = appendString(b, p.Purpose)
	b = append(b, `,"sid":`...)
	b = appendString(b, p.ID)
	b = append(b, `,"sub":`...)
	b = appendString(b, p.Subject)
	b = append(b, `,"mid":`...)
	b = appendString(b, p.Pending)
	if p.MethodID != "" {
		b = append(b, `,"fid":`...)
		b = appendString(b, p.MethodID)
	}
	b = append(b, `,"typ":`...)
	b = appendString(b, string(p.Type))
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, p.IssuedAt, 10)
	b = append(b, `,"exp":`...)
	return strconv.AppendInt(b, p.Expires, 10)
}

// decodeSession strictly decodes the plaintext of an auth_session into a
// sealedSession. It accepts one JSON object whose members are those of
// sealedSession, each at most once and named exactly as Seal writes them,
// with string members as JSON strings, integer members as JSON integers in
// range and "st" as any one JSON value; whitespace around tokens, and
// nothing after the object.
//
// It replaces encoding/json's Decoder with DisallowUnknownFields, which
// cost about ten times as much on the confirm path, and is stricter than
// it: encoding/json also matches member names case-insensitively and
// through escapes, takes the last of repeated members, and accepts null
// for any member. Everything decodeSession accepts, encoding/json decodes
// to the same value (FuzzDecodeSession holds it to that reference), and it
// accepts everything json.Marshal makes of a sealedSession.
//
// Strings of plain printable ASCII are taken as they are; any other string
// (escapes, control characters, non-ASCII bytes) is decoded by
// encoding/json itself, so that the rules for escapes and invalid UTF-8
// are exactly its own. The State of the result aliases b.
func decodeSession(b []byte) (sealedSession, bool) {
	var p sealedSession
	c := jsonCursor{b: b}
	if !c.consume('{') {
		return sealedSession{}, false
	}
	var seen uint16 // one bit per member, to refuse repeats
	if !c.consume('}') {
		for {
			name, ok := c.name()
			if !ok || !c.consume(':') {
				return sealedSession{}, false
			}
			m := sessionMember(name)
			if m < 0 || seen&(1<<m) != 0 {
				return sealedSession{}, false
			}
			seen |= 1 << m
			switch m {
			case memberV:
				var v int64
				v, ok = c.integer(strconv.IntSize)
				p.Version = int(v)
			case memberP:
				p.Purpose, ok = c.known(sessionPurpose, signInPurpose)
			case memberSID:
				p.ID, ok = c.str()
			case memberSub:
				p.Subject, ok = c.str()
			case memberMID:
				p.Pending, ok = c.str()
			case memberFID:
				p.MethodID, ok = c.str()
			case memberTyp:
				var t string
				t, ok = c.known(TypeNames[:]...)
				p.Type = Type(t)
			case memberIAT:
				p.IssuedAt, ok = c.integer(64)
			case memberExp:
				p.Expires, ok = c.integer(64)
			case memberSt:
				var v []byte
				v, ok = c.value()
				p.State = json.RawMessage(v)
			}
			if !ok {
				return sealedSession{}, false
			}
			if c.consume('}') {
				break
			}
			if !c.consume(',') {
				return sealedSession{}, false
			}
		}
	}
	c.space()
	if c.i != len(c.b) {
		return sealedSession{}, false
	}
	return p, true
}

// The members of sealedSession, in its field order.
const (
	memberV = iota
	memberP
	memberSID
	memberSub
	memberMID
	memberFID
	memberTyp
	memberIAT
	memberExp
	memberSt
)

// sessionMember returns the member named name (its JSON name in
// sealedSession's tags), or -1.
func sessionMember(name []byte) int {
	switch string(name) {
	case "v":
		return memberV
	case "p":
		return memberP
	case "sid":
		return memberSID
	case "sub":
		return memberSub
	case "mid":
		return memberMID
	case "fid":
		return memberFID
	case "typ":
		return memberTyp
	case "iat":
		return memberIAT
	case "exp":
		return memberExp
	case "st":
		return memberSt
	}
	return -1
}

// jsonCursor reads JSON tokens from b at i. Its methods skip leading
// whitespace and report false, without a partial result, for anything
// outside the narrow grammar decodeSession accepts.
type jsonCursor struct {
	b []byte
	i int
}

// space skips JSON whitespace (RFC 8259 §2).
func (c *jsonCursor) space() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

// consume skips whitespace and then ch, if ch is next.
func (c *jsonCursor) consume(ch byte) bool {
	c.space()
	if c.i < len(c.b) && c.b[c.i] == ch {
		c.i++
		return true
	}
	return false
}

// plain reports whether ch may stand for itself in the fast path of a
// string: printable ASCII other than '"' and '\\'.
func plain(ch byte) bool { return ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' }

// stringEnd returns the offset just past the closing quote of the JSON
// string that starts at c.i (a '"'), and whether every byte in it is plain.
// It does not judge escapes; callers hand non-plain strings to
// encoding/json, which does.
func (c *jsonCursor) stringEnd() (end int, isPlain, ok bool) {
	isPlain = true
	for i := c.i + 1; i < len(c.b); i++ {
		switch ch := c.b[i]; {
		case ch == '"':
			return i + 1, isPlain, true
		case ch == '\\':
			isPlain = false
			i++ // the escaped byte cannot close the string
		case !plain(ch):
			isPlain = false
		}
	}
	return 0, false, false
}

// name reads a member name, which must be a plain string (no escapes):
// Seal never escapes the ASCII names of sealedSession. The name aliases b.
func (c *jsonCursor) name() ([]byte, bool) {
	c.space()
	if c.i >= len(c.b) || c.b[c.i] != '"' {
		return nil, false
	}
	end, isPlain, ok := c.stringEnd()
	if !ok || !isPlain {
		return nil, false
	}
	name := c.b[c.i+1 : end-1]
	c.i = end
	return name, true
}

// str reads a JSON string value.
func (c *jsonCursor) str() (string, bool) {
	c.space()
	if c.i >= len(c.b) || c.b[c.i] != '"' {
		return "", false
	}
	end, isPlain, ok := c.stringEnd()
	if !ok {
		return "", false
	}
	tok := c.b[c.i:end]
	var s string
	if isPlain {
		s = string(tok[1 : len(tok)-1])
	} else if s, ok = unquote(tok); !ok {
		return "", false
	}
	c.i = end
	return s, true
}

// known reads a string as str does, but returns the one of names it
// spells, if any, rather than a copy: the purpose and the type of every
// session are one of a few constants.
func (c *jsonCursor) known(names ...string) (string, bool) {
	c.space()
	if c.i < len(c.b) && c.b[c.i] == '"' {
		if end, isPlain, ok := c.stringEnd(); ok && isPlain {
			for _, n := range names {
				if string(c.b[c.i+1:end-1]) == n {
					c.i = end
					return n, true
				}
			}
		}
	}
	return c.str()
}

// unquote decodes the JSON string tok with encoding/json.
func unquote(tok []byte) (string, bool) {
	var s string
	if json.Unmarshal(tok, &s) != nil {
		return "", false
	}
	return s, true
}

// integer reads a JSON number without fraction or exponent,
// -?(0|[1-9][0-9]*), that fits a signed integer of bits bits.
func (c *jsonCursor) integer(bits int) (int64, bool) {
	c.space()
	start := c.i
	i := start
	if i < len(c.b) && c.b[i] == '-' {
		i++
	}
	digits := i
	for i < len(c.b) && '0' <= c.b[i] && c.b[i] <= '9' {
		i++
	}
	if i == digits || (c.b[digits] == '0' && i > digits+1) {
		return 0, false // no digits, or a leading zero
	}
	if i < len(c.b) && (c.b[i] == '.' || c.b[i] == 'e' || c.b[i] == 'E') {
		return 0, false // a fraction or exponent: not an integer field's value
	}
	n, err := strconv.ParseInt(string(c.b[start:i]), 10, bits)
	if err != nil {
		return 0, false
	}
	c.i = i
	return n, true
}

// value reads any one JSON value and returns its bytes. It finds the
// value's end by counting brackets outside strings, then lets json.Valid
// judge the bytes in between, so that only a valid JSON value is returned.
func (c *jsonCursor) value() ([]byte, bool) {
	c.space()
	start, depth := c.i, 0
	i := start
scan:
	for i < len(c.b) {
		switch c.b[i] {
		case '"':
			c.i = i
			end, _, ok := c.stringEnd()
			if !ok {
				return nil, false
			}
			i = end
			if depth == 0 {
				break scan
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				break scan // the end of the enclosing object
			}
			depth--
			if depth == 0 {
				i++
				break scan
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				break scan // the end of a number or literal
			}
		}
		i++
	}
	v := c.b[start:i]
	if len(v) == 0 || !json.Valid(v) {
		return nil, false
	}
	c.i = i
	return v, true
}
