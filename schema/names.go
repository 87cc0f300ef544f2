package schema

import (
	"go/token"
	"slices"
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

// joinNames names what belongs to owner by its own name: an inline type
// (owner and field) or an enum constant (enum and value). When owner ends
// with the words name starts with, they are written once:
//
//	ChannelChatMessage + MessageType -> ChannelChatMessageType
//	ChannelChatMessage + Reply -> ChannelChatMessageReply
//
// A name that would be left with no words of its own is joined as is.
func joinNames(owner, name string) string {
	ow, nw := goWords(owner), goWords(name)
	for k := min(len(ow), len(nw)-1); k > 0; k-- {
		if slices.Equal(ow[len(ow)-k:], nw[:k]) {
			return owner + strings.Join(nw[k:], "")
		}
	}
	return owner + name
}

// goWords splits a Go name into its words: a word starts at a capital
// letter after a small one or a digit, or at the last capital of a run
// followed by a small letter ("HTTPServer" is HTTP and Server), except for
// the plural s of an initialism ("UserIDs" is User and IDs).
func goWords(s string) []string {
	var words []string
	start := 0
	for i := 1; i < len(s); i++ {
		prev, c := rune(s[i-1]), rune(s[i])
		if !unicode.IsUpper(c) {
			continue
		}
		next := rune(0)
		if i+1 < len(s) {
			next = rune(s[i+1])
		}
		pluralS := next == 's' && (i+2 == len(s) || unicode.IsUpper(rune(s[i+2])))
		if !unicode.IsUpper(prev) || unicode.IsLower(next) && !pluralS {
			words = append(words, s[start:i])
			start = i
		}
	}
	if start < len(s) {
		words = append(words, s[start:])
	}
	return words
}
