package otp

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/store"
	"github.com/verifykit/verifykit/verify"
)

// startRecovery starts a recovery-code enrollment for sub.
func (f *fixture) startRecovery(t testing.TB, sub verify.Subject) *verify.Enrollment {
	t.Helper()
	en, err := f.svc.Start(context.Background(), sub, verify.StartRequest{Type: verify.TypeRecoveryCode}, verify.Client{})
	require.NoError(t, err)
	return en
}

// enrollRecovery starts and confirms a recovery-code enrollment for sub and
// returns the method id and the code.
func (f *fixture) enrollRecovery(t testing.TB, sub verify.Subject) (string, string) {
	t.Helper()
	en := f.startRecovery(t, sub)
	m, err := f.svc.Verify(context.Background(), sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession}, verify.Client{})
	require.NoError(t, err)
	return m.ID, en.RecoveryCode
}

// RC-01: codes carry at least 64 bits from crypto/rand.
func TestRecoveryCodesAreRandomAndLongEnough(t *testing.T) {
	e, err := NewRecoveryCode(RecoveryCodeConfig{HashKey: testHashKey})
	require.NoError(t, err)
	bits := math.Log2(float64(len(recoveryCodeAlphabet))) * recoveryCodeLen
	assert.Equal(t, float64(recoveryCodeBits), bits)
	assert.GreaterOrEqual(t, bits, 112.0, "fast keyed hash allowed only from 112 bits")
	assert.Len(t, recoveryCodeAlphabet, 32)
	for _, c := range "ILOU" {
		assert.NotContains(t, recoveryCodeAlphabet, string(c), "ambiguous symbol")
	}
	seen := map[string]bool{}
	for i := 0; i < 10; i++ {
		ch, err := e.Start(context.Background(), &verify.EngineStart{Subject: verify.Subject{ID: "u1"}, MethodID: "recovery-code|dev_" + string(rune('a'+i))})
		require.NoError(t, err)
		code := ch.RecoveryCode
		require.Len(t, code, recoveryCodeLen)
		assert.Equal(t, "", strings.Trim(code, recoveryCodeAlphabet), "code %q outside the alphabet", code)
		require.False(t, seen[code], "codes repeat")
		seen[code] = true
		norm, ok := normalizeRecoveryCode(code)
		require.True(t, ok)
		assert.Equal(t, code, norm, "issued codes are in normal form")
	}
}

// containsCodePart reports whether hay contains any 6-symbol window of
// code, in any letter case.
func containsCodePart(hay, code string) bool {
	hay = strings.ToUpper(hay)
	for i := 0; i+6 <= len(code); i++ {
		if strings.Contains(hay, code[i:i+6]) {
			return true
		}
	}
	return false
}

// RC-02: codes are stored hashed, never in plaintext.
func TestRecoveryCodesAreStoredAsKeyedHashes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	en := f.startRecovery(t, f.sub)
	code := en.RecoveryCode

	// The sealed state, opened: only a keyed hash.
	plain, err := f.sealer.Open(en.AuthSession)
	require.NoError(t, err)
	assert.False(t, containsCodePart(string(plain), code), "auth_session plaintext %s", plain)
	var sealed struct {
		State string `json:"st"`
	}
	require.NoError(t, json.Unmarshal(plain, &sealed))
	h := keyedHash(testHashKey, recoveryDomain, en.ID, code)
	assert.Equal(t, encodeState(h[:]), sealed.State)

	_, err = f.svc.Verify(ctx, f.sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession}, verify.Client{})
	require.NoError(t, err)
	m, err := f.store.Get(ctx, f.sub.ID, en.ID)
	require.NoError(t, err)
	assert.Equal(t, h[:], m.Secret, "the store keeps the keyed hash")
	for _, dump := range []string{string(m.Secret), hex.EncodeToString(m.Secret), base64.StdEncoding.EncodeToString(m.Secret), string(m.Attrs)} {
		assert.False(t, containsCodePart(dump, code), "stored %q", dump)
	}
	// Salted by method id: the same code hashes differently for another
	// method, and under another key.
	assert.NotEqual(t, h, keyedHash(testHashKey, recoveryDomain, "recovery-code|dev_other", code))
	assert.NotEqual(t, h, keyedHash([]byte("another-32-byte-hash-key-0123456"), recoveryDomain, en.ID, code))
}

// RC-03: a code is single use, atomically.
func TestRecoveryCodeIsSpentOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	id, code := f.enrollRecovery(t, f.sub)
	otherID, other := f.enrollRecovery(t, f.sub)
	wins, errs := race(20, func() error { _, err := f.recoverySignIn(ctx, f.sub.ID, id, code); return err })
	assert.Equal(t, 1, wins)
	require.Len(t, errs, 19)
	for _, err := range errs {
		// The store's write conditional on the version refused it, or the
		// record read already held the replacement.
		assert.True(t, errors.Is(err, store.ErrConflict) || errors.Is(err, verify.ErrInvalidProof), "%v", err)
	}
	// Spent: refused from now on; the other method is untouched.
	_, err := f.recoverySignIn(ctx, f.sub.ID, id, code)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	_, err = f.store.Get(ctx, f.sub.ID, otherID)
	require.NoError(t, err)
	_, err = f.recoverySignIn(ctx, f.sub.ID, otherID, other)
	require.NoError(t, err)
}

