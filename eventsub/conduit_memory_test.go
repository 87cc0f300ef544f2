package eventsub_test

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
)

// idleShards is how many shards one process runs in TestConduitIdleShards.
const idleShards = 100

// TestConduitIdleShards runs a Conduit of 100 idle shards against the
// fake and reports what each costs: goroutines (a session's runner and
// its connection's reader, and one more for the Conduit) and heap. The
// fake runs in the same process, so the heap is measured twice: with the
// Conduit's 100 shards, and with 100 bare WebSocket sessions of the fake
// (a gorilla connection and its reader each); the difference is what a
// shard costs beyond a bare connection. Both run in a bubble, whose clock
// stands still while the heap is read.
func TestConduitIdleShards(t *testing.T) {
	srv := conduitFake(t)
	var bare, full uint64
	var goroutines int
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		base := heapAlloc()
		c, ev := newConduit(srv, eventsub.WithShardCount(idleShards))
		done := runConduit(t, c, ev)
		synctest.Wait()
		full = heapAlloc() - base
		assert.Equal(t, len(enabledAtFake(t, srv, c.ID())), idleShards)
		goroutines = countGoroutines("github.com/twitchify-go/twitch/eventsub.")
		closeConduit(t, c, done)
		synctest.Wait()

		base = heapAlloc()
		d := websocket.Dialer{NetDialContext: srv.EventSub.DialContext}
		var conns []*websocket.Conn
		for range idleShards {
			ws, _, err := d.DialContext(ctx, srv.EventSub.URL, nil)
			assert.NilError(t, err)
			conns = append(conns, ws)
			go func() { // a reader, as a client has
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						return
					}
				}
			}()
		}
		synctest.Wait()
		bare = heapAlloc() - base
		for _, ws := range conns {
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		}
		synctest.Wait()
		for _, ws := range conns {
			_ = ws.Close()
		}
	})
	assert.Equal(t, goroutines, 2*idleShards+1, "a runner and a reader per shard, and the Conduit's Run")
	t.Logf("%d idle shards: %d goroutines of the Conduit (%.0f per shard); heap %d KiB with the fake's side (%.1f KiB per shard), "+
		"%d KiB for as many bare sessions of the fake, so %.1f KiB per shard beyond a bare WebSocket",
		idleShards, goroutines, float64(goroutines-1)/idleShards, full>>10, float64(full)/idleShards/1024,
		bare>>10, (float64(full)-float64(bare))/idleShards/1024)
}

// countGoroutines counts the goroutines running code of pkg (but not of
// twitchtest) at the top of their stack or below.
func countGoroutines(pkg string) int {
	buf := make([]byte, 16<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, pkg) && !strings.Contains(g, "twitchtest.") {
			n++
		}
	}
	return n
}

// TestConduitIdleWebhookShards runs a Conduit of 100 idle webhook shards
// against the fake and reports what they cost: goroutines (Run's, one
// worker's and the reporter of refused requests, whatever the number of
// shards: a webhook shard holds no connection) and heap, the fake's side (each shard's webhook state)
// included.
func TestConduitIdleWebhookShards(t *testing.T) {
	cbs := &callbacks{hooks: map[string]http.Handler{}}
	srv := hookFake(t, cbs)
	var heap uint64
	var goroutines int
	synctest.Test(t, func(t *testing.T) {
		base := heapAlloc()
		c, ev := hookConduit(srv, cbs, callbackA, eventsub.WithShardCount(idleShards))
		done := runConduit(t, c, ev)
		synctest.Wait()
		heap = heapAlloc() - base
		assert.Equal(t, len(callbacksAtFake(t, srv, c.ID())), idleShards)
		goroutines = countGoroutines("github.com/twitchify-go/twitch/eventsub.")
		closeConduit(t, c, done)
	})
	assert.Equal(t, goroutines, 3, "Run, one worker and the reporter of refused requests, whatever the number of shards")
	t.Logf("%d idle webhook shards: %d goroutines of the Conduit; heap %d KiB with the fake's side (%.1f KiB per shard)",
		idleShards, goroutines, heap>>10, float64(heap)/idleShards/1024)
}
