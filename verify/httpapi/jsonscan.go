package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// This file is the first pass over request bodies: one walk over bytes
// that encoding/json has already found to be valid JSON, checking what
// encoding/json does not (nesting depth, repeated member names), and
// helpers that slice valid JSON objects and arrays without decoding them
// again.

// scan checks that body is exactly one well-formed JSON object in UTF-8,
// nested at most maxDepth deep, with no member name repeated within an
// object. It is the first pass over client bytes, before any typed decoding.
func scan(body []byte, maxDepth int) error {
	if !utf8.Valid(body) {
		return invalidBody("the request body is not valid UTF-8")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return invalidBody("the request body is empty")
	}
	if trimmed[0] != '{' {
		return invalidBody("the request body must be a JSON object")
	}
	if !json.Valid(body) {
		return syntaxFailure(body)
	}
	s := walker{b: body, maxDepth: maxDepth}
	_, err := s.value(skipSpace(body, 0), 0)
	return err
}

// syntaxFailure explains why body, which json.Valid refused, is invalid.
func syntaxFailure(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	var first json.RawMessage
	if err := dec.Decode(&first); err != nil {
		return syntaxError(err)
	}
	return invalidBody("the request body has data after the JSON object")
}

// walker walks valid JSON, keeping the path to the current value for
// error pointers.
type walker struct {
	b        []byte
	maxDepth int
	path     []pathElem
}

type pathElem struct {
	key   string
	index int // -1 for an object member
}

func (w *walker) pathStrings() []string {
	p := make([]string, len(w.path))
	for i, e := range w.path {
		if e.index >= 0 {
			p[i] = strconv.Itoa(e.index)
		} else {
			p[i] = e.key
		}
	}
	return p
}

// value walks the value at b[i] (not whitespace), at the given depth, and
// returns the index after it.
func (w *walker) value(i, depth int) (int, error) {
	b := w.b
	switch b[i] {
	case '{':
		if depth >= w.maxDepth {
			return 0, invalidBody(fmt.Sprintf("the request body is nested more than %d levels deep", w.maxDepth), w.pathStrings()...)
		}
		var small [16]string
		keys := small[:0]
		var many map[string]struct{}
		w.path = append(w.path, pathElem{index: -1})
		top := len(w.path) - 1
		i = skipSpace(b, i+1)
		for b[i] != '}' {
			end := skipString(b, i)
			key := decodeString(b[i:end])
			w.path[top].key = key
			if many == nil {
				for _, k := range keys {
					if k == key {
						return 0, invalidBody("the member appears more than once", w.pathStrings()...)
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
					return 0, invalidBody("the member appears more than once", w.pathStrings()...)
				}
				many[key] = struct{}{}
			}
			i = skipSpace(b, skipSpace(b, end)+1) // past ':'
			var err error
			if i, err = w.value(i, depth+1); err != nil {
				return 0, err
			}
			if i = skipSpace(b, i); b[i] == ',' {
				i = skipSpace(b, i+1)
			}
		}
		w.path = w.path[:top]
		return i + 1, nil
	case '[':
		if depth >= w.maxDepth {
			return 0, invalidBody(fmt.Sprintf("the request body is nested more than %d levels deep", w.maxDepth), w.pathStrings()...)
		}
		w.path = append(w.path, pathElem{})
		top := len(w.path) - 1
		i = skipSpace(b, i+1)
		for n := 0; b[i] != ']'; n++ {
			w.path[top].index = n
			var err error
			if i, err = w.value(i, depth+1); err != nil {
				return 0, err
			}
			if i = skipSpace(b, i); b[i] == ',' {
				i = skipSpace(b, i+1)
			}
		}
		w.path = w.path[:top]
		return i + 1, nil
	}
	return skipValue(b, i), nil
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
		key := decodeString(lit[i:end])
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
