// Package conformance holds the tests that check the schema and the
// generated types against Twitch's reference pages, both ways.
//
// From the reference to the types: every JSON example of the pages decodes
// strictly into the generated type (a member the Go type lacks is a
// failure), and every value in it survives encoding again (timestamps
// compare by instant: Unix seconds and RFC 3339 alike, "" as the zero
// time). Where schema/curated says a key of an example is wrong, that key
// is left out and the rest is checked; only an example wrong as a whole
// (an error body shown as a success) is skipped.
//
// From the types to the reference: every condition and event field of the
// schema has a source, a row of the reference's tables, a key of one of
// its examples, or a curated note saying where it comes from, so that an
// invented field is caught.
//
// The pages are read from the folder ../shared/twitch-docs beside the
// module; without it the tests skip.
package conformance
