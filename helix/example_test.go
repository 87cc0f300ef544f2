package helix_test

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/oauth2"

	"github.com/twitchify-go/twitch/helix"
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
