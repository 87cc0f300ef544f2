package eventsub

import "time"

// WithTestSecond makes a keepalive second last d, so that tests see
// Twitch's timeouts pass in milliseconds.
func WithTestSecond(d time.Duration) Option { return func(c *Client) { c.second = d } }

// WithTestDialTimeout bounds the opening of a connection by d instead of
// 10 seconds.
func WithTestDialTimeout(d time.Duration) Option { return func(c *Client) { c.dialTimeout = d } }
