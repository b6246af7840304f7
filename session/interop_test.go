package session

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ironResult is one answer of interop/iron/iron.js.
type ironResult struct {
	Token  string         `json:"token"`
	Object jsontext.Value `json:"object"`
	Error  *string        `json:"error"`
}

// stringify is JSON.stringify for the values of these tests: json/v2 with
// map keys sorted, so node sees the keys in the order Go sealed them.
func stringify(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v, json.Deterministic(true))
	require.NoError(t, err)
	return b
}

// ironBatch runs requests through the real @hapi/iron 7.0.1 in one node
// process and returns its answers in order.
func ironBatch(t *testing.T, reqs []map[string]any) []ironResult {
	t.Helper()
	node, script := nodeOrSkip(t)
	in := stringify(t, reqs)
	cmd := exec.Command(node, script)
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "node: %s", stderr.String())
	var res []ironResult
	require.NoError(t, json.Unmarshal(out, &res))
	require.Len(t, res, len(reqs))
	return res
}

// TestInteropIron checks, against the real @hapi/iron 7.0.1 (node, from
// interop/): Go seals open in iron and iron seals open in Go, with and
// without password id and ttl; both seal byte-identical tokens from the
// same salts and IV; expiry and key mismatches fail on both sides.
//
// Checklist: AS-01.
func TestInteropIron(t *testing.T) {
	const now = int64(1700000000000)
	const ttl = 5 * time.Minute
	clock := &fixedClock{ms: now}
	v := loadVectors(t)
	fixed := v.fixedRandom(t)

	payloads := map[string]any{
		"iron object": map[string]any{"a": 1, "b": 2, "c": []int{3, 4, 5}, "d": map[string]string{"e": "f"}},
		"V5 unicode":  map[string]string{"user_id": "auth0|123", "s": "héllo ✓ <&>"},
		"string":      "just a string",
		"session": map[string]any{
			"v": 1, "p": "mfa-enroll", "sid": "3q2-7wEAAAB0aGlzIGlz", "sub": "auth0|5f7c8ec7c33c6c004bbafe82",
			"mid": "totp|dev_0123456789abcdef", "typ": "totp", "iat": now, "exp": now + ttl.Milliseconds(),
			"st": map[string]string{"secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"},
		},
		"escapes":        map[string]string{"q": "\"\\/\b\f\n\r\t\x01", "emoji": "🔐", "html": "</script><!--"},
		"numbers":        []any{0, -1, 1.5, 9007199254740991, 1e21, true, false, nil},
		"empty":          map[string]any{},
		"line separator": "a\u2028b\u2029c", // Go escapes U+2028/9, JSON.stringify does not
		"long":           strings.Repeat("x", 2500),
	}
	type keyCase struct{ id string }
	keyCases := []keyCase{{""}, {"k1"}}
	password := func(id string) map[string]any {
		if id == "" {
			return map[string]any{"password": testPassword}
		}
		return map[string]any{"passwords": map[string]string{id: testPassword}}
	}
	merge := func(ms ...map[string]any) map[string]any {
		out := map[string]any{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}

	var reqs []map[string]any
	var checks []func(t *testing.T, r ironResult)
	add := func(req map[string]any, check func(t *testing.T, r ironResult)) {
		reqs = append(reqs, req)
		checks = append(checks, check)
	}
	goOpen := func(t *testing.T, s *Sealer, tok string, want any) {
		t.Helper()
		raw, err := s.Open(tok)
		require.NoError(t, err)
		assert.JSONEq(t, string(stringify(t, want)), string(raw))
	}

	for name, p := range payloads {
		wantJSON := stringify(t, p)
		for _, kc := range keyCases {
			s := newTestSealer(t, []Key{{ID: kc.id, Password: testPassword}}, clock, nil)
			for _, ttlMs := range []int64{0, ttl.Milliseconds()} {
				label := name + "/id=" + kc.id + "/ttl=" + time.Duration(ttlMs*1e6).String()

				// Go seals, iron unseals.
				goTok, err := s.Seal(wantJSON, time.Duration(ttlMs)*time.Millisecond)
				require.NoError(t, err, label)
				add(merge(map[string]any{"op": "unseal", "token": goTok, "now": now}, password(kc.id)),
					func(t *testing.T, r ironResult) {
						require.Nil(t, r.Error, "%s: iron refused a Go seal", label)
						assert.JSONEq(t, string(wantJSON), string(r.Object), label)
					})

				// iron seals (real randomness), Go unseals.
				sealReq := map[string]any{"op": "seal", "object": p, "password": testPassword, "ttl": ttlMs, "now": now}
				if kc.id != "" {
					sealReq["passwordId"] = kc.id
				}
				add(sealReq, func(t *testing.T, r ironResult) {
					require.Nil(t, r.Error, label)
					parts := splitToken(r.Token)
					require.Len(t, parts, numParts)
					assert.Equal(t, kc.id, parts[1])
					if ttlMs > 0 {
						assert.Equal(t, "1700000300000", parts[5])
					} else {
						assert.Empty(t, parts[5])
					}
					goOpen(t, s, r.Token, p)
				})

				// Same salts and IV: the same token, byte for byte, since
				// json/v2 writes what JSON.stringify writes (no HTML
				// escaping, U+2028/U+2029 as they are).
				fixedSealer := newTestSealer(t, []Key{{ID: kc.id, Password: testPassword}}, clock, fixed)
				goFixed, err := fixedSealer.Seal(wantJSON, time.Duration(ttlMs)*time.Millisecond)
				require.NoError(t, err)
				fixedReq := merge(sealReq, map[string]any{"random": hex.EncodeToString(fixed)})
				add(fixedReq, func(t *testing.T, r ironResult) {
					require.Nil(t, r.Error, label)
					assert.Equal(t, r.Token, goFixed, label)
				})
			}
		}
	}

	// Negative cases, both ways.
	s := newTestSealer(t, []Key{{ID: "k1", Password: testPassword}}, clock, nil)
	goK1, err := s.Seal([]byte(`"x"`), ttl)
	require.NoError(t, err)
	exp := now + ttl.Milliseconds()
	refused := func(msg string) func(t *testing.T, r ironResult) {
		return func(t *testing.T, r ironResult) {
			require.NotNil(t, r.Error, "iron accepted")
			assert.Contains(t, *r.Error, msg)
		}
	}
	add(map[string]any{"op": "unseal", "token": goK1, "now": now, "passwords": map[string]string{"k1": "another_password_of_32_characters"}}, refused("Bad hmac value"))
	add(map[string]any{"op": "unseal", "token": goK1, "now": now, "passwords": map[string]string{"k2": testPassword}}, refused("Cannot find password: k1"))
	add(map[string]any{"op": "unseal", "token": goK1, "now": exp + 60_000, "passwords": map[string]string{"k1": testPassword}}, refused("Expired seal"))
	add(map[string]any{"op": "unseal", "token": goK1, "now": exp + 59_999, "passwords": map[string]string{"k1": testPassword}},
		func(t *testing.T, r ironResult) {
			require.Nil(t, r.Error)
			assert.JSONEq(t, `"x"`, string(r.Object))
		})
	// A tampered Go seal is refused by iron too.
	tampered := splitToken(goK1)
	tampered[4] = string(flip(tampered[4][0])) + tampered[4][1:]
	add(map[string]any{"op": "unseal", "token": strings.Join(tampered, "*"), "now": now, "passwords": map[string]string{"k1": testPassword}}, refused("Bad hmac value"))
	// iron refuses a short password, as NewSealer does.
	add(map[string]any{"op": "seal", "object": "x", "password": strings.Repeat("k", 31)}, refused("Password string too short"))

	// iron seals that Go must refuse: expired, wrong password, id-less
	// opened through "default".
	add(map[string]any{"op": "seal", "object": "x", "password": testPassword, "ttl": ttl.Milliseconds(), "now": now},
		func(t *testing.T, r ironResult) {
			require.Nil(t, r.Error)
			late := newTestSealer(t, []Key{{Password: testPassword}}, &fixedClock{ms: exp + 60_000}, nil)
			refuse(t, late, r.Token, errExpired)
			wrong := newTestSealer(t, []Key{{Password: "another_password_of_32_characters"}}, clock, nil)
			refuse(t, wrong, r.Token, errMAC)
			deflt := newTestSealer(t, []Key{{ID: "default", Password: testPassword}}, clock, nil)
			got, err := deflt.Open(r.Token)
			require.NoError(t, err)
			assert.Equal(t, `"x"`, string(got))
		})

	// The known-answer vectors, re-made by iron now (guards the testdata).
	for _, x := range v.Vectors {
		if x.Name == "H1" {
			continue // its salts came from iron's own test run
		}
		// A raw value keeps the key order (a Go map is sorted).
		req := map[string]any{"op": "seal", "object": jsontext.Value(x.Plaintext), "random": hex.EncodeToString(fixed), "now": now, "ttl": x.TTLMs}
		switch {
		case x.RawKey:
			req["passwordBuffer"] = v.RawKeyHex
			req["random"] = v.IVHex // a key buffer draws no salts, only the IV
		case x.KeyID != "":
			req["password"], req["passwordId"] = v.Password, x.KeyID
		default:
			req["password"] = v.Password
		}
		add(req, func(t *testing.T, r ironResult) {
			require.Nil(t, r.Error, x.Name)
			assert.Equal(t, x.Token, r.Token, x.Name)
		})
	}

	res := ironBatch(t, reqs)
	for i, r := range res {
		checks[i](t, r)
	}
}
