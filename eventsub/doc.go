// Package eventsub receives Twitch EventSub notifications as typed Go values.
//
// Every subscription type and version in the schema has generated types: a
// condition (ChannelFollowCondition) that says what to subscribe to, an
// event (ChannelFollowEvent) that a notification carries, and a handler
// registration method on Dispatcher (OnChannelFollow). TypeInfo and
// Lookup give the facts of each type: its version, status, scopes and
// transports.
//
// ParseMessage decodes a WebSocket frame and ParseNotification a webhook
// body (or a frame's payload); each decodes the event once, into the
// generated type. Dispatcher hands a Notification to the handlers
// registered for its type:
//
//	var d eventsub.Dispatcher
//	d.OnChannelFollow(func(ctx context.Context, e *eventsub.ChannelFollowEvent) {
//		fmt.Println(e.UserName, "followed", e.BroadcasterUserName)
//	})
//	msg, err := eventsub.ParseMessage(frame)
//	if err == nil && msg.Notification != nil {
//		d.Dispatch(ctx, msg.Notification)
//	}
//
// A notification of a type or version the schema does not know is not an
// error: its Event is a *RawEvent holding the JSON.
package eventsub
