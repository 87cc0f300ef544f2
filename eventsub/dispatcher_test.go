package eventsub_test

import (
	"context"
	"sync"
	"testing"

	"gotest.tools/v3/assert"

	"github.com/twitchify-go/twitch/eventsub"
)

type ctxKey struct{}

func parseNotification(t *testing.T, frame string) *eventsub.Notification {
	t.Helper()
	msg := parseFrame(t, frame)
	assert.Assert(t, msg.Notification != nil)
	return msg.Notification
}

func TestDispatcherTypedHandler(t *testing.T) {
	n := parseNotification(t, "notification_channel_follow.json")
	ctx := context.WithValue(context.Background(), ctxKey{}, "request-7")

	var d eventsub.Dispatcher // the zero Dispatcher is ready to use
	var got []*eventsub.ChannelFollowEvent
	d.OnChannelFollow(func(hctx context.Context, e *eventsub.ChannelFollowEvent) {
		assert.Equal(t, hctx.Value(ctxKey{}), "request-7", "the handler gets Dispatch's context")
		got = append(got, e)
	})
	d.Dispatch(ctx, n)

	assert.Equal(t, len(got), 1)
	assert.Equal(t, got[0], n.Event.(*eventsub.ChannelFollowEvent), "the handler gets the decoded event itself")
	assert.Equal(t, got[0].UserLogin, "pixel_otter")
	assert.Equal(t, got[0].BroadcasterUserID, "70001234")
}

func TestDispatcherOrder(t *testing.T) {
	follow := parseNotification(t, "notification_channel_follow.json")
	unknown := parseNotification(t, "notification_unknown_type.json")

	var d eventsub.Dispatcher
	var calls []string
	// OnNotification is registered first, yet runs after the typed handlers.
	d.OnNotification(func(_ context.Context, n *eventsub.Notification) {
		calls = append(calls, "all1:"+n.Subscription.Type)
	})
	d.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
		calls = append(calls, "follow1:"+e.UserName)
	})
	d.OnNotification(func(_ context.Context, n *eventsub.Notification) {
		calls = append(calls, "all2:"+n.Subscription.Type)
	})
	d.OnChannelFollow(func(_ context.Context, e *eventsub.ChannelFollowEvent) {
		calls = append(calls, "follow2:"+e.UserName)
	})
	d.OnStreamOnline(func(context.Context, *eventsub.StreamOnlineEvent) {
		calls = append(calls, "online")
	})

	d.Dispatch(context.Background(), follow)
	assert.DeepEqual(t, calls, []string{
		"follow1:Pixel_Otter",
		"follow2:Pixel_Otter",
		"all1:channel.follow",
		"all2:channel.follow",
	})

	// An unknown type reaches only the OnNotification handlers.
	calls = nil
	d.Dispatch(context.Background(), unknown)
	assert.DeepEqual(t, calls, []string{"all1:channel.future.thing", "all2:channel.future.thing"})
}

func TestDispatcherOnNotificationSeesRawEvent(t *testing.T) {
	unknown := parseNotification(t, "notification_unknown_type.json")

	var d eventsub.Dispatcher
	var seen []*eventsub.Notification
	d.OnNotification(func(_ context.Context, n *eventsub.Notification) { seen = append(seen, n) })
	d.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {
		t.Error("channel.follow handler called for channel.future.thing")
	})
	d.Dispatch(context.Background(), unknown)

	assert.Equal(t, len(seen), 1)
	assert.Equal(t, seen[0], unknown)
	raw, ok := seen[0].Event.(*eventsub.RawEvent)
	assert.Assert(t, ok, "event is %T", seen[0].Event)
	assert.Assert(t, len(raw.JSON) > 0)
}

