// Package helix is a typed client for Twitch's Helix API.
//
// Every operation of the schema is a generated method of Client with a
// parameters struct and a response struct:
//
//	c := helix.New(clientID, tokenSource)
//	res, err := c.GetUsers(ctx, &helix.GetUsersParams{Login: []string{"twitchdev"}})
//
// Parameters Twitch requires, and the most values a repeated parameter may
// have, are checked before any request is sent; a violation is an
// *InvalidParamsError. An answer other than success is an *APIError.
//
// Operations lists every operation with its method, path and the tokens
// and scopes it needs.
package helix
