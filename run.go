package twitch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/twitchify-go/twitch/eventsub"
	"github.com/twitchify-go/twitch/internal/goid"
)

// Run does everything between a client ID and events arriving, then
// handles events until ctx ends or Close is called. In order:
//
//  1. It checks every handler's subscription type against the schema's
//     facts: a type Twitch does not deliver over a WebSocket, one that
//     takes an app token only, or one whose condition has a required field
//     that only the caller knows (and that Subscribe was not given) is a
//     *HandlerError, all of them at once, before anything is sent.
//  2. It gets a user token: the token file's (WithTokenFile), WithToken's,
//     or else the user's, with the device code flow (OnCode), asking for
//     the scopes the handlers' types need and those of WithScopes. A new
//     token goes to the token file and OnAuth.
//  3. It validates the token (Twitch requires it at the start and hourly
//     after; a token Twitch refuses is renewed when it has a refresh
//     token), learns the token's user (User), and checks the scopes: a
//     token that lacks one is a *MissingScopesError naming each scope and
//     the handlers that need it, or, when WithToken was not given, the
//     device flow asks the user again, for the right scopes.
//  4. It subscribes every handler's type, with conditions filled as the
//     schema says (eventsub.ConditionField.Fill): the broadcaster is the
//     token's user's channel and each channel of WithChannels, the
//     moderator or user is the token's user, the client ID is the
//     application's. Then it connects to EventSub; OnReady follows once
//     every subscription is active. The subscriptions Twitch refuses on
//     the first session are returned, all of them.
//
// From then on the client reconnects when it must, renews the token
// before it expires and saves each new one, and validates it hourly. Run
// returns ctx's error, ErrClosed after Close, or what stops the bot: an
// error that wraps oauth.ErrReauthorize when the token is revoked, or
// expires without a refresh token. Errors that do not stop it go to
// OnError (or the logger). Every goroutine Run starts has ended when it
// returns. Run may be called once.
func (c *Client) Run(ctx context.Context) error {
	if c.err != nil {
		return c.err
	}
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return ErrClosed
	case c.running:
		c.mu.Unlock()
		return errors.New("twitch: Run called twice: a Client runs once")
	}
	c.running, c.runG, c.done = true, goid.Current(), make(chan struct{})
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	c.cancel = cancel
	c.mu.Unlock()
	defer close(c.done)

	var wg sync.WaitGroup
	err := c.run(ctx, &wg)
	cancel()
	wg.Wait()

	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = true
	switch {
	case c.fatal != nil:
		return c.fatal
	case c.closed:
		return ErrClosed
	case parent.Err() != nil:
		return parent.Err() // whatever was under way when it ended
	case errors.Is(err, eventsub.ErrClosed):
		return ErrClosed
	}
	return err
}

func (c *Client) run(ctx context.Context, wg *sync.WaitGroup) error {
	p, err := c.makePlan()
	if err != nil {
		return err
	}
	t, err := c.authorize(ctx, p.needs)
	if err != nil {
		return err
	}
	own := User{ID: t.val.UserID, Login: t.val.Login}
	c.mu.Lock()
	c.user = own
	if t.plain {
		c.plainExpiry = t.val.Expiry
	}
	c.mu.Unlock()
	c.tokens.set(t.src)
	if t.plain {
		c.log.Warn("twitch: the token has no refresh token, so it cannot be renewed: Run stops when it expires",
			slog.Time("expiry", t.val.Expiry))
	}
	c.log.Info("twitch: authorized", slog.String("user", own.Login), slog.String("user_id", own.ID))

	channels, err := c.resolveChannels(ctx, own)
	if err != nil {
		return err
	}
	conds, err := p.conditions(c.clientID, own, channels)
	if err != nil {
		return err
	}
	for _, cond := range conds {
		if err := c.events.Subscribe(ctx, cond); err != nil {
			return fmt.Errorf("twitch: Run: %w", err)
		}
	}
	c.subMu.Lock()
	c.noEvents = len(c.events.Subscriptions()) == 0
	c.subMu.Unlock()

	wg.Add(2)
	go func() {
		defer wg.Done()
		c.watch(ctx, t)
	}()
	go func() {
		defer wg.Done()
		c.validate(ctx)
	}()
	if c.noEvents {
		// A bot that only calls Helix: EventSub would close a connection
		// without subscriptions. The token is kept valid all the same.
		c.log.Info("twitch: no handler and no subscription: running without EventSub")
		c.readyNow()
		<-ctx.Done()
		return ctx.Err()
	}
	if c.cfg.webhook != nil && c.cfg.webhook.Listen != "" {
		if err := c.listen(ctx, wg); err != nil {
			return err
		}
	}
	return c.events.Run(ctx)
}
