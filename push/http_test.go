package push

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// post sends body to the handler with the given Authorization and
// Content-Type and returns the status, headers and decoded JSON body.
func post(t testing.TB, h http.Handler, method, auth, ctype string, body []byte) (int, http.Header, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, "/push/api/enroll", bytes.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m), string(raw))
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	if res.StatusCode != http.StatusCreated {
		assert.EqualValues(t, res.StatusCode, m["status"])
		assert.ElementsMatch(t, []string{"type", "status", "title", "detail"}, keysOf(m))
	}
	return res.StatusCode, res.Header, m
}

func TestEnrollHandler(t *testing.T) {
	f := newFixture(t, Config{StartLimit: testStartLimit}, 0)
	h := f.push.EnrollHandler()
	d := newECDevice(t, "http-device")
	body := func(en *enrollment) []byte {
		b, err := json.Marshal(d.request(t, en.baseURL, en.ticket, f.clock.Now()))
		require.NoError(t, err)
		return b
	}
	auth := func(en *enrollment) string { return `Ticket id="` + en.ticket + `"` }

	t.Run("enrolls once", func(t *testing.T) {
		en := f.start(t, f.alice)
		once := newECDevice(t, "once")
		b, err := json.Marshal(once.request(t, en.baseURL, en.ticket, f.clock.Now()))
		require.NoError(t, err)
		st, _, m := post(t, h, http.MethodPost, auth(en), "application/json; charset=utf-8", b)
		require.Equal(t, http.StatusCreated, st, m)
		assert.ElementsMatch(t, []string{"id", "url", "issuer", "user_id", "token", "totp"}, keysOf(m))
		assert.Equal(t, "auth0|alice", m["user_id"])
		st, hdr, m := post(t, h, http.MethodPost, auth(en), "application/json", b)
		assert.Equal(t, http.StatusUnauthorized, st, "ticket reuse")
		assert.Equal(t, `Ticket error="invalid_ticket"`, hdr.Get("WWW-Authenticate"))
		assert.Equal(t, "The enrollment ticket is invalid, expired or already used", m["detail"])
		_, err = f.verify(f.alice, en)
		require.NoError(t, err)
	})

	en := f.start(t, f.alice)
	unknown := `Ticket id="` + strings.Repeat("A", 22) + `"`
	bad := func(mod func(r *EnrollRequest)) []byte {
		r := d.request(t, en.baseURL, en.ticket, f.clock.Now())
		mod(r)
		b, err := json.Marshal(r)
		require.NoError(t, err)
		return b
	}
	for _, tc := range []struct {
		name, method, auth, ctype string
		body                      []byte
		status                    int
		detail                    string
	}{
		{"GET", http.MethodGet, auth(en), "application/json", nil, 405, "Use POST"},
		{"no authorization", http.MethodPost, "", "application/json", body(en), 401, ""},
		{"bearer", http.MethodPost, "Bearer " + en.ticket, "application/json", body(en), 401, ""},
		{"unquoted ticket", http.MethodPost, "Ticket id=" + en.ticket, "application/json", body(en), 401, ""},
		{"ticket with quote", http.MethodPost, `Ticket id="a"b"`, "application/json", body(en), 401, ""},
		{"unknown ticket", http.MethodPost, unknown, "application/json", body(&enrollment{ticket: strings.Repeat("A", 22), baseURL: en.baseURL}), 401, "The enrollment ticket is invalid, expired or already used"},
		{"form body", http.MethodPost, auth(en), "application/x-www-form-urlencoded", body(en), 415, ""},
		{"no content type", http.MethodPost, auth(en), "", body(en), 415, ""},
		{"too large", http.MethodPost, auth(en), "application/json", bytes.Repeat([]byte(" "), maxEnrollBody+1), 413, ""},
		{"not JSON", http.MethodPost, auth(en), "application/json", []byte("{"), 400, ""},
		{"unknown member", http.MethodPost, auth(en), "application/json", append(body(en)[:len(body(en))-1], []byte(`,"extra":1}`)...), 400, ""},
		{"two bodies", http.MethodPost, auth(en), "application/json", append(body(en), body(en)...), 400, ""},
		{"invalid field", http.MethodPost, auth(en), "application/json", bad(func(r *EnrollRequest) { r.PushCredentials.Service = "SMS" }), 400, "Invalid push_credentials.service: must be one of GCM, FCM, APNS, APNs"},
		{"invalid proof", http.MethodPost, auth(en), "application/json", bad(func(r *EnrollRequest) { r.Proof = r.Proof[:len(r.Proof)-4] + "AAAA" }), 400, "The signature of the device key is invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, hdr, m := post(t, h, tc.method, tc.auth, tc.ctype, tc.body)
			assert.Equal(t, tc.status, st, m)
			if tc.detail != "" {
				assert.Equal(t, tc.detail, m["detail"])
			}
			if st == 401 {
				assert.True(t, strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Ticket"))
			}
			if st == 405 {
				assert.Equal(t, "POST", hdr.Get("Allow"))
			}
		})
	}
	// None of the refusals spent the ticket.
	st, _, m := post(t, h, http.MethodPost, auth(en), "application/json", body(en))
	require.Equal(t, http.StatusCreated, st, m)

	t.Run("internal error hides details", func(t *testing.T) {
		p := *f.push
		p.devices = failingDevices{}
		en := f.start(t, f.alice)
		st, _, m := post(t, p.EnrollHandler(), http.MethodPost, auth(en), "application/json", body(en))
		assert.Equal(t, 500, st)
		assert.NotContains(t, m["detail"], "store down")
	})
}

func TestParseTicket(t *testing.T) {
	for in, want := range map[string]string{
		`Ticket id="abc_-09"`:  "abc_-09",
		`ticket id="abc"`:      "abc",
		`TICKET  id="abc"`:     "abc",
		`Ticket id=""`:         "",
		`Ticket id="a b"`:      "",
		`Ticket id="abc`:       "",
		`Ticket xid="abc"`:     "",
		`Ticket`:               "",
		`Ticket id="a+/="`:     "",
		`Ticket id="abc", x=1`: "",
	} {
		got, ok := parseTicket(in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, want != "", ok, in)
	}
}
