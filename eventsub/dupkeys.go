package eventsub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// checkKeys returns an error naming the first object in data that has a
// key twice, and where that object is ("payload.event"). Two keys are the
// same when encoding/json would decode both into one field: equal once
// unescaped, ignoring case. encoding/json itself takes such keys without
// a word: the last wins, or two objects merge into one struct, so that
// what a frame means would depend on which decoder reads it. Twitch never
// sends a key twice, so checkKeys is strict at every depth.
//
// It is one pass over the bytes and allocates nothing for the keys Twitch
// sends. Malformed JSON is not its business: it returns nil and lets the
// decoder say what is wrong, and where.
func checkKeys(data []byte) error {
	s := scanners.Get().(*keyScanner)
	s.data, s.i, s.dup, s.trace = data, 0, nil, false
	s.value(0) // false: a duplicate (in s.dup), or malformed JSON
	if s.dup != nil {
		// Again, following the path this time, for the error: it costs
		// a third of the pass, and only an error needs it.
		s.i, s.dup, s.trace, s.keys = 0, nil, true, s.keys[:0]
		s.value(0)
	}
	err := s.dup
	// Forget data, which the keys point into; keep the room for the next
	// frame, unless a hostile one made it large.
	clear(s.keys[:cap(s.keys)])
	clear(s.path[:cap(s.path)])
	s.data, s.keys, s.path, s.dup = nil, s.keys[:0], s.path[:0], nil
	if cap(s.keys) <= 1024 && cap(s.path) <= 1024 {
		scanners.Put(s)
	}
	return err
}

// scanners keeps keyScanners, and the room they have grown, from one
// frame to the next: their stacks would otherwise be allocated for each
// frame.
var scanners = sync.Pool{New: func() any { return new(keyScanner) }}

// maxDepth is encoding/json's own limit on nesting; deeper data is an
// error of the decoder's.
const maxDepth = 10000

// keyScanner walks JSON, remembering the keys of the objects open on the
// way down (keys) and the way itself (path), for the error.
type keyScanner struct {
	data  []byte
	i     int
	keys  []key // the keys of the open objects
	trace bool  // follow the path to each value, in path
	path  []step
	dup   error
}

// key is an object's key as written: between the quotes, escapes and all.
type key struct {
	raw   []byte
	plain bool // ASCII without escapes: compared byte by byte, ignoring case
}

// step is one step of the path: an object's key, or an array's index.
type step struct {
	key     []byte
	index   int
	inArray bool
}

// value scans one value at s.i; false means stop: a duplicate (s.dup) or
// malformed JSON.
func (s *keyScanner) value(depth int) bool {
	s.space()
	if s.i >= len(s.data) || depth > maxDepth {
		return false
	}
	switch s.data[s.i] {
	case '{':
		return s.object(depth)
	case '[':
		return s.array(depth)
	case '"':
		_, ok := s.str()
		return ok
	}
	// A number, true, false or null: up to the next delimiter.
	start := s.i
	for ; s.i < len(s.data); s.i++ {
		switch s.data[s.i] {
		case ',', ']', '}', ' ', '\t', '\r', '\n':
			return s.i > start
		}
	}
	return s.i > start
}

func (s *keyScanner) object(depth int) bool {
	first := len(s.keys)
	ok := s.members(depth, first)
	s.keys = s.keys[:first]
	return ok
}

