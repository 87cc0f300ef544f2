package twitchtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"unicode/utf8"

	"github.com/twitchify-go/twitch/oauth"
)

// maxChatMessage is the longest chat message Twitch takes, in characters.
const maxChatMessage = 500

// getUsers is GET /helix/users. Without id or login, Twitch answers with
// the user of a user token, and refuses an app token.
func (h *Helix) getUsers(r *http.Request, _ []byte, info *TokenInfo) response {
	op := findOperation("GetUsers")
	q := r.URL.Query()
	switch {
	case q.Has("id") || q.Has("login") || info == nil:
		return h.answer(r, op)
	case info.Type == oauth.TokenApp:
		return apiError(http.StatusBadRequest, "The id or login query parameter is required unless the request uses a user access token.")
	case info.UserID == "":
		return h.answer(r, op) // a user token whose user the fake does not know
	}
	items, _ := h.dataOf(op.name)
	for _, item := range items {
		var u struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(item, &u) == nil && u.ID == info.UserID {
			return pageOf(r, op, []json.RawMessage{item})
		}
	}
	// The sample user, made the token's.
	var sample struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(op.response), &sample); err != nil || len(sample.Data) == 0 {
		return apiError(http.StatusInternalServerError, "twitchtest: bad sample of GetUsers")
	}
	user := sample.Data[0]
	user["id"], user["login"], user["display_name"] = info.UserID, info.Login, info.Login
	if !slices.Contains(info.Scopes, "user:read:email") {
		delete(user, "email") // Twitch sends it only with this scope
	}
	return jsonResponse(http.StatusOK, sample)
}

// sendChatMessage is POST /helix/chat/messages: the sender must be the user
// of a user token, and the message at most 500 characters long.
func (h *Helix) sendChatMessage(r *http.Request, body []byte, info *TokenInfo) response {
	var msg struct {
		SenderID string `json:"sender_id"`
		Message  string `json:"message"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return apiError(http.StatusBadRequest, "The request body is not valid.")
	}
	if info.isUser() && msg.SenderID != info.UserID {
		return apiError(http.StatusUnauthorized, "The sender_id must match the user ID in the access token.")
	}
	if utf8.RuneCountInString(msg.Message) > maxChatMessage {
		return apiError(http.StatusUnprocessableEntity, "The message is too large.")
	}
	return h.answer(r, findOperation("SendChatMessage"))
}
