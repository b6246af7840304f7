package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/verifykit/verifykit/verify"
)

// referenceScan is scan written on encoding/json's tokenizer: slower, and
// obviously right. FuzzScan holds the fast walker to it.
func referenceScan(body []byte, maxDepth int) error {
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
	type frame struct {
		object bool
		keys   map[string]struct{}
		key    string // current member name (object) …
		index  int    // … or element index (array)
		value  bool   // object: a name was read, its value is next
	}
	var stack []*frame
	path := func() []string {
		p := make([]string, 0, len(stack))
		for _, f := range stack {
			if f.object {
				p = append(p, f.key)
			} else {
				p = append(p, strconv.Itoa(f.index))
			}
		}
		return p
	}
	// done records that a value ended in the innermost frame.
	done := func() {
		if n := len(stack); n > 0 {
			f := stack[n-1]
			if f.object {
				f.value = false
			} else {
				f.index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
tokens:
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return syntaxError(err)
		}
		var top *frame
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		if top != nil && top.object && !top.value {
			// A member name, or the end of the object.
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				done()
				if len(stack) == 0 {
					break tokens
				}
				continue
			}
			name, _ := tok.(string)
			if _, dup := top.keys[name]; dup {
				top.key = name
				return invalidBody("the member appears more than once", path()...)
			}
			top.keys[name] = struct{}{}
			top.key, top.value = name, true
			continue
		}
		switch d, _ := tok.(json.Delim); d {
		case '{', '[':
			if len(stack) >= maxDepth {
				return invalidBody(fmt.Sprintf("the request body is nested more than %d levels deep", maxDepth), path()...)
			}
			stack = append(stack, &frame{object: d == '{', keys: map[string]struct{}{}})
		case ']':
			stack = stack[:len(stack)-1]
			done()
		default:
			done()
		}
		if len(stack) == 0 {
			break tokens
		}
	}
	if len(stack) != 0 {
		return invalidBody("the request body is truncated")
	}
	if rest := bytes.TrimLeft(body[dec.InputOffset():], " \t\r\n"); len(rest) != 0 { // JSON whitespace only, not U+00A0
		return invalidBody("the request body has data after the JSON object")
	}
	return nil
}

// firstPointer returns the pointer and detail of a scan error's first
// validation error.
func firstPointer(err error) string {
	if err == nil {
		return "<nil>"
	}
	var ve *verify.Error
	if !errors.As(err, &ve) || len(ve.Fields) == 0 {
		return "<no fields>"
	}
	return ve.Fields[0].Pointer + " " + ve.Fields[0].Detail
}

var scanSeeds = []string{
	`{}`, ` {"a":1} `, `{"a":{"b":[1,2,{"c":"d"}]}}`, `{"a":1,"a":2}`, `{"a":1,"\u0061":2}`,
	`{"a":{"b":1,"b":2}}`, `{"a":[{"x":1},{"x":1,"x":2}]}`, `{"a":"\"}\\"}`, `{"a":[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]}`,
	`{"a":1} {}`, `{"a":1}x`, `{"a":`, `{"a" 1}`, `[]`, `"x"`, "{\"a\":\"\xff\"}", `{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k17":17,"k1":0}`,
	`{"a":true,"b":null,"c":-1.5e3,"d":[true,false,null]}`, `{"":1,"":2}`,
	// The grammar the one-pass walker checks itself.
	`{"a":01}`, `{"a":-}`, `{"a":-0.5E+7}`, `{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":1e+}`, `{"a":+1}`, `{"a":0x1}`,
	`{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12G4"}`, `{"a":"\uD800\u00e9\/\b\f\n\r\t"}`, "{\"a\":\"\x01\"}", "{\"a\":\"\x7f\"}",
	`{"a":tru}`, `{"a":nul}`, `{"a":falsee}`, `{"a":true false}`, ` { "a" : [ 1 , 2 ] , "b" : { } } `, "{\t\"a\"\r\n:\n1}",
	`{"a":[1,]}`, `{"a":[,1]}`, `{"a":1,}`, `{,"a":1}`, `{"a"}`, `{"a":}`, `{1:1}`, `{"a":1 "b":2}`, `{"a":[1 2]}`, `{"a":"x`, `{"a":[`,
	// A repeated name or the depth limit before a syntax error: the
	// syntax error is reported.
	`{"a":1,"a":2,}`, `{"a":[[[[[[]]]]]],}`, `{"a":{"b":1,"b":2}} x`,
	"{\"a\":1}\u00a0",
}

