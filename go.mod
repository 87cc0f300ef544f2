module github.com/twitchify-go/twitch

go 1.26

require (
	github.com/dave/jennifer v1.7.1
	github.com/go-json-experiment/json v1.27.2
	github.com/gorilla/websocket v1.5.3
	golang.org/x/net v0.50.0
	golang.org/x/oauth2 v0.35.0
	gotest.tools/v3 v3.5.2
)

require github.com/google/go-cmp v0.5.9 // indirect
