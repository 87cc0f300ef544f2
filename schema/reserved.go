package schema

// ReservedNames are the exported names of the hand-written runtime of each
// generated package ("Name" or "Type.Method"). A schema name that would
// generate one of them is an error. A test in package gen keeps these lists
// equal to what the runtime packages declare.
var ReservedNames = map[string][]string{
	"eventsub": {
		"Client", "Client.Close", "Client.Costs", "Client.Run", "Client.Subscribe",
		"Client.Subscriptions", "Client.Unsubscribe", "CloseError", "CloseError.Error", "Condition",
		"ConditionField", "ConditionFill", "DefaultBaseURL", "Dispatcher", "Dispatcher.Dispatch",
		"Dispatcher.OnNotification", "DroppedNotificationError", "DroppedNotificationError.Error",
		"ErrClosed", "ErrKeepaliveTimeout", "ErrMessageTooLarge", "ErrSubscriptionLimit",
		"ErrUntrustedReconnectURL", "FillBroadcaster", "FillClientID", "FillNone", "FillUser", "HandlerPanicError", "HandlerPanicError.Error", "InvalidSubscriptionError",
		"InvalidSubscriptionError.Error", "Lookup", "Message", "MessageNotification", "MessageRevocation",
		"MessageSessionKeepalive", "MessageSessionReconnect", "MessageSessionWelcome", "MessageType",
		"Metadata", "New", "Notification", "Notification.Condition", "Notification.TypeInfo",
		"OnConnected", "OnDisconnected", "OnError", "OnReady", "OnReconnected", "OnRevoked", "Option",
		"ParseMessage", "ParseNotification", "RawEvent", "Session", "SubscriptionError",
		"SubscriptionError.Error", "SubscriptionError.Is", "SubscriptionError.Unwrap",
		"SubscriptionStatus", "Time", "TransportConduit", "TransportMethod", "TransportWebSocket",
		"TransportWebhook", "TypeBeta", "TypeInfo", "TypeInfo.NewCondition", "TypeNew", "TypeStable",
		"TypeStatus", "Types", "WithBackoff", "WithBaseURL", "WithDialContext", "WithKeepalive",
		"WithLogger",
		// The Webhook.
		"ErrCallbackVerification", "NewWebhook", "RevokedError", "RevokedError.Error", "Webhook",
		"Webhook.Close", "Webhook.Run", "Webhook.ServeHTTP", "Webhook.Subscribe", "Webhook.Subscriptions",
		"Webhook.Unsubscribe", "WebhookRequestError", "WebhookRequestError.Error", "WithDeleteStale",
		"WithPreviousSecret", "WithQueueSize", "WithWorkers",
		// The Conduit.
		"Conduit", "Conduit.Close", "Conduit.ID", "Conduit.Run", "Conduit.ServeHTTP", "Conduit.Shards", "Conduit.Subscribe",
		"Conduit.Subscriptions", "Conduit.Unsubscribe", "NewConduit", "Shard", "ShardError", "ShardError.Error",
		"ShardError.Unwrap", "WithConduitID", "WithShardCount", "WithShards", "WithTakeover", "WithWebhookShards",
	},
	"helix": {
		"APIError", "APIError.Error", "APIError.Is", "Client", "Client.Format", "Client.GoString",
		"Client.LogValue", "Client.String", "Client.WithToken", "DefaultBaseURL",
		"ErrForbidden", "ErrMissingScope", "ErrNotFound", "ErrRateLimited", "ErrUnauthorized",
		"InvalidParamsError", "InvalidParamsError.Error", "LookupOperation", "New", "Operation", "Operations", "Option",
		"Pagination", "ParamGroup", "RateLimit", "RateLimitError", "RateLimitError.Error", "RateLimitError.Is",
		"Rule", "RuleAtLeastOne", "RuleAtMostOne",
		"RuleExactlyOne", "Time", "Time.MarshalJSON", "Time.UnmarshalJSON", "WithBaseURL", "WithHTTPClient", "WithLogger", "WithMaxRetries",
	},
}
