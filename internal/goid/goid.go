// Package goid tells the ID of the calling goroutine. The clients need it
// only to know whether Close is called from one of their own callbacks,
// where waiting for Run to return would wait for itself.
package goid

import (
	"bytes"
	"runtime"
	"strconv"
)

// Current returns the ID of the calling goroutine, from the first line of
// its stack ("goroutine 18 [running]:"): Go offers no other way, on
// purpose. It returns 0 if that format ever changes; callers then treat
// the call as coming from outside.
func Current() uint64 {
	var buf [64]byte
	line := buf[:runtime.Stack(buf[:], false)]
	line, _ = bytes.CutPrefix(line, []byte("goroutine "))
	id, _, _ := bytes.Cut(line, []byte(" "))
	n, _ := strconv.ParseUint(string(id), 10, 64)
	return n
}
