// Command conduit shows one application's EventSub events spread over
// several processes by a conduit, and a dead process's shards taken over
// by the others. It starts a fake Twitch (package twitchtest) in this
// process and the shard processes as real OS processes (this program
// again, told so by its environment), subscribes the conduit to
// channel.follow for many channels, sends follows, kills one shard process
// with SIGKILL halfway, and shows who handled what and how long the
// takeover took:
//
//	go run ./examples/conduit
//	go run ./examples/conduit -processes 3 -shards 4 -channels 1000 -events 10000
//	go run ./examples/conduit -webhook
//
// Each shard process runs an eventsub.Conduit that owns its own shards
// (WithShards) of one conduit (WithConduitID) and prints a line for each
// event its handler gets; the coordinator counts them: every event should
// be handled once, and the dead process's shards should be served again
// within 30 seconds (see eventsub.Conduit for how the takeover works).
//
// With -webhook, each shard process serves its shards as webhook shards
// (eventsub.WithWebhookShards) on a loopback HTTP callback of its own.
// The dead process's callback then refuses connections: the fake, as
// Twitch, retries each notification at that shard and drops it, and
// disables the shard after repeated failures (here after 2 notifications
// tried twice, 100 ms apart, to keep the run short); those notifications
// are lost, the price of webhook shards.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if settings, ok := os.LookupEnv(shardEnv); ok {
		if err := runShardProcess(ctx, settings); err != nil && !errors.Is(err, context.Canceled) {
			log.Fatal(err)
		}
		return
	}

	var cfg Config
	flag.IntVar(&cfg.Processes, "processes", 3, "shard processes to start")
	flag.IntVar(&cfg.ShardsEach, "shards", 4, "shards each process owns (the conduit has processes × shards)")
	flag.IntVar(&cfg.Channels, "channels", 100, "channels subscribed to (one channel.follow subscription each)")
	flag.IntVar(&cfg.Events, "events", 1000, "follows sent, half before the kill and half after")
	flag.BoolVar(&cfg.Webhook, "webhook", false, "webhook shards (each process serves a loopback callback) instead of WebSocket shards")
	flag.Parse()
	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	r, err := Coordinate(ctx, cfg, exe, nil, os.Stdout)
	if err != nil {
		log.Fatal(err)
	}
	r.Print(os.Stdout)
}

// runShardProcess runs this process as a shard process with the settings
// the coordinator put in its environment.
func runShardProcess(ctx context.Context, settings string) error {
	var p ShardProcess
	if err := json.Unmarshal([]byte(settings), &p); err != nil {
		return fmt.Errorf("conduit: the shard process's settings: %w", err)
	}
	p.AppToken = os.Getenv(appTokenEnv) // not a flag or in the settings: those show in ps
	p.Secret = os.Getenv(secretEnv)
	return p.Run(ctx, os.Stdout)
}

// logf writes one line of progress.
func logf(w io.Writer, format string, args ...any) {
	fmt.Fprintf(w, format+"\n", args...)
}
