package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLocationMatchesPathEscape holds location's own escaping of method ids
// to url.PathEscape, on verify's ids and on ids with every byte value.
func TestLocationMatchesPathEscape(t *testing.T) {
	h := &Handler{base: "https://id.example.com/me/v1"}
	ids := []string{"", "totp|dev_0123456789abcdef", "passkey|new", "a.b-c_d~e", "x|y|z", "a b", "ü|x", "a/b", "a%7Cb", "||"}
	for c := range 256 {
		ids = append(ids, "totp|dev_"+string([]byte{byte(c)})+"x")
	}
	for _, id := range ids {
		assert.Equal(t, h.base+"/authentication-methods/"+url.PathEscape(id), h.location(id), "%q", id)
	}
}

// TestContentLength: a body of any size is sent with its Content-Length,
// not chunked.
func TestContentLength(t *testing.T) {
	for _, n := range []int{0, 10, 2028, 2049, 6144} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := &Handler{}
			h.writeJSON(w, &call{r: r}, http.StatusOK, strings.Repeat("x", n))
		}))
		resp, err := http.Get(srv.URL)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		resp.Body.Close()
		srv.Close()
		assert.Equal(t, int64(len(body)), resp.ContentLength, "body of %d characters", n)
		assert.Empty(t, resp.TransferEncoding)
	}
}
