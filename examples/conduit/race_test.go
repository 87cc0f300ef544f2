//go:build race

package main

// raceEnabled: the race detector slows the shard processes down by an
// order of magnitude, which the scale test's real clock would measure.
const raceEnabled = true
