// Package jsonerr makes encoding/json's decoding errors say where the
// problem is, so that an error about a Twitch payload can be acted on.
package jsonerr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// Describe returns err, which decoding data into target produced, with its
// position: the line and column of a syntax error, or the JSON path of a
// value that does not fit. encoding/json names the field of a plain type
// mismatch itself, but not when a type's own UnmarshalJSON fails (time.Time
// given a number), so Describe finds it. It only runs on the error path.
func Describe(data []byte, target any, err error) error {
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		line, col := position(data, int(syntax.Offset))
		return fmt.Errorf("line %d, column %d: %w", line, col, err)
	}
	var mismatch *json.UnmarshalTypeError
	if errors.As(err, &mismatch) || target == nil {
		return err
	}
	if path := locate(data, reflect.TypeOf(target)); path != "" {
		return fmt.Errorf("%s: %w", path, err)
	}
	return err
}

// position turns the offset encoding/json reports, which counts the bad byte
// itself, into the 1-based line and column of that byte.
func position(data []byte, offset int) (line, col int) {
	pos := max(min(offset, len(data))-1, 0)
	line = bytes.Count(data[:pos], []byte("\n")) + 1
	col = pos - bytes.LastIndexByte(data[:pos], '\n')
	return line, col
}

// locate returns the path, below data, of the first value that does not
// decode into its field of t, or "" when data itself is the problem.
func locate(data []byte, t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var members map[string]json.RawMessage
		if json.Unmarshal(data, &members) != nil {
			return ""
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			raw, ok := members[name]
			if !ok || json.Unmarshal(raw, reflect.New(f.Type).Interface()) == nil {
				continue
			}
			return join(name, locate(raw, f.Type))
		}
	case reflect.Slice:
		var items []json.RawMessage
		if t.Elem().Kind() == reflect.Uint8 || json.Unmarshal(data, &items) != nil {
			return ""
		}
		for i, raw := range items {
			if json.Unmarshal(raw, reflect.New(t.Elem()).Interface()) == nil {
				continue
			}
			return join("["+strconv.Itoa(i)+"]", locate(raw, t.Elem()))
		}
	}
	return ""
}

// join appends the path below to path: "a" and "b" give "a.b"; "a" and "[1]" give "a[1]".
func join(path, below string) string {
	switch {
	case below == "":
		return path
	case strings.HasPrefix(below, "["):
		return path + below
	}
	return path + "." + below
}
