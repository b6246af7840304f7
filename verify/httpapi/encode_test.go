package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
)

// referenceJSON is what writeJSON wrote before appendJSON: encoding/json's
// Encoder without HTML escaping.
func referenceJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}

// tricky holds every kind of character encoding/json treats specially.
const tricky = "a<b>&c\"d\\e/f\x00\x01\x1f\b\f\n\r\t\u007f é \u2028\u2029 \xff\xfe end"

// methods returns a method of every type with every field set to s (a
// full one), and one with none (a minimal one).
func methods(s string, at time.Time) []*verify.Method {
	var ms []*verify.Method
	for _, t := range verify.Types {
		full := &verify.Method{
			ID: s, Type: t, Subject: s, Confirmed: true, Name: s,
			Usage: []verify.Usage{verify.UsagePrimary, verify.Usage(s)}, CreatedAt: at, LastAuthAt: at.Add(time.Hour),
			PhoneNumber: s, PreferredAuthenticationMethod: s, Email: s, IdentityUserID: s, LastPasswordReset: at.Add(-time.Hour),
			WebAuthn: &verify.WebAuthnCredential{
				CredentialID: []byte(s), PublicKey: []byte(s + "pk"), BackupEligible: true, BackedUp: true,
				Transports: []string{s, "usb"}, UserAgent: s, UserHandle: []byte(s + "uh"), AAGUID: s, RelyingPartyID: s,
				SignCount: 7, UserVerified: true, AttestationFormat: s, AttestationType: s, Algorithm: -7,
			},
		}
		minimal := &verify.Method{ID: "m", Type: t, CreatedAt: at, WebAuthn: &verify.WebAuthnCredential{}}
		empty := &verify.Method{ID: "e", Type: t, Usage: []verify.Usage{}, WebAuthn: &verify.WebAuthnCredential{Transports: []string{}}}
		ms = append(ms, full, minimal, empty)
	}
	return ms
}

func enrollments(s string, raw []byte) []*verify.Enrollment {
	return []*verify.Enrollment{
		{ID: s, AuthSession: s, BarcodeURI: s, ManualInputCode: s, RecoveryCode: s, AuthnParamsPublicKey: raw, Policy: raw, Type: verify.TypeTOTP, ExpiresAt: time.Unix(1, 0)},
		{ID: s, AuthSession: s},
		{},
		{ID: "x", AuthSession: "y", AuthnParamsPublicKey: json.RawMessage{}, Policy: raw},
	}
}

func problems(s string) []problemBody {
	return []problemBody{
		{Type: s, Status: 400, Title: s, Detail: s, ValidationErrors: []validationError{{Detail: s, Field: s, Pointer: s}, {Detail: s}}},
		{Type: ProblemInternal, Status: 500, Title: "Internal Server Error", Detail: detailInternal},
		{ValidationErrors: []validationError{}},
	}
}

// sameJSON checks appendJSON against the reference, behind a prefix that
// must be kept.
func sameJSON(t testing.TB, v any) {
	t.Helper()
	want, wantErr := referenceJSON(v)
	got, err := appendJSON([]byte("prefix"), v)
	if wantErr != nil {
		if err == nil {
			t.Fatalf("appendJSON(%#v) = %q, encoding/json fails: %v", v, got, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("appendJSON(%#v): %v; encoding/json writes %q", v, err, want)
	}
	if !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("appendJSON(%#v)\n got %q\nwant %q", v, got[len("prefix"):], want)
	}
}

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 11, 27, 1, 2, 3, 456789000, time.FixedZone("x", 3600))
	for _, s := range []string{"", "plain", tricky} {
		for _, m := range methods(s, at) {
			sameJSON(t, m)
		}
		for _, raw := range [][]byte{nil, []byte(` { "a" : [ 1 , "<&>\u2028` + "\u2028" + `" ] } `), []byte(`null`), []byte(`{"a":`), []byte(`{} {}`)} {
			for _, e := range enrollments(s, raw) {
				sameJSON(t, e)
			}
		}
		for _, p := range problems(s) {
			sameJSON(t, p)
		}
	}
	// What appendMethod leaves to encoding/json, which refuses it.
	for _, m := range []*verify.Method{
		{ID: "x", Type: "sms"},
		{ID: "x", Type: verify.TypePasskey},
		{ID: "x", Type: verify.TypeWebAuthnRoaming},
	} {
		_, err := appendJSON(nil, m)
		require.Error(t, err, "%#v", m)
	}
	// The bodies of the other routes go through encoding/json.
	sameJSON(t, listResponse{AuthenticationMethods: []verify.Method{*methods(tricky, at)[0]}})
	sameJSON(t, factorsResponse{Factors: []verify.Factor{{Type: verify.TypeTOTP, Usage: []verify.Usage{verify.UsageSecondary}}}})
}

