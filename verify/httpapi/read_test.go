package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadBody: into any buffer, readBody returns the bytes sent, as
// io.ReadAll does, and stops at the cap.
func TestReadBody(t *testing.T) {
	for _, size := range []int{0, 1, 511, 512, 513, 8 << 10, 20000} {
		body := bytes.Repeat([]byte("x"), size)
		for _, buf := range [][]byte{nil, make([]byte, 0, 1), make([]byte, 0, size), make([]byte, 0, size+1), make([]byte, 0, 64<<10)} {
			got, err := readBody(iotest.HalfReader(bytes.NewReader(body)), buf)
			require.NoError(t, err)
			require.Equal(t, body, got, "size %d, buffer of %d", size, cap(buf))
		}
	}
	rec := httptest.NewRecorder()
	_, err := readBody(http.MaxBytesReader(rec, io.NopCloser(strings.NewReader(strings.Repeat("x", 5000))), 4096), nil)
	var tooBig *http.MaxBytesError
	require.True(t, errors.As(err, &tooBig), "%v", err)
	_, err = readBody(iotest.ErrReader(io.ErrUnexpectedEOF), nil)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestReleaseWipes: a buffer goes back into the pool all zero, whatever
// was written to it, and one grown too large is not kept.
func TestReleaseWipes(t *testing.T) {
	h := &Handler{}
	bp := h.buffer()
	b := append((*bp)[:0], "auth_session=secret"...)
	b = append(b[:4], "xx"...) // bytes past len(b) were written too
	h.release(bp, b)
	require.Len(t, *bp, 0)
	assert.Equal(t, make([]byte, cap(*bp)), (*bp)[:cap(*bp)])

	big := make([]byte, maxPooledBody+1)
	copy(big, "secret")
	bp2 := new([]byte)
	h.release(bp2, big)
	assert.Equal(t, make([]byte, len(big)), big, "wiped even when not kept")
	assert.Nil(t, *bp2)
}

// TestIsJSONFastPath: the media types isJSON accepts without parsing are
// ones the parser accepts.
func TestIsJSONFastPath(t *testing.T) {
	for _, ct := range []string{
		"application/json", "application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8",
		"application/json; charset=latin1", "application/json; x=1", "text/json", "", "application/json;",
	} {
		assert.Equal(t, parsedJSON(ct), isJSON(ct), ct)
	}
}
