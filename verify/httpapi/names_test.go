package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/verifykit/verifykit/verify"
	"github.com/verifykit/verifykit/verify/httpapi"
)

// TestInvisibleNameIsRefused: PATCH name refuses Unicode format
// characters (bidi overrides, zero-width characters) and a name with no
// visible character, 400 with validation_errors on /name, and stores
// nothing (issue 16 item 5).
func TestInvisibleNameIsRefused(t *testing.T) { // AB-11
	f := newManageFixture(t, options{})
	totp := f.enroll(t, allToken, verify.TypeTOTP)
	for name, value := range map[string]string{
		"bidi override":       `Phone \u202egnp.exe`,
		"right-to-left mark":  `a\u200fb`,
		"zero-width space":    `my\u200bphone`,
		"zero-width joiner":   `a\u200db`,
		"word joiner":         `a\u2060b`,
		"byte-order mark":     `\ufeffphone`,
		"only spaces":         `   `,
		"only fillers":        strings.Repeat(`\u3164`, 5),
		"only no-break space": `\u00a0\u3000`,
	} {
		t.Run(name, func(t *testing.T) {
			rec := f.do(t, req{method: http.MethodPatch, path: methodPath(totp), token: allToken, body: `{"name":"` + value + `"}`})
			p := requireProblem(t, rec, http.StatusBadRequest, httpapi.ProblemInvalidRequest)
			require.NotEmpty(t, p.ValidationErrors)
			assert.Equal(t, "/name", p.ValidationErrors[0].Pointer)
		})
	}
	rec := f.do(t, req{method: http.MethodPatch, path: methodPath(totp), token: allToken, body: `{"name":"Téléphone 📱 de Zoë"}`})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	rec = f.do(t, req{method: http.MethodGet, path: methodPath(totp), token: allToken})
	assert.Contains(t, rec.Body.String(), `"name":"Téléphone 📱 de Zoë"`, "only the valid change was stored")
}
