package eventsub

// The two paths of ParseMessage and of ParseNotification, for the test
// that they agree.
var (
	ParseFrameFast = parseFrameFast
	ParseFrame     = parseFrame
	ParseBodyFast  = parseBodyFast
	ParseBody      = parseBody
)
