package schema

import (
	"go/token"
	"strings"
	"unicode"
	"unicode/utf8"
)

// initialisms are the words whose Go spelling is not simply capitalised. The
// table is fixed on purpose: a Go name must not change because a word was
// added here, so extend it only before the word is used in the schema.
var initialisms = map[string]string{
	"api":       "API",
	"automod":   "AutoMod",
	"ccl":       "CCL",
	"ccls":      "CCLs",
	"eventsub":  "EventSub",
	"html":      "HTML",
	"http":      "HTTP",
	"https":     "HTTPS",
	"id":        "ID",
	"ids":       "IDs",
	"igdb":      "IGDB",
	"ip":        "IP",
	"json":      "JSON",
	"oauth":     "OAuth",
	"pubsub":    "PubSub",
	"rgb":       "RGB",
	"sku":       "SKU",
	"ttl":       "TTL",
	"ui":        "UI",
	"url":       "URL",
	"urls":      "URLs",
	"utc":       "UTC",
	"uuid":      "UUID",
	"vip":       "VIP",
	"vips":      "VIPs",
	"vod":       "VOD",
	"websocket": "WebSocket",
}

// GoName turns a Twitch name into an exported Go name: it splits s at '_',
// '.', '-', ':' and spaces, spells each word from the initialism table or
// with its first letter in upper case (a word all in capitals first goes to
// lower case), and joins the words.
//
//	broadcaster_user_id -> BroadcasterUserID
//	channel.chat.message -> ChannelChatMessage
//	moderator:read:followers -> ModeratorReadFollowers
//
// The result is not checked; see validGoName.
func GoName(s string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return r == '_' || r == '.' || r == '-' || r == ':' || unicode.IsSpace(r)
	}) {
		if v, ok := initialisms[strings.ToLower(w)]; ok {
			b.WriteString(v)
			continue
		}
		if len(w) > 1 && strings.ToUpper(w) == w && strings.ToLower(w) != w {
			// A word in capitals (Twitch's "CANCELED", "ACTIVE") reads as
			// a word: Canceled.
			w = strings.ToLower(w)
		}
		r, size := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(w[size:])
	}
	return b.String()
}

// validGoName reports whether s can name an exported Go identifier.
func validGoName(s string) bool {
	return token.IsIdentifier(s) && token.IsExported(s)
}
