package twitch

import "github.com/twitchify-go/twitch/eventsub"

// Conduit is the conduit a Client's events come through (WithConduit):
// Twitch's load balancer for one application's events, which spreads them
// over the shards of the conduit, served by several processes.
type Conduit struct {
	// ID is the conduit's. Empty: the application's only conduit, or a
	// new one. Give it when several processes run: each would create one.
	ID string
	// Shards are the shards this process owns: "0-3,8". Empty: all of
	// them. The processes of a bot own ranges that do not overlap, and
	// take over the shards of a process that died (see eventsub.Conduit).
	Shards string
	// ShardCount is the conduit's number of shards, set when Run starts;
	// 0 leaves it as it is.
	ShardCount int
}

// WithConduit makes the client receive its events through a conduit, for
// a bot that runs as several processes: each runs a Client with the same
// handlers and its own shards of one conduit, and Twitch spreads the
// events over them. Run subscribes with an app access token, which needs
// WithClientSecret, and makes the subscriptions once: they belong to the
// conduit, so every process may subscribe to the same ones (Run keeps
// those that exist). The user's token still authorizes them and is what
// the client chats and calls Helix with. Handlers run on the shards'
// goroutines, one at a time. OnConnected, OnDisconnected and
// OnReconnected tell of the shards' sessions.
//
// With WithWebhook too, the process's shards are webhook shards: Run
// assigns them to Webhook.CallbackURL, which Twitch posts their events
// to, served by Webhook.Listen or WebhookHandler (see
// eventsub.WithWebhookShards). Each process gives its own callback URL
// (or one behind a load balancer). OnConnected, OnDisconnected and
// OnReconnected, which tell of WebSocket sessions, are not called then.
func WithConduit(c Conduit) Option {
	return func(cfg *config) { cfg.conduit = &c }
}

// newConduit makes the client's eventsub.Conduit.
func (c *Client) newConduit(e Endpoints, wsOpts []eventsub.Option) {
	cd := c.cfg.conduit
	opts := append(c.appCallbacks(), wsOpts...)
	if cd.ID != "" {
		opts = append(opts, eventsub.WithConduitID(cd.ID))
	}
	if cd.Shards != "" {
		opts = append(opts, eventsub.WithShards(cd.Shards))
	}
	if cd.ShardCount != 0 {
		opts = append(opts, eventsub.WithShardCount(cd.ShardCount))
	}
	if w := c.cfg.webhook; w != nil {
		opts = append(opts, eventsub.WithWebhookShards(w.CallbackURL, w.Secret))
		if w.PreviousSecret != "" {
			opts = append(opts, eventsub.WithPreviousSecret(w.PreviousSecret))
		}
		if w.DeleteStale {
			opts = append(opts, eventsub.WithDeleteStale())
		}
	}
	c.conduit = eventsub.NewConduit(c.appHelix(e), opts...)
	c.dispatchOn(&c.conduit.Dispatcher)
	c.events = c.conduit
}
