package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
	// Webhook makes the shards webhook shards, served on a loopback port
	// of the process's own, their messages signed with Secret.
	Webhook bool
	Secret  string `json:"-"` // from the environment, never printed
}

// Run serves the shards until ctx ends, printing to out "ready" once its
// shards are assigned, "event <user ID>" for each follow its handler gets,
// and "took <shard>" for each shard it takes over.
func (p ShardProcess) Run(ctx context.Context, out io.Writer) error {
	h := helix.New(p.ClientID, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: p.AppToken}), helix.WithBaseURL(p.HelixURL))
	ready := make(chan struct{})
	opts := []eventsub.Option{
		eventsub.WithConduitID(p.ConduitID),
		eventsub.WithShards(p.Shards),
		eventsub.OnReady(func() { close(ready) }),
		eventsub.OnError(func(err error) { fmt.Fprintln(os.Stderr, "shard process:", err) }),
	}
	var ln net.Listener
	if p.Webhook {
		// The fake Twitch posts to loopback over plain HTTP; Twitch itself
		// posts to https on port 443 only.
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return err
		}
		defer ln.Close()
		opts = append(opts, eventsub.WithWebhookShards("http://"+ln.Addr().String()+"/eventsub", p.Secret))
	} else {
		opts = append(opts, eventsub.WithBaseURL(p.EventSubURL))
	}
	c := eventsub.NewConduit(h, opts...)
	c.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
		fmt.Fprintln(out, "event", e.UserID)
	})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if ln != nil {
		mux := http.NewServeMux()
		mux.Handle("/eventsub", c)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fmt.Fprintln(os.Stderr, "shard process:", err)
			}
		}()
		defer srv.Close()
	}
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
