package twitchtest

import "net/http"

// oauthState is the fake's OAuth: device codes, refresh tokens and knobs.
type oauthState struct{}

// routeOAuth serves Twitch's OAuth endpoints below /oauth2.
func (s *Server) routeOAuth(mux *http.ServeMux) {}
