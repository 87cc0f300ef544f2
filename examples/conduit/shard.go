package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/helix"
)

// ShardProcess is one process of the bot: it serves its own shards of the
// conduit, and takes over others' when they go down.
type ShardProcess struct {
	ConduitID   string
	Shards      string // owned: "0-3"
	EventSubURL string
	HelixURL    string
	ClientID    string
	AppToken    string `json:"-"` // from the environment, never printed
}

// Run serves the shards until ctx ends, printing to out "ready" once its
// shards are assigned, "event <user ID>" for each follow its handler gets,
// and "took <shard>" for each shard it takes over.
func (p ShardProcess) Run(ctx context.Context, out io.Writer) error {
	h := helix.New(p.ClientID, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: p.AppToken}), helix.WithBaseURL(p.HelixURL))
	ready := make(chan struct{})
	c := eventsub.NewConduit(h,
		eventsub.WithConduitID(p.ConduitID),
		eventsub.WithShards(p.Shards),
		eventsub.WithBaseURL(p.EventSubURL),
		eventsub.OnReady(func() { close(ready) }),
		eventsub.OnError(func(err error) { fmt.Fprintln(os.Stderr, "shard process:", err) }))
	c.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
		fmt.Fprintln(out, "event", e.UserID)
	})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	select {
	case <-ready:
		fmt.Fprintln(out, "ready")
	case err := <-done:
		return err
	}
	// Tell of the shards taken over, as Shards shows them.
	var took []string
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
		}
		for _, s := range c.Shards() {
			if s.TakenOver && !slices.Contains(took, s.ID) {
				took = append(took, s.ID)
				fmt.Fprintln(out, "took", s.ID)
			}
		}
	}
}
