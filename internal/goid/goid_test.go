package goid

import (
	"testing"

	"gotest.tools/v3/assert"
)

func TestCurrent(t *testing.T) {
	here := Current()
	assert.Assert(t, here != 0)
	assert.Equal(t, Current(), here, "the same goroutine")
	other := make(chan uint64)
	go func() { other <- Current() }()
	there := <-other
	assert.Assert(t, there != 0 && there != here, "%d, %d", here, there)
}
