package httpapi

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/verifykit/verifykit/internal/jsonw"
	"strconv"
	"unicode/utf8"
)

// This file is the one pass over request bodies: a walk that checks the
// JSON grammar (RFC 8259, exactly what json.Valid accepts), what
// encoding/json does not (nesting depth, repeated member names) and
// collects the members of the outer object, so that the typed decoding
// that follows never reads the body again; and helpers that slice valid
// JSON objects and arrays without decoding them again.

// scan checks that body is exactly one well-formed JSON object in UTF-8,
// nested at most maxDepth deep, with no member name repeated within an
// object, and returns the members of that object, in order, appended to
// dst. It is the first pass over client bytes, before any typed decoding.
// A body that is not valid JSON is refused as not valid JSON even when a
// repeated name or the depth limit comes first, as if json.Valid had run
// before the walk.
func scan(body []byte, maxDepth int, dst []member) ([]member, error) {
	if !utf8.Valid(body) {
		return nil, invalidBody("the request body is not valid UTF-8")
	}
	i := skipSpace(body, 0)
	if i == len(body) {
		return nil, invalidBody("the request body is empty")
	}
	if body[i] != '{' {
		return nil, invalidBody("the request body must be a JSON object")
	}
	w := walker{b: body, maxDepth: maxDepth}
	ms, end, err := w.outer(i, dst)
	if err == nil && skipSpace(body, end) != len(body) {
		err = errSyntax
	}
	switch {
	case err == errSyntax:
		return nil, syntaxFailure(body)
	case err != nil && !json.Valid(body):
		// The walk stopped early, at a repeated name or the depth limit,
		// before a syntax error further on: the syntax error wins.
		return nil, syntaxFailure(body)
	case err != nil:
		return nil, err
	}
	return ms, nil
}

// errSyntax is the walker's verdict on bytes that are not JSON; scan
// replaces it by encoding/json's explanation.
var errSyntax = errors.New("httpapi: not valid JSON")

// syntaxFailure explains why body, which json.Valid refuses, is invalid.
func syntaxFailure(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		return syntaxError(err)
	}
	return invalidBody("the request body has data after the JSON object")
}

// walker walks a request body, checking its syntax and keeping the path
// to the current value for error pointers: path[d] is the member name or
// element index of the value inside the container at depth d.
type walker struct {
	b        []byte
	maxDepth int // at most MaxMaxDepth
	path     [MaxMaxDepth]pathElem
}

type pathElem struct {
	key   string
	index int // -1 for an object member
}

// pathStrings returns the first n elements of the path.
func (w *walker) pathStrings(n int) []string {
	p := make([]string, n)
	for i, e := range w.path[:n] {
		if e.index >= 0 {
			p[i] = strconv.Itoa(e.index)
		} else {
			p[i] = e.key
		}
	}
	return p
}

// outer walks the outer object at b[i] == '{', appending its members to
// dst, and returns them and the index after the object.
func (w *walker) outer(i int, dst []member) ([]member, int, error) {
	end, err := w.object(i, 0, func(key string, raw []byte) { dst = append(dst, member{key: key, raw: raw}) })
	return dst, end, err
}

// object walks the object at b[i] == '{' at depth, calling each (if not
// nil) with every member, and returns the index after it.
func (w *walker) object(i, depth int, each func(key string, raw []byte)) (int, error) {
	b := w.b
	if depth >= w.maxDepth {
		return 0, invalidBody(fmt.Sprintf("the request body is nested more than %d levels deep", w.maxDepth), w.pathStrings(depth)...)
	}
	var small [16]string
	keys := small[:0]
	var many map[string]struct{}
	w.path[depth] = pathElem{index: -1}
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, errSyntax
		}
		end, escaped := stringEnd(b, i)
		if end < 0 {
			return 0, errSyntax
		}
		key := keyString(b[i:end], escaped)
		w.path[depth].key = key
		if many == nil {
			for _, k := range keys {
				if k == key {
					return 0, invalidBody("the member appears more than once", w.pathStrings(depth+1)...)
				}
			}
			keys = append(keys, key)
			if len(keys) == len(small) {
				many = make(map[string]struct{}, 2*len(small))
				for _, k := range keys {
					many[k] = struct{}{}
				}
			}
		} else {
			if _, dup := many[key]; dup {
				return 0, invalidBody("the member appears more than once", w.pathStrings(depth+1)...)
			}
			many[key] = struct{}{}
		}
		if i = skipSpace(b, end); i >= len(b) || b[i] != ':' {
			return 0, errSyntax
		}
		if i = skipSpace(b, i+1); i >= len(b) {
			return 0, errSyntax
		}
		vs := i
		var err error
		if i, err = w.value(i, depth+1); err != nil {
			return 0, err
		}
		if each != nil {
			each(key, b[vs:i])
		}
		if i = skipSpace(b, i); i >= len(b) {
			return 0, errSyntax
		}
		if b[i] == '}' {
			return i + 1, nil
		}
		if b[i] != ',' {
			return 0, errSyntax
		}
		i = skipSpace(b, i+1)
	}
}

