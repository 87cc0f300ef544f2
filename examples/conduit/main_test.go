package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"gotest.tools/v3/assert"
)

// TestMain runs a shard process when the test binary is started as one.
func TestMain(m *testing.M) {
	if os.Getenv(envServe) != "" {
		if err := serve(os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The demo runs three OS processes and kills one: the two others take its
// shards over, and every follow is handled once. It takes the takeover's
// time, about 15 seconds.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three processes for about 20 seconds")
	}
	var out bytes.Buffer
	assert.NilError(t, run(context.Background(), &out))
	lines := strings.Split(out.String(), "\n")
	assert.Equal(t, len(lines), 10, "%s", out.String())
	// Which of p1 and p3 takes which of p2's shards is theirs to settle.
	spread := lines[7]
	lines[7] = "(spread)"
	assert.Equal(t, strings.Join(lines, "\n"), `conduit of 6 shards
p1 serves shards 0-1
p2 serves shards 2-3
p3 serves shards 4-5
30 follows handled: p1 10, p2 10, p3 10
killed p2 (SIGKILL)
every shard served again, within 30 s of the kill: true
(spread)
60 follows sent, 60 handled, 0 handled twice
`)
	var p1, p3 int
	_, err := fmt.Sscanf(spread, "30 follows handled: p1 %d, p2 0, p3 %d", &p1, &p3)
	assert.NilError(t, err, "%q", spread)
	assert.Equal(t, p1+p3, 30)
}
