package verify

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// referenceDecode is what open did before decodeSession: encoding/json,
// unknown fields refused, one value and nothing after it.
func referenceDecode(b []byte) (sealedSession, bool) {
	var p sealedSession
	if !json.Valid(b) {
		return p, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || dec.More() {
		return sealedSession{}, false
	}
	return p, true
}

func sampleSessions() []sealedSession {
	base := sealedSession{
		Version: sessionVersion, Purpose: sessionPurpose, ID: "3q2-7wEAAAB0aGlzIGlzIGE", Subject: "auth0|5f7c8ec7c33c6c004bbafe82",
		Pending: "totp|dev_0123456789abcdef", Type: TypeTOTP, IssuedAt: 1700000000000, Expires: 1700000300000,
		State: json.RawMessage(`"AQEGHjEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDEy"`),
	}
	escaped := base
	escaped.Subject = "user \"quoted\" \\ back\nslash\t<&> héllo ✓ \u2028"
	passkey := base
	passkey.Type, passkey.Pending, passkey.MethodID = TypePasskey, "passkey|new", "passkey|dev_0123456789abcdef"
	passkey.State = json.RawMessage(`{"v":1,"t":"passkey","c":"AAEC","a":[-7,-257],"exp":1700000300000,"n":null,"b":true,"s":"}]\"{["}`)
	noState := base
	noState.State = nil
	nullState := base
	nullState.State = json.RawMessage(`null`)
	return []sealedSession{base, escaped, passkey, noState, nullState, {}}
}

// TestDecodeSession: everything json.Marshal makes of a sealedSession
// decodes to the same value; what falls outside the narrow grammar is
// refused, including what encoding/json would have accepted.
func TestDecodeSession(t *testing.T) {
	for _, want := range sampleSessions() {
		b, err := json.Marshal(want)
		require.NoError(t, err)
		got, ok := decodeSession(b)
		require.True(t, ok, "%s", b)
		assert.Equal(t, want, got)
		ref, ok := referenceDecode(b)
		require.True(t, ok)
		assert.Equal(t, ref, got)
	}

	t.Run("whitespace and member order", func(t *testing.T) {
		in := " \n{ \"st\" : [ 1 , {\"a\" : \"b\"} ] ,\t\"exp\":2,\r\"iat\" :-1 , \"v\":0, \"sub\":\"a\" } \n"
		got, ok := decodeSession([]byte(in))
		require.True(t, ok)
		assert.Equal(t, sealedSession{State: json.RawMessage(`[ 1 , {"a" : "b"} ]`), Expires: 2, IssuedAt: -1, Subject: "a"}, got)
	})

	for name, in := range map[string]string{
		"empty":                    ``,
		"not an object":            `[]`,
		"string":                   `"x"`,
		"unknown member":           `{"sid":"a","extra":1}`,
		"repeated member":          `{"sid":"a","sid":"b"}`,
		"other case":               `{"SID":"a"}`,
		"escaped name":             `{"\u0073id":"a"}`,
		"null string":              `{"sid":null}`,
		"null integer":             `{"v":null}`,
		"number for string":        `{"sid":1}`,
		"string for integer":       `{"v":"1"}`,
		"fraction":                 `{"v":1.0}`,
		"exponent":                 `{"iat":1e3}`,
		"leading zero":             `{"iat":01}`,
		"plus sign":                `{"iat":+1}`,
		"lone minus":               `{"iat":-}`,
		"int64 overflow":           `{"iat":9223372036854775808}`,
		"trailing data":            `{"sid":"a"} x`,
		"second object":            `{"sid":"a"}{}`,
		"trailing comma":           `{"sid":"a",}`,
		"missing colon":            `{"sid" "a"}`,
		"missing comma":            `{"sid":"a" "sub":"b"}`,
		"unterminated object":      `{"sid":"a"`,
		"unterminated string":      `{"sid":"a}`,
		"bad escape":               `{"sid":"a\x"}`,
		"raw control character":    "{\"sid\":\"a\x01\"}",
		"state unbalanced":         `{"st":{"a":[1}}`,
		"state open":               `{"st":{"a":1`,
		"state bare word":          `{"st":nul}`,
		"state number then junk":   `{"st":1x}`,
		"state empty":              `{"st":}`,
		"state invalid in string":  `{"st":{"a":"\q"}}`,
		"state two values":         `{"st":1 2}`,
		"state trailing comma":     `{"st":[1,]}`,
		"state unquoted name":      `{"st":{a:1}}`,
		"state single quotes":      `{"st":'a'}`,
		"closing bracket":          `{"sid":"a"]`,
		"name with control":        "{\"s\x01id\":\"a\"}",
		"string for state member":  `{"st"}`,
		"integer then letter":      `{"v":1true}`,
		"nested object for string": `{"sid":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := decodeSession([]byte(in))
			assert.False(t, ok)
			assert.Equal(t, sealedSession{}, got, "no partial result")
		})
	}
}

// FuzzDecodeSession holds decodeSession to encoding/json: whatever it
// accepts, encoding/json (unknown fields refused) decodes to the same
// value; and whatever json.Marshal writes, it accepts.
func FuzzDecodeSession(f *testing.F) {
	for _, p := range sampleSessions() {
		b, err := json.Marshal(p)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`{"sid":"\ud83d\ude00","sub":"\u00e9","st":[{"a":"]"}]}`))
	f.Add([]byte(`{"v":-0,"iat":9223372036854775807,"exp":-9223372036854775808}`))
	f.Add([]byte("{\"sub\":\"\xff\xfe\"}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := decodeSession(b)
		if !ok {
			require.Equal(t, sealedSession{}, got, "no partial result")
			return
		}
		ref, refOK := referenceDecode(b)
		require.True(t, refOK, "decodeSession accepted what encoding/json refuses: %q", b)
		require.Equal(t, ref, got, "%q", b)

		// What json.Marshal writes of the decoded value is accepted too.
		again, err := json.Marshal(got)
		require.NoError(t, err)
		back, ok := decodeSession(again)
		require.True(t, ok, "%s", again)
		if got.State != nil { // json.Marshal compacts and HTML-escapes it
			var compact, escaped bytes.Buffer
			require.NoError(t, json.Compact(&compact, got.State))
			json.HTMLEscape(&escaped, compact.Bytes())
			got.State = escaped.Bytes()
		}
		require.Equal(t, got, back)
	})
}

// BenchmarkDecodeSession decodes a TOTP enrollment's session payload;
// BenchmarkDecodeSessionReference is the encoding/json decode it replaced.
func BenchmarkDecodeSession(b *testing.B) {
	raw, err := json.Marshal(sampleSessions()[0])
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := decodeSession(raw); !ok {
			b.Fatal("refused")
		}
	}
}

func BenchmarkDecodeSessionReference(b *testing.B) {
	raw, err := json.Marshal(sampleSessions()[0])
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := referenceDecode(raw); !ok {
			b.Fatal("refused")
		}
	}
}

// referenceEncode is the JSON session.Sealer.Seal writes of p: a
// json.Encoder with SetEscapeHTML(false), without its newline.
func referenceEncode(tb testing.TB, p sealedSession) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(tb, enc.Encode(p))
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TestAppendSessionMatchesEncoder holds appendSession to the Encoder on
// the sample sessions (escapes, no state, null state, a confirmed method id
// beside the pending one, the zero value), and its output decodes back to
// the same session.
func TestAppendSessionMatchesEncoder(t *testing.T) {
	for _, p := range sampleSessions() {
		got := appendSession([]byte("prefix"), &p)[len("prefix"):]
		assert.Equal(t, string(referenceEncode(t, p)), string(got))
		back, ok := decodeSession(got)
		require.True(t, ok, "%s", got)
		assert.Equal(t, p, back)
	}
}

// FuzzAppendSession holds appendSession to the Encoder for any member
// values, with the state as Start encodes it (json.Marshal of the
// engine's state; here a string or an object holding it).
func FuzzAppendSession(f *testing.F) {
	f.Add(1, sessionPurpose, "3q2-7wEAAAB0aGlzIGlzIGE", "auth0|<x>&\u2028\xff", "totp|dev_0123456789abcdef", "", "totp", int64(1700000000000), int64(1700000300000), "AQEG", false)
	f.Add(-1, "", "", "", "", "passkey|dev_1", "", int64(-1), int64(0), "", true)
	f.Fuzz(func(t *testing.T, v int, purpose, sid, sub, mid, fid, typ string, iat, exp int64, state string, object bool) {
		p := sealedSession{Version: v, Purpose: purpose, ID: sid, Subject: sub, Pending: mid, MethodID: fid, Type: Type(typ), IssuedAt: iat, Expires: exp}
		if state != "" {
			var st any = state
			if object {
				st = map[string]any{"s": state, "n": []int{len(state)}}
			}
			var err error
			p.State, err = json.Marshal(st)
			require.NoError(t, err)
		}
		got := appendSession(nil, &p)
		require.Equal(t, string(referenceEncode(t, p)), string(got))
		back, ok := decodeSession(got)
		require.True(t, ok, "%s", got)
		ref, ok := referenceDecode(got)
		require.True(t, ok)
		require.Equal(t, ref, back)
	})
}

// BenchmarkAppendSession encodes a TOTP enrollment's session payload;
// BenchmarkAppendSessionReference is the Encoder it replaced.
func BenchmarkAppendSession(b *testing.B) {
	p := sampleSessions()[0]
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = appendSession(buf[:0], &p)
	}
}

func BenchmarkAppendSessionReference(b *testing.B) {
	p := sampleSessions()[0]
	b.ReportAllocs()
	for b.Loop() {
		referenceEncode(b, p)
	}
}
