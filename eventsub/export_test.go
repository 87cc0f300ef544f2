package eventsub

import "time"

// WithTestSecond makes a keepalive second last d, so that tests see
// Twitch's timeouts pass in milliseconds.
func WithTestSecond(d time.Duration) Option { return func(c *config) { c.second = d } }

// WithTestDialTimeout bounds the opening of a connection by d instead of
// 10 seconds.
func WithTestDialTimeout(d time.Duration) Option { return func(c *config) { c.dialTimeout = d } }

// HeldPeak returns the most bytes c has held at once from a new connection
// while draining an old one.
func HeldPeak(c *Client) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heldPeak
}

// The limits, for the tests' checks.
const (
	MaxHeldBytes   = maxHeldBytes
	MaxMessageSize = maxMessageSize
)

// DrainTimeout is how long an old connection is drained with a keepalive
// second of second.
func DrainTimeout(second time.Duration) time.Duration { return drainSeconds * second }

// SetConduitJitter makes c draw its jitter (of the shard reads, and of
// the check of a shard taken over) from f: tests make it 0, so that two
// Conduits act at the same instants.
func SetConduitJitter(c *Conduit, f func(time.Duration) time.Duration) { c.jitter = f }

// The takeover's times, for the tests' bounds.
const (
	ConduitPollEvery     = pollEvery
	ConduitDisabledGrace = disabledGrace
)

// SetConduitBeforeTakeover makes c call f with the shards a read of the
// shards is about to take over, before it does.
func SetConduitBeforeTakeover(c *Conduit, f func(shards []int)) { c.beforeTakeover = f }
