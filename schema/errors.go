package schema

import (
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Error is one problem in one schema file.
type Error struct {
	File string // the file as the loader was given it, e.g. "schema/eventsub/channel.follow.v2.json"
	Path string // the JSON path inside the file, e.g. "event.fields[3].type"; empty for the whole file
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.File + ": " + e.Msg
	}
	return e.File + ": " + e.Path + ": " + e.Msg
}

// ErrorList is every problem the loader found, sorted by file. Load returns it
// as its error; use errors.As to get at the single errors.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As look at each problem.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// errorSink collects problems while the loader walks the files. Files are
// named by their path in the schema folder; the sink prefixes display, the
// folder as the user named it.
type errorSink struct {
	display string
	list    ErrorList
}

func (s *errorSink) add(rel, jsonPath, format string, args ...any) {
	s.list = append(s.list, &Error{
		File: path.Join(s.display, rel),
		Path: jsonPath,
		Msg:  fmt.Sprintf(format, args...),
	})
}

// err returns the problems grouped by file, in the order found within each.
func (s *errorSink) err() error {
	if len(s.list) == 0 {
		return nil
	}
	slices.SortStableFunc(s.list, func(a, b *Error) int { return cmp.Compare(a.File, b.File) })
	return s.list
}
