// Package oauth holds what the rest of the library needs to know about
// Twitch's OAuth: the scopes (generated from schema/scopes.json as
// constants such as ScopeUserReadChat) and the Requirement type with which
// every generated EventSub subscription type and Helix operation says which
// token and scopes it needs.
//
// The token flows (device code, authorization code, client credentials,
// refresh, validation) are to come; until then any
// golang.org/x/oauth2.TokenSource supplies tokens to package helix.
package oauth