// RC-04: codes are scoped to their user.
func TestRecoveryCodeOfAnotherUserIsRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	bob := verify.Subject{ID: "auth0|bob", Email: "bob@example.com"}
	aliceID, _ := f.enrollRecovery(t, f.sub)
	bobID, bobCode := f.enrollRecovery(t, bob)
	bobBefore, err := f.store.Get(ctx, bob.ID, bobID)
	require.NoError(t, err)
	_, err = f.recoverySignIn(ctx, f.sub.ID, aliceID, bobCode)
	require.ErrorIs(t, err, verify.ErrInvalidProof)
	_, err = f.recoverySignIn(ctx, f.sub.ID, bobID, bobCode)
	require.ErrorIs(t, err, verify.ErrNotFound, "bob's method is not alice's")
	bobAfter, err := f.store.Get(ctx, bob.ID, bobID)
	require.NoError(t, err)
	assert.Equal(t, bobBefore, bobAfter, "bob's code stays unused")
	_, err = f.recoverySignIn(ctx, bob.ID, bobID, bobCode)
	require.NoError(t, err)
}

// RC-05: input is normalised and compared in constant time.
func TestRecoveryCodeIsNormalisedAndComparedInConstantTime(t *testing.T) {
	const code = "0123456789ABCDEFGHJKMNPQ"
	for _, tc := range []struct {
		name, in string
		ok       bool
	}{
		{"as issued", code, true},
		{"lower case", strings.ToLower(code), true},
		{"groups of four", "0123-4567-89AB-CDEF-GHJK-MNPQ", true},
		{"lower groups with spaces", "0123 4567 89ab cdef ghjk mnpq", true},
		{"mixed separators", " 0123-4567 -89ab cdefghjkmnpq- ", true},
		{"look-alikes", "O123456789ABCDEFGHJKMNPQ", true},
		{"I and L", "0I23456789ABCDEFGHJKMNPQ", true},
		{"lower l", "0l23456789abcdefghjkmnpq", true},
		{"too short", code[:23], false},
		{"too long", code + "R", false},
		{"U", "U123456789ABCDEFGHJKMNPQ", false},
		{"punctuation", "0123_4567_89AB_CDEF_GHJK_MNPQ", false},
		{"tab", "0123\t4567", false},
		{"non-ASCII", "０123456789ABCDEFGHJKMNPQ", false},
		{"empty", "", false},
		{"only separators", strings.Repeat("-", 30), false},
		{"oversized", strings.Repeat("-", 1000) + code, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := normalizeRecoveryCode(tc.in)
			require.Equal(t, tc.ok, ok)
			if !ok {
				return
			}
			assert.Equal(t, code, got)
		})
	}
	// "ABCD-EFGH…" ≡ "abcdefgh…" at sign-in.
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	issuedID, issued := f.enrollRecovery(t, f.sub)
	var grouped []string
	for i := 0; i < len(issued); i += 4 {
		grouped = append(grouped, strings.ToLower(issued[i:i+4]))
	}
	_, err := f.recoverySignIn(ctx, f.sub.ID, issuedID, strings.Join(grouped, "-"))
	require.NoError(t, err)
	t.Run("static", TestConstantTimeOnly)
}

// RC-08: confirming the enrollment consumes nothing.
func TestEnrollmentVerifyConsumesNoRecoveryCode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, TOTPConfig{}, 0)
	firstID, first := f.enrollRecovery(t, f.sub)

	en := f.startRecovery(t, f.sub)
	// The enrollment's verify takes the auth_session only.
	code := en.RecoveryCode
	_, err := f.svc.Verify(ctx, f.sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession, OTPCode: &code}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
	m, err := f.svc.Verify(ctx, f.sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession}, verify.Client{})
	require.NoError(t, err)
	assert.Equal(t, verify.TypeRecoveryCode, m.Type)
	assert.True(t, m.Confirmed)
	// Replay of the auth_session: refused, nothing more stored.
	_, err = f.svc.Verify(ctx, f.sub, en.ID, verify.VerifyRequest{AuthSession: en.AuthSession}, verify.Client{})
	require.ErrorIs(t, err, verify.ErrAlreadyUsed)
	ms, err := f.store.List(ctx, f.sub.ID)
	require.NoError(t, err)
	assert.Len(t, ms, 2)
	// Confirming consumed no code: both codes still work.
	_, err = f.store.Get(ctx, f.sub.ID, firstID)
	require.NoError(t, err)
	_, err = f.recoverySignIn(ctx, f.sub.ID, firstID, first)
	require.NoError(t, err)
	_, err = f.recoverySignIn(ctx, f.sub.ID, en.ID, code)
	require.NoError(t, err)

	// The engine itself refuses a proof and a bad state.
	_, err = f.rc.Confirm(ctx, &verify.EngineConfirm{State: jsontext.Value(`"AAAA"`), Request: verify.VerifyRequest{OTPCode: &code}})
	require.ErrorIs(t, err, verify.ErrInvalidRequest)
	for _, st := range []string{``, `"AAAA"`, `{}`, `"` + strings.Repeat("A", 60) + `"`} {
		_, err = f.rc.Confirm(ctx, &verify.EngineConfirm{State: jsontext.Value(st)})
		require.ErrorIs(t, err, verify.ErrInvalidSession, st)
	}
}

