package eventsub

import "time"

// WithTestSecond makes a keepalive second last d, so that tests see
// Twitch's timeouts pass in milliseconds.
func WithTestSecond(d time.Duration) Option { return func(c *Client) { c.second = d } }
