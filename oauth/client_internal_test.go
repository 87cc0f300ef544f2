package oauth

import (
	"net/http"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// The default HTTP client gives up after 30 seconds, and is the client's
// own; a nil one keeps it.
func TestDefaultHTTPClientHasATimeout(t *testing.T) {
	for _, c := range []*Client{New("id"), New("id", WithHTTPClient(nil))} {
		assert.Assert(t, c.http != nil && c.http != http.DefaultClient)
		assert.Equal(t, c.http.Timeout, 30*time.Second)
	}
	mine := &http.Client{}
	assert.Equal(t, New("id", WithHTTPClient(mine)).http, mine)
}