func TestRecoveryCodeConfig(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		_, err := NewRecoveryCode(RecoveryCodeConfig{HashKey: make([]byte, n)})
		require.ErrorIs(t, err, ErrConfig)
		assert.Contains(t, err.Error(), "32")
	}
	key := []byte(string(testHashKey))
	e, err := NewRecoveryCode(RecoveryCodeConfig{HashKey: key})
	require.NoError(t, err)
	key[0] ^= 1
	assert.Equal(t, testHashKey, e.key, "the engine keeps its own copy of the key")
}

// Checklist: FZ-04.
func FuzzRecoveryCode(f *testing.F) {
	for _, s := range []string{"0123456789ABCDEFGHJKMNPQ", "0123-4567-89ab-cdef-ghjk-mnpq", "", "U", "O0Il", strings.Repeat("-", 70), "０123456789ABCDEFGHJKMNPQ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, ok := normalizeRecoveryCode(in)
		if !ok {
			if out != "" {
				t.Fatalf("%q: failed with a result %q", in, out)
			}
			return
		}
		if len(out) != recoveryCodeLen || strings.Trim(out, recoveryCodeAlphabet) != "" {
			t.Fatalf("%q: normalised to %q", in, out)
		}
		// Normalising only drops separators, folds case and reads
		// look-alikes: the input's other bytes map one to one.
		r := strings.NewReplacer("-", "", " ", "", "O", "0", "I", "1", "L", "1")
		if r.Replace(strings.ToUpper(in)) != out {
			t.Fatalf("%q: normalised to %q", in, out)
		}
		if again, ok := normalizeRecoveryCode(out); !ok || again != out {
			t.Fatalf("%q: not idempotent", in)
		}
	})
}

// BenchmarkRecoveryCodeConfirm is the engine's Confirm alone.
func BenchmarkRecoveryCodeConfirm(b *testing.B) {
	e, err := NewRecoveryCode(RecoveryCodeConfig{HashKey: testHashKey})
	if err != nil {
		b.Fatal(err)
	}
	ch, err := e.Start(context.Background(), &verify.EngineStart{Subject: verify.Subject{ID: "u1"}, MethodID: "recovery-code|dev_1"})
	if err != nil {
		b.Fatal(err)
	}
	st, err := json.Marshal(ch.State)
	if err != nil {
		b.Fatal(err)
	}
	req := &verify.EngineConfirm{State: st}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Confirm(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// TestConstantTimeOnly is a static check of this package's TOTP,
// recovery-code and sign-in sources (RC-05, AS-06): secrets are compared
// with crypto/subtle only, never with a variable-time equality function.
func TestConstantTimeOnly(t *testing.T) {
	banned := map[string]bool{
		"bytes.Equal": true, "bytes.Compare": true, "bytes.EqualFold": true,
		"strings.Compare": true, "strings.EqualFold": true, "reflect.DeepEqual": true,
	}
	for _, name := range []string{"otp.go", "totp.go", "recovery.go", "signin.go"} {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		subtleCalls := 0
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			call := pkg.Name + "." + sel.Sel.Name
			assert.False(t, banned[call], "%s: %s", fset.Position(sel.Pos()), call)
			if call == "subtle.ConstantTimeCompare" {
				subtleCalls++
			}
			return true
		})
		if name == "totp.go" || name == "signin.go" {
			assert.Positive(t, subtleCalls, "%s compares with crypto/subtle", name)
		}
	}
}

// Hyphens and spaces are dropped, letters upper-cased, and O, I, L read as
// 0, 1, 1; a U is no symbol (RC-05).
func TestRecoveryCodeInputIsNormalized(t *testing.T) {
	for in, want := range map[string]string{
		"abcd-efgh-jkmn-pqrs-tvwx-yz01": "ABCDEFGHJKMNPQRSTVWXYZ01",
		"ABCD EFGH JKMN PQRS TVWX YZOI": "ABCDEFGHJKMNPQRSTVWXYZ01",
		"ABCD-EFGH-JKMN-PQRS-TVWX-YZ0U": "",
	} {
		got, ok := normalizeRecoveryCode(in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, want != "", ok, in)
	}
}