// sameVerdict compares scan with referenceScan: on valid JSON the same
// error (pointer and detail) or none; on invalid JSON both refuse, the
// reason possibly differing (the tokenizer may meet a repeated name or the
// depth limit before the syntax error the walker reports first).
//
// The one-pass walker must also refuse exactly what json.Valid refuses,
// and explain it as before it checked the syntax itself: with
// encoding/json's explanation, even when a repeated name or the depth
// limit comes before the syntax error.
func sameVerdict(body []byte, depth int) error {
	_, got := scan(body, depth, nil)
	want := referenceScan(body, depth)
	if !json.Valid(body) {
		if got == nil || want == nil {
			return fmt.Errorf("scan(%q, %d) = %v, reference %v", body, depth, got, want)
		}
		if !utf8.Valid(body) || firstPointer(want) == " the request body is empty" || firstPointer(want) == " the request body must be a JSON object" {
			return nil
		}
		if g, w := firstPointer(got), firstPointer(syntaxFailure(body)); g != w {
			return fmt.Errorf("scan(%q, %d) = %s, want encoding/json's explanation %s", body, depth, g, w)
		}
		return nil
	}
	if g, w := firstPointer(got), firstPointer(want); g != w {
		return fmt.Errorf("scan(%q, %d) = %s, reference %s", body, depth, g, w)
	}
	return nil
}

func TestScanMatchesReference(t *testing.T) {
	for _, s := range scanSeeds {
		for _, depth := range []int{4, 16} {
			if err := sameVerdict([]byte(s), depth); err != nil {
				t.Error(err)
			}
		}
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, depth := range []int{4, 16} {
			if err := sameVerdict(body, depth); err != nil {
				t.Fatal(err)
			}
		}
		top, err := scan(body, 16, nil)
		if err != nil {
			return
		}
		// On valid input, members and elements agree with encoding/json,
		// and the members scan collects with members.
		var want map[string]json.RawMessage
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("scan accepted %q, encoding/json refuses it: %v", body, err)
		}
		ms := members(bytes.TrimSpace(body))
		if len(ms) != len(want) {
			t.Fatalf("members(%q) has %d members, encoding/json %d", body, len(ms), len(want))
		}
		if len(top) != len(ms) {
			t.Fatalf("scan(%q) collected %d members, members %d", body, len(top), len(ms))
		}
		for i, m := range ms {
			if top[i].key != m.key || !bytes.Equal(top[i].raw, m.raw) {
				t.Fatalf("scan(%q) member %d = %q: %q, members %q: %q", body, i, top[i].key, top[i].raw, m.key, m.raw)
			}
		}
		for _, m := range ms {
			if w, ok := want[m.key]; !ok || !bytes.Equal(bytes.TrimSpace(w), m.raw) {
				t.Fatalf("members(%q): %q = %q, encoding/json %q", body, m.key, m.raw, w)
			}
			if m.raw[0] == '[' {
				var es []json.RawMessage
				_ = json.Unmarshal(m.raw, &es)
				got := elements(m.raw)
				if len(got) != len(es) {
					t.Fatalf("elements(%q) = %d, encoding/json %d", m.raw, len(got), len(es))
				}
			}
			if m.raw[0] == '"' {
				var s string
				_ = json.Unmarshal(m.raw, &s)
				if decodeString(m.raw) != s {
					t.Fatalf("decodeString(%q) = %q, want %q", m.raw, decodeString(m.raw), s)
				}
			}
		}
	})
}