// TestAppendJSONKnowsEveryField fails when a type appendJSON writes by
// hand gains a field: appendJSON must then learn it, and the cases above
// must set it.
func TestAppendJSONKnowsEveryField(t *testing.T) {
	fields := func(v any) []string {
		var names []string
		for f := range reflect.TypeOf(v).Fields() {
			names = append(names, f.Name+" "+f.Tag.Get("json"))
		}
		return names
	}
	assert.Equal(t, []string{
		"ID id", "AuthSession auth_session", "BarcodeURI barcode_uri,omitempty", "ManualInputCode manual_input_code,omitempty",
		"RecoveryCode recovery_code,omitempty", "AuthnParamsPublicKey authn_params_public_key,omitempty", "Policy policy,omitempty",
		"Type -", "ExpiresAt -",
	}, fields(verify.Enrollment{}))
	assert.Equal(t, []string{
		"ID ", "Type ", "Subject ", "Confirmed ", "Name ", "Usage ", "CreatedAt ", "LastAuthAt ", "PhoneNumber ",
		"PreferredAuthenticationMethod ", "Email ", "IdentityUserID ", "LastPasswordReset ", "WebAuthn ",
	}, fields(verify.Method{}))
	assert.Equal(t, []string{
		"CredentialID ", "PublicKey ", "BackupEligible ", "BackedUp ", "Transports ", "UserAgent ", "UserHandle ",
		"AAGUID ", "RelyingPartyID ", "SignCount ", "UserVerified ", "AttestationFormat ", "AttestationType ", "Algorithm ",
	}, fields(verify.WebAuthnCredential{}))
	assert.Equal(t, []string{
		"Type type", "Status status", "Title title", "Detail detail", "ValidationErrors validation_errors,omitempty",
	}, fields(problemBody{}))
	assert.Equal(t, []string{"Detail detail", "Field field,omitempty", "Pointer pointer,omitempty"}, fields(validationError{}))
	assert.Equal(t, len(verify.Types), 9, "a new method type: appendMethod must learn its schema")
}

func FuzzAppendJSON(f *testing.F) {
	f.Add("plain", []byte(`{"a":[1,2]}`), int64(0))
	f.Add(tricky, []byte(` { "<" : "\u2028" } `), int64(-62135596800000000))
	f.Add("\xed\xa0\x80", []byte(`{`), int64(1<<62))
	f.Fuzz(func(t *testing.T, s string, raw []byte, nanos int64) {
		at := time.Unix(0, nanos)
		for _, m := range methods(s, at) {
			sameJSON(t, m)
		}
		for _, e := range enrollments(s, raw) {
			sameJSON(t, e)
		}
		for _, p := range problems(s) {
			sameJSON(t, p)
		}
	})
}

// BenchmarkAppendMethod writes the method of a TOTP confirm.
func BenchmarkAppendMethod(b *testing.B) {
	m := &verify.Method{ID: "totp|dev_0123456789abcdef", Type: verify.TypeTOTP, Confirmed: true, Name: "Authenticator",
		Usage: []verify.Usage{verify.UsageSecondary}, CreatedAt: time.Unix(1_700_000_000, 123_000_000)}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = appendJSON(buf[:0], m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendMethodReference is BenchmarkAppendMethod through
// encoding/json, as writeJSON encoded before.
func BenchmarkAppendMethodReference(b *testing.B) {
	m := &verify.Method{ID: "totp|dev_0123456789abcdef", Type: verify.TypeTOTP, Confirmed: true, Name: "Authenticator",
		Usage: []verify.Usage{verify.UsageSecondary}, CreatedAt: time.Unix(1_700_000_000, 123_000_000)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := referenceJSON(m); err != nil {
			b.Fatal(err)
		}
	}
}

// benchEnrollment is the enrollment of a TOTP start, at its real sizes.
var benchEnrollment = &verify.Enrollment{
	ID: "totp|dev_0123456789abcdefghij",
	AuthSession: "Fe26.2*demo*0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef*AAECAwQFBgcICQoLDA0ODw*" +
		strings.Repeat("n-pN2r4WuCxmScefF4BFSjCi5wWreGOn1hIjPxtIMJBr0U0g6oy0MyWb5_ImZ8ft", 4) + "*1700000300000*" +
		"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210*eutEPMCDmzHSFf6UQ87w5S824ot3ykzaeEAkM36AnYI",
	BarcodeURI:      "otpauth://totp/verifykit%20demo:demo@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=verifykit%20demo&algorithm=SHA1&digits=6&period=30",
	ManualInputCode: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
}

// BenchmarkAppendEnrollment writes the body of a TOTP start.
func BenchmarkAppendEnrollment(b *testing.B) {
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = appendJSON(buf[:0], benchEnrollment); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendEnrollmentReference is BenchmarkAppendEnrollment through
// encoding/json, as writeJSON encoded before.
func BenchmarkAppendEnrollmentReference(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := referenceJSON(benchEnrollment); err != nil {
			b.Fatal(err)
		}
	}
}