func TestDispatcherOtherTypeNotCalled(t *testing.T) {
	var d eventsub.Dispatcher
	d.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) {
		t.Error("channel.follow handler called")
	})
	d.OnChannelUpdate(func(context.Context, *eventsub.ChannelUpdateEvent) {
		t.Error("channel.update handler called")
	})
	d.OnChannelModerateV2(func(context.Context, *eventsub.ChannelModerateV2Event) {
		t.Error("channel.moderate handler called")
	})
	d.OnDropEntitlementGrant(func(context.Context, []eventsub.DropEntitlementGrantEvent) {
		t.Error("drop.entitlement.grant handler called")
	})
	var got *eventsub.StreamOnlineEvent
	d.OnStreamOnline(func(_ context.Context, e *eventsub.StreamOnlineEvent) { got = e })

	d.Dispatch(context.Background(), parseNotification(t, "notification_stream_online.json"))
	assert.Assert(t, got != nil)
	assert.Equal(t, got.ID, "41876522213")
	assert.Equal(t, got.Type, eventsub.StreamOnlineTypeLive)
}

func TestDispatcherNoHandlers(t *testing.T) {
	var d eventsub.Dispatcher
	// Nothing registered: Dispatch of known and unknown types does nothing.
	d.Dispatch(context.Background(), parseNotification(t, "notification_channel_follow.json"))
	d.Dispatch(context.Background(), parseNotification(t, "notification_unknown_type.json"))
}

func TestDispatcherEachType(t *testing.T) {
	var d eventsub.Dispatcher
	var calls []string
	d.OnChannelChatMessage(func(_ context.Context, e *eventsub.ChannelChatMessageEvent) {
		calls = append(calls, "chat:"+e.Message.Text)
	})
	d.OnChannelModerateV2(func(_ context.Context, e *eventsub.ChannelModerateV2Event) {
		calls = append(calls, "moderate:"+string(e.Action))
	})
	d.OnChannelUpdate(func(_ context.Context, e *eventsub.ChannelUpdateEvent) {
		calls = append(calls, "update:"+e.Language)
	})

	for _, f := range []string{
		"notification_channel_chat_message.json",
		"notification_channel_moderate_warn.json",
		"notification_channel_update.json",
		"notification_channel_moderate_timeout.json",
	} {
		d.Dispatch(context.Background(), parseNotification(t, f))
	}
	assert.DeepEqual(t, calls, []string{
		"chat:@TulipTom agreed moonliGrow",
		"moderate:warn",
		"update:de",
		"moderate:timeout",
	})
}

func TestDispatcherDropEntitlementGrant(t *testing.T) {
	n, err := eventsub.ParseNotification(readTestdata(t, "webhook_drop_entitlement_grant.json"))
	assert.NilError(t, err)

	var d eventsub.Dispatcher
	var got []eventsub.DropEntitlementGrantEvent
	calls := 0
	d.OnDropEntitlementGrant(func(_ context.Context, events []eventsub.DropEntitlementGrantEvent) {
		calls++
		got = events
	})
	d.Dispatch(context.Background(), n)

	assert.Equal(t, calls, 1, "one call per batch, not per event")
	assert.DeepEqual(t, got, wantDropEvents(t))
}

// Handlers may be registered while other goroutines dispatch; run with
// -race. Registration and dispatch are interleaved through channels only.
func TestDispatcherConcurrentRegisterAndDispatch(t *testing.T) {
	n := parseNotification(t, "notification_channel_follow.json")
	const rounds = 200

	var d eventsub.Dispatcher
	var mu sync.Mutex
	counts := map[string]int{}
	count := func(key string) {
		mu.Lock()
		counts[key]++
		mu.Unlock()
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { // registers
		defer wg.Done()
		<-start
		for range rounds {
			d.OnChannelFollow(func(context.Context, *eventsub.ChannelFollowEvent) { count("follow") })
			d.OnNotification(func(context.Context, *eventsub.Notification) { count("all") })
		}
	}()
	for range 2 { // dispatch
		go func() {
			defer wg.Done()
			<-start
			for range rounds {
				d.Dispatch(context.Background(), n)
			}
		}()
	}
	close(start)
	wg.Wait()

	// Once registration is over, one more dispatch reaches every handler.
	mu.Lock()
	before := map[string]int{"follow": counts["follow"], "all": counts["all"]}
	mu.Unlock()
	d.Dispatch(context.Background(), n)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, counts["follow"]-before["follow"], rounds)
	assert.Equal(t, counts["all"]-before["all"], rounds)
}