// value walks the value at b[i] (not whitespace; i < len(b)) at depth,
// the number of containers around it, and returns the index after it;
// errSyntax when the bytes are not JSON.
func (w *walker) value(i, depth int) (int, error) {
	b := w.b
	switch b[i] {
	case '{':
		return w.object(i, depth, nil)
	case '[':
		if depth >= w.maxDepth {
			return 0, invalidBody(fmt.Sprintf("the request body is nested more than %d levels deep", w.maxDepth), w.pathStrings(depth)...)
		}
		if i = skipSpace(b, i+1); i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		for n := 0; ; n++ {
			if i >= len(b) {
				return 0, errSyntax
			}
			w.path[depth] = pathElem{index: n}
			var err error
			if i, err = w.value(i, depth+1); err != nil {
				return 0, err
			}
			if i = skipSpace(b, i); i >= len(b) {
				return 0, errSyntax
			}
			if b[i] == ']' {
				return i + 1, nil
			}
			if b[i] != ',' {
				return 0, errSyntax
			}
			i = skipSpace(b, i+1)
		}
	case '"':
		end, _ := stringEnd(b, i)
		if end < 0 {
			return 0, errSyntax
		}
		return end, nil
	case 't':
		return literal(b, i, "true")
	case 'f':
		return literal(b, i, "false")
	case 'n':
		return literal(b, i, "null")
	}
	end := numberEnd(b, i)
	if end < 0 {
		return 0, errSyntax
	}
	return end, nil
}

func literal(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, errSyntax
	}
	return i + len(lit), nil
}

// stringEnd checks the string literal at b[i] == '"' (RFC 8259 §7: no
// control characters, only the escapes listed there) and returns the
// index after it, and whether it holds an escape; -1 if it is malformed.
// UTF-8 is checked over the whole body beforehand.
func stringEnd(b []byte, i int) (int, bool) {
	escaped := false
	for i++; i < len(b); i++ {
		for i+8 <= len(b) && !jsonw.StringSpecial(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i == len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped
		case c < 0x20:
			return -1, false
		case c == '\\':
			escaped = true
			if i++; i >= len(b) {
				return -1, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(b)-i <= 4 || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					return -1, false
				}
				i += 4
			default:
				return -1, false
			}
		}
	}
	return -1, false
}

// plain marks the bytes a string literal holds as they are: all but '"',
// '\' and the control characters.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// numberEnd checks the number at b[i] (RFC 8259 §6:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?) and returns the index
// after it, or -1.
func numberEnd(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		if j := digits(b, i+1); j > i+1 {
			i = j
		} else {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if j := digits(b, i); j > i {
			i = j
		} else {
			return -1
		}
	}
	return i
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// keyString decodes the valid member name lit (a string literal, escaped
// when it holds a backslash). The names of the request schemas come back
// as constants, so that walking a valid body allocates no names.
func keyString(lit []byte, escaped bool) string {
	if escaped {
		return decodeString(lit)
	}
	switch s := lit[1 : len(lit)-1]; string(s) {
	case "type":
		return "type"
	case "auth_session":
		return "auth_session"
	case "otp_code":
		return "otp_code"
	case "new_password":
		return "new_password"
	case "authn_response":
		return "authn_response"
	case "connection":
		return "connection"
	case "identity_user_id":
		return "identity_user_id"
	case "use_exclude_credentials":
		return "use_exclude_credentials"
	case "email":
		return "email"
	case "phone_number":
		return "phone_number"
	case "preferred_authentication_method":
		return "preferred_authentication_method"
	case "name":
		return "name"
	default:
		return string(s)
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string literal at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the valid JSON value at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// decodeString decodes a valid JSON string literal.
func decodeString(lit []byte) string {
	if bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1])
	}
	var s string
	_ = json.Unmarshal(lit, &s) // valid by construction
	return s
}

// member is one member of a JSON object.
type member struct {
	key   string
	raw   []byte
	taken bool
}

// members returns the members of the valid JSON object lit, in order.
func members(lit []byte) []member {
	var ms []member
	i := skipSpace(lit, 1)
	for i < len(lit) && lit[i] != '}' {
		end := skipString(lit, i)
		key := keyString(lit[i:end], bytes.IndexByte(lit[i:end], '\\') >= 0)
		vs := skipSpace(lit, skipSpace(lit, end)+1)
		ve := skipValue(lit, vs)
		ms = append(ms, member{key: key, raw: lit[vs:ve]})
		if i = skipSpace(lit, ve); i < len(lit) && lit[i] == ',' {
			i = skipSpace(lit, i+1)
		}
	}
	return ms
}

// elements returns the elements of the valid JSON array lit.
func elements(lit []byte) [][]byte {
	var es [][]byte
	i := skipSpace(lit, 1)
	for i < len(lit) && lit[i] != ']' {
		end := skipValue(lit, i)
		es = append(es, lit[i:end])
		if i = skipSpace(lit, end); i < len(lit) && lit[i] == ',' {
			i = skipSpace(lit, i+1)
		}
	}
	return es
}
