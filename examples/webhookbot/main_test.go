package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

func TestOffline(t *testing.T) {
	var out bytes.Buffer
	assert.NilError(t, runOffline(context.Background(), &out))
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	assert.Equal(t, len(lines), 4, out.String())
	assert.Assert(t, strings.HasPrefix(lines[0], "Verification URI: http://127.0.0.1:"), lines[0])
	assert.Equal(t, lines[1], "Subscribed; Twitch has verified the callback")
	assert.Assert(t, strings.HasPrefix(lines[2], "Twitch posts channel.follow events to http://127.0.0.1:"), lines[2])
	assert.Assert(t, strings.HasSuffix(lines[2], "/eventsub"), lines[2])
	assert.Equal(t, lines[3], `The fake Twitch received, in the chat of channel 141981764 from user 141981764: "Gopher has followed the channel!"`)
}
