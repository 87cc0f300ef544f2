package schema

// ReservedNames are the exported names of the hand-written runtime of each
// generated package ("Name" or "Type.Method"). A schema name that would
// generate one of them is an error. A test in package gen keeps these lists
// equal to what the runtime packages declare.
var ReservedNames = map[string][]string{
	"eventsub": {
		"Condition", "Dispatcher", "Dispatcher.Dispatch", "Dispatcher.OnNotification",
		"Lookup", "Message", "MessageNotification", "MessageRevocation",
		"MessageSessionKeepalive", "MessageSessionReconnect", "MessageSessionWelcome",
		"MessageType", "Metadata", "Notification", "Notification.Condition",
		"Notification.TypeInfo", "ParseMessage", "ParseNotification", "RawEvent", "Session",
		"TransportConduit", "TransportMethod", "TransportWebSocket", "TransportWebhook",
		"TypeBeta", "TypeInfo", "TypeInfo.NewCondition", "TypeNew", "TypeStable",
		"TypeStatus", "Types",
	},
	"helix": {
		"APIError", "APIError.Error", "Client", "DefaultBaseURL", "InvalidParamsError",
		"InvalidParamsError.Error", "New", "Operation", "Operations", "Option",
		"Pagination", "WithBaseURL", "WithHTTPClient",
	},
}
