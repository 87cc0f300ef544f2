package helix_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/helix"
	"github.com/twitchify-go/twitch/twitchtest"
)

// Required parameters are checked before anything is sent.
func ExampleInvalidParamsError() {
	c := helix.New("client-id", oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token"}))
	_, err := c.GetChannelFollowers(context.Background(), &helix.GetChannelFollowersParams{})
	var invalid *helix.InvalidParamsError
	fmt.Println(errors.As(err, &invalid), invalid.Param)
	fmt.Println(err)
	// Output:
	// true broadcaster_id
	// helix: GetChannelFollowers: parameter broadcaster_id: required but not set
}

// Telling Twitch's refusals apart: here a stand-in for Twitch refuses a
// token that lacks the scope.
func ExampleAPIError() {
	twitch := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"Unauthorized","status":401,"message":"Missing scope: user:write:chat"}`)
	}))
	defer twitch.Close()
	h := helix.New("client-id", oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "token"}), helix.WithBaseURL(twitch.URL))

	_, err := h.SendChatMessage(context.Background(), &helix.SendChatMessageParams{
		BroadcasterID: "12826", SenderID: "141981764", Message: "hello, chat",
	})
	var apiErr *helix.APIError
	switch {
	case errors.Is(err, helix.ErrMissingScope) && errors.As(err, &apiErr):
		fmt.Println("authorize again, with the scope:", apiErr.Message)
	case errors.Is(err, helix.ErrForbidden):
		fmt.Println("the user may not do this")
	case err != nil:
		fmt.Println(err)
	}
	fmt.Println(errors.Is(err, helix.ErrUnauthorized), errors.Is(err, helix.ErrForbidden))
	// Output:
	// authorize again, with the scope: Missing scope: user:write:chat
	// true false
}

// Sending a chat message, here to the fake Twitch of package twitchtest.
func ExampleClient_SendChatMessage() {
	fake := twitchtest.NewServer()
	defer fake.Close()
	h := helix.New("client-id", fake.Token("user-token"), helix.WithBaseURL(fake.Helix.URL))
	ctx := context.Background()

	sent, err := h.SendChatMessage(ctx, &helix.SendChatMessageParams{
		BroadcasterID: "12826",
		SenderID:      "141981764",
		Message:       "hello, chat",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sent.Data[0].IsSent)
	// Output: true
}

// Paging through a channel's followers: the loop fetches page after page.
func ExampleClient_GetChannelFollowersAll() {
	fake := twitchtest.NewServer()
	defer fake.Close()
	_ = fake.Helix.SetData("GetChannelFollowers",
		helix.ChannelFollower{UserName: "Ada"}, helix.ChannelFollower{UserName: "Brook"}, helix.ChannelFollower{UserName: "Cy"})
	h := helix.New("client-id", fake.Token("user-token"), helix.WithBaseURL(fake.Helix.URL))
	ctx := context.Background()

	params := &helix.GetChannelFollowersParams{BroadcasterID: "12826", First: ptr(2)}
	for f, err := range h.GetChannelFollowersAll(ctx, params) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(f.UserName)
	}
	fmt.Println(len(fake.Helix.Requests()), "pages")
	// Output:
	// Ada
	// Brook
	// Cy
	// 2 pages
}
