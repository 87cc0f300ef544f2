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
	assert.Equal(t, out.String(), "subscribed to channel.follow version 2 on session session-1\n"+
		"Viewer followed Gopher at 12:00:00\n")
}
