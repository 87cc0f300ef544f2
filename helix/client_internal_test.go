package helix

import (
	"net/http"
	"testing"
	"time"

	"gotest.tools/v3/assert"
)

// The default HTTP client gives up after 30 seconds, and is the client's
// own: not http.DefaultClient, which waits forever and which any package
// may change.
func TestDefaultHTTPClientHasATimeout(t *testing.T) {
	for _, c := range []*Client{
		New("id", nil),
		New("id", nil, WithHTTPClient(nil)),
		New("id", nil).WithToken(nil),
	} {
		hc := c.shared.http
		assert.Assert(t, hc != nil && hc != http.DefaultClient)
		assert.Equal(t, hc.Timeout, 30*time.Second)
	}
	mine := &http.Client{}
	assert.Equal(t, New("id", nil, WithHTTPClient(mine)).shared.http, mine)
	assert.Assert(t, New("id", nil).shared.http != New("id", nil).shared.http, "one per client: changing one changes no other")
}