// members scans an object's members; its keys go on s.keys from first.
func (s *keyScanner) members(depth, first int) bool {
	s.i++                          // {
	var folded map[string]struct{} // for large objects, instead of comparing every pair
	for n := 0; ; n++ {
		s.space()
		if s.i < len(s.data) && s.data[s.i] == '}' && n == 0 {
			s.i++
			return true
		}
		if s.i >= len(s.data) || s.data[s.i] != '"' {
			return false
		}
		raw, ok := s.str()
		if !ok {
			return false
		}
		k := key{raw: raw, plain: plainASCII(raw)}
		if seen(k, s.keys[first:], &folded) {
			s.dup = s.duplicate(raw) // its path is right once s.trace is set
			return false
		}
		s.keys = append(s.keys, k)
		s.space()
		if s.i >= len(s.data) || s.data[s.i] != ':' {
			return false
		}
		s.i++
		if s.trace {
			s.path = append(s.path, step{key: raw})
		}
		if !s.value(depth + 1) {
			return false
		}
		if s.trace {
			s.path = s.path[:len(s.path)-1]
		}
		s.space()
		if s.i >= len(s.data) {
			return false
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *keyScanner) array(depth int) bool {
	s.i++ // [
	for n := 0; ; n++ {
		s.space()
		if s.i < len(s.data) && s.data[s.i] == ']' && n == 0 {
			s.i++
			return true
		}
		if s.trace {
			s.path = append(s.path, step{index: n, inArray: true})
		}
		if !s.value(depth + 1) {
			return false
		}
		if s.trace {
			s.path = s.path[:len(s.path)-1]
		}
		s.space()
		if s.i >= len(s.data) {
			return false
		}
		switch s.data[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// str scans a string at s.i and returns what is between its quotes.
func (s *keyScanner) str() ([]byte, bool) {
	start := s.i + 1
	i := start
	for {
		q := bytes.IndexByte(s.data[i:], '"')
		if q < 0 {
			return nil, false
		}
		b := bytes.IndexByte(s.data[i:i+q], '\\')
		if b < 0 {
			s.i = i + q + 1
			return s.data[start : i+q], true
		}
		i += b + 2 // the backslash and the byte it escapes
		if i > len(s.data) {
			return nil, false
		}
	}
}

func (s *keyScanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// pairwiseKeys is how many keys an object may have before they are kept
// in a map rather than compared pair by pair: Twitch's objects have a few
// dozen at most, a hostile one could have thousands.
const pairwiseKeys = 32

// seen reports whether k matches one of keys, the object's earlier keys.
func seen(k key, keys []key, folded *map[string]struct{}) bool {
	if len(keys) < pairwiseKeys {
		for _, o := range keys {
			if sameKey(o, k) {
				return true
			}
		}
		return false
	}
	if *folded == nil {
		*folded = make(map[string]struct{}, 2*len(keys))
		for _, o := range keys {
			(*folded)[foldKey(o.raw)] = struct{}{}
		}
	}
	f := foldKey(k.raw)
	if _, ok := (*folded)[f]; ok {
		return true
	}
	(*folded)[f] = struct{}{}
	return false
}

// sameKey reports whether two keys name the same field for encoding/json:
// equal once unescaped, ignoring case as bytes.EqualFold does.
func sameKey(a, b key) bool {
	if a.plain && b.plain {
		return len(a.raw) == len(b.raw) && asciiEqualFold(a.raw, b.raw)
	}
	return bytes.EqualFold(unescape(a.raw), unescape(b.raw))
}

// foldKey returns a form of a raw key that is the same for every key
// sameKey matches: each rune replaced by the least of its case-folding
// orbit.
func foldKey(raw []byte) string {
	var b strings.Builder
	for _, r := range string(unescape(raw)) {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

func plainASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf || c == '\\' {
			return false
		}
	}
	return true
}

func asciiEqualFold(a, b []byte) bool {
	for i := range a {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z' {
			return false
		}
	}
	return true
}

// unescape returns a raw key as encoding/json reads it.
func unescape(raw []byte) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	var v string
	if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &v) != nil {
		return raw
	}
	return []byte(v)
}

// duplicate is the error for key, found twice in the object at s.path.
func (s *keyScanner) duplicate(key []byte) error {
	var path strings.Builder
	for _, st := range s.path {
		switch {
		case st.inArray:
			path.WriteString("[" + strconv.Itoa(st.index) + "]")
		case path.Len() > 0:
			path.WriteString(".")
			fallthrough
		default:
			path.Write(st.key)
		}
	}
	if path.Len() == 0 {
		return fmt.Errorf(`duplicate key "%s"`, key)
	}
	return fmt.Errorf(`%s: duplicate key "%s"`, path.String(), key)
}
