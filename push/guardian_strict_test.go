package push_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/push"
	"github.com/verifykit/verifykit/verify"
)

// TestChallengeResponseIsDecodedStrictly (SI-09): a challenge response
// whose claims or header repeat a member name (even with the right value
// last, which encoding/json kept), hold invalid UTF-8 or spell a claim in
// another case is refused with the error of claims or a header that are
// not JSON, and leaves the transaction open; a resolve body that repeats
// challenge_response is refused like any malformed body. The device's own
// response then approves.
//
// Checklist: PU-02.
func TestChallengeResponseIsDecodedStrictly(t *testing.T) {
	f := newGfix(t, push.Config{})
	ctx := context.Background()
	d, m := f.enroll(t, f.alice)
	s, err := f.challenge(t, f.alice, m)
	require.NoError(t, err)
	n := parse(t, s.n)
	now := time.Now().Unix()
	good := fmt.Sprintf(`{"iat":%d,"exp":%d,"aud":%q,"iss":%q,"sub":%q,"auth0_guardian_method":"push","auth0_guardian_accepted":true}`,
		now, now+30, f.push.ResolveURL(), d.Identifier, n.Challenge)
	hdr := `{"alg":"RS256","typ":"JWT"}`
	jwt := func(header, claims string) string {
		in := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + base64.RawURLEncoding.EncodeToString([]byte(claims))
		return in + "." + rsaSign(t, d, in)
	}
	refused := func(header, claims string) error {
		t.Helper()
		err := f.push.Resolve(ctx, n.TransactionToken, jwt(header, claims))
		require.ErrorIs(t, err, push.ErrInvalidProof, "%s %s", header, claims)
		_, err2 := f.authenticate(s)
		require.ErrorIs(t, err2, verify.ErrPending, "the transaction is still open")
		return err
	}
	badClaims := refused(hdr, `{`).Error()
	for name, claims := range map[string]string{
		"repeated sub":            strings.Replace(good, `"sub":`, `"sub":"another-challenge","sub":`, 1),
		"repeated accepted":       strings.Replace(good, `"auth0_guardian_accepted":true`, `"auth0_guardian_accepted":false,"auth0_guardian_accepted":true`, 1),
		"repeated exp":            strings.Replace(good, `"exp":`, `"exp":99999999999,"exp":`, 1),
		"invalid UTF-8":           strings.Replace(good, `"auth0_guardian_method"`, "\"auth0_guardian_reason\":\"\xff\",\"auth0_guardian_method\"", 1),
		"SUB":                     strings.Replace(good, `"sub"`, `"SUB"`, 1),
		"Auth0_Guardian_Accepted": strings.Replace(good, `"auth0_guardian_accepted"`, `"Auth0_Guardian_Accepted"`, 1),
	} {
		assert.Equal(t, badClaims, refused(hdr, claims).Error(), name)
	}
	badHeader := refused(`{`, good).Error()
	for _, header := range []string{`{"alg":"none","alg":"RS256","typ":"JWT"}`, `{"alg":"RS256","typ":"JWT","typ":"JWT"}`} {
		assert.Equal(t, badHeader, refused(header, good).Error(), header)
	}

	resolve := func(body string) (int, string) {
		req := httptest.NewRequest(http.MethodPost, "/push/api/resolve-transaction", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+n.TransactionToken)
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		rec := httptest.NewRecorder()
		f.push.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	_, notJSON := resolve(`{`)
	for _, body := range []string{
		`{"challenge_response":"x","challenge_response":"` + jwt(hdr, good) + `"}`,
		`{"Challenge_Response":"` + jwt(hdr, good) + `"}`,
		"{\"challenge_response\":\"" + jwt(hdr, good) + "\",\"x\":\"\xff\"}",
	} {
		st, answer := resolve(body)
		assert.Equal(t, http.StatusBadRequest, st, body)
		assert.Equal(t, notJSON, answer, body)
	}
	st, answer := resolve(`{"challenge_response":"` + jwt(hdr, good) + `"}`)
	require.Equal(t, http.StatusNoContent, st, answer)
	_, err = f.authenticate(s)
	require.NoError(t, err)
}
