// Package helix is a typed client for Twitch's Helix API.
//
// Every operation of the schema is a generated method of Client with a
// parameters struct and a response struct:
//
//	c := helix.New(clientID, tokenSource)
//	res, err := c.GetUsers(ctx, &helix.GetUsersParams{Login: []string{"twitchdev"}})
//
// Before any request is sent, required parameters that Go can tell are
// unset (an empty string, slice or JSON value, a zero time) and repeated
// parameters with too many values are an *InvalidParamsError; a required
// number or bool is always sent, since its zero value is a real value. An
// answer other than success is an *APIError.
//
// Operations lists every operation with its method, path and the tokens
// and scopes it needs.
package helix
