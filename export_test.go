package twitch

import "github.com/twitchify-go/twitch/eventsub"

// HandleType registers a handler of no consequence for info's type, as the
// On<Type> method method would: for tests that go over every type of the
// schema, or over facts the schema does not have.
func (c *Client) HandleType(info eventsub.TypeInfo, method string) {
	c.on(info, method, func(*eventsub.Dispatcher) {})
}

// Registered returns, for each type registered, its type, version and the
// On<Type> methods that registered it.
func (c *Client) Registered() map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]string{}
	for _, h := range c.handlers {
		out[h.info.Type+" "+h.info.Version] = append([]string(nil), h.methods...)
	}
	return out
}

// RunReturned reports whether Run has returned.
func (c *Client) RunReturned() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ended
}
