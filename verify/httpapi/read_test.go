package httpapi

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadBody: whatever length the client declares, readBody returns the
// bytes sent, as io.ReadAll does, and stops at the cap.
func TestReadBody(t *testing.T) {
	for _, size := range []int{0, 1, 511, 512, 513, 8 << 10, 8<<10 + 1, 20000} {
		body := bytes.Repeat([]byte("x"), size)
		for _, declared := range []int64{-1, 0, 1, int64(size) - 1, int64(size), int64(size) + 1, 1 << 40} {
			got, err := readBody(iotest.HalfReader(bytes.NewReader(body)), declared)
			require.NoError(t, err)
			require.Equal(t, body, got, "size %d, declared %d", size, declared)
		}
	}
	rec := httptest.NewRecorder()
	_, err := readBody(http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(strings.Repeat("x", 5000))), 4096), 100)
	var tooBig *http.MaxBytesError
	require.True(t, errors.As(err, &tooBig), "%v", err)
	_, err = readBody(iotest.ErrReader(io.ErrUnexpectedEOF), 10)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestIsJSONFastPath: the media types isJSON accepts without parsing are
// ones the parser accepts.
func TestIsJSONFastPath(t *testing.T) {
	slow := func(ct string) bool {
		mt, params, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return false
		}
		for k, v := range params {
			if k != "charset" || !strings.EqualFold(v, "utf-8") {
				return false
			}
		}
		return true
	}
	for _, ct := range []string{
		"application/json", "application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8",
		"application/json; charset=latin1", "application/json; x=1", "text/json", "", "application/json;",
	} {
		assert.Equal(t, slow(ct), isJSON(ct), ct)
	}
}
