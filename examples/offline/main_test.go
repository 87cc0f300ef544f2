package main

import (
	"bytes"
	"context"
	"testing"

	"gotest.tools/v3/assert"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	assert.NilError(t, run(context.Background(), &out))
	assert.Equal(t, out.String(), "helix: Gopher (id 1001) is an affiliate since 2021-03-04\n"+
		"eventsub: Viewer followed Gopher at 12:00:00\n")
}
