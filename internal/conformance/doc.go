// Package conformance holds the test that checks the generated types
// against every JSON example of Twitch's reference pages: each example
// decodes strictly (a field the Go type lacks is a failure) and every value
// in it survives encoding again. The pages are read from the folder
// ../shared/twitch-docs beside the module; without it the test skips.
package conformance
