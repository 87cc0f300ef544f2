// Package json is the module's one door to JSON: every notification,
// Helix answer and OAuth answer is decoded here, and every request body
// encoded here. It decodes with JSON v2 (github.com/go-json-experiment/json,
// which its authors keep in step with encoding/json/v2): a notification
// frame in about 0.4x the time of encoding/json, with a third of its
// allocations. No other package imports that module: a change of its
// API, or the day encoding/json/v2 leaves the experiment, touches this
// file alone.
//
// The semantics are chosen one by one, each with its test:
//
//   - Keys match fields as encoding/json matches them: exactly, or else
//     ignoring case (but not "_" or "-"). Twitch spells its keys exactly;
//     matching as before keeps what a payload means unchanged, and makes
//     a key given twice in two cases a duplicate.
//   - A key twice in one object, as it matches (exactly, by case, or
//     through an escape), is an error at every depth: what a payload
//     means must not depend on which decoder reads it.
//   - Keys without a field are ignored, as Twitch adds fields; only
//     UnmarshalStrict, for the conformance test, refuses them.
//   - Invalid UTF-8 in a string decodes as U+FFFD, as encoding/json
//     decodes it, so that one odd byte in a chat message drops nothing.
//   - A time.Time (a frame's timestamp) decodes as encoding/json decodes
//     it: RFC 3339, with the deviations time.Time has always taken (a
//     comma before the fraction); helix.Time, every timestamp of a
//     payload, reads "", null and Unix seconds too, by its own method.
//   - Encoding is encoding/json's, byte for byte (nil slices and maps as
//     null, omitempty as it was, HTML characters and U+2028/U+2029
//     escaped, map keys sorted), so that Twitch receives what it always
//     has. The one exception is invalid UTF-8 in a string: it becomes
//     U+FFFD as before, written as the character rather than the \ufffd
//     escape; Twitch reads the same text.
//
// Errors say where: a syntax error by line and column, any other by the
// path of the value that does not fit ("payload.event.user_id"), taken
// from the JSON Pointer that v2's errors carry.
package json

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

var (
	// decodeOptions are the options of Unmarshal; see the package doc.
	decodeOptions = jsonv2.JoinOptions(
		jsonv2.MatchCaseInsensitiveNames(true),
		jsonv1.MatchCaseSensitiveDelimiter(true),
		jsontext.AllowInvalidUTF8(true),
		jsonv1.ParseTimeWithLooseRFC3339(true),
	)
	// strictOptions also refuse keys without a field.
	strictOptions = jsonv2.JoinOptions(decodeOptions, jsonv2.RejectUnknownMembers(true))
	// encodeOptions are encoding/json's own semantics.
	encodeOptions = jsonv1.DefaultOptionsV1()
)

// Unmarshal decodes data into v, which must be a non-nil pointer. Its
// error is an *Error, which says where.
func Unmarshal(data []byte, v any) error {
	if err := jsonv2.Unmarshal(data, v, decodeOptions); err != nil {
		return describe(data, err)
	}
	return nil
}

// UnmarshalStrict is Unmarshal that also refuses a key that no field
// takes. Decoding Twitch's answers must not: Twitch adds fields. The
// conformance test does, to find the fields the schema lacks.
func UnmarshalStrict(data []byte, v any) error {
	if err := jsonv2.Unmarshal(data, v, strictOptions); err != nil {
		return describe(data, err)
	}
	return nil
}

// Marshal encodes v as encoding/json's Marshal does.
func Marshal(v any) ([]byte, error) {
	return jsonv2.Marshal(v, encodeOptions)
}

// MarshalIndent is Marshal with each member and element on a line of its
// own, indented as encoding/json's MarshalIndent does.
func MarshalIndent(v any, prefix, indent string) ([]byte, error) {
	data, err := Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsontext.AppendFormat(nil, data,
		jsontext.AllowDuplicateNames(true),
		jsontext.AllowInvalidUTF8(true),
		jsontext.PreserveRawStrings(true),
		jsontext.Multiline(true),
		jsontext.WithIndentPrefix(prefix),
		jsontext.WithIndent(indent))
}

// Error is a decoding error: what is wrong, and where.
type Error struct {
	// Path is where the value that does not fit is: object keys joined by
	// dots, array indices in brackets ("payload.event.fragments[0].text");
	// for a key twice, the object that has it. Empty for the top level.
	Path string
	// Line and Column are where a syntax error is, from 1, counting bytes;
	// 0 for any other error.
	Line, Column int

	what string // what is wrong
	err  error  // the cause, when there is one of interest
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0:
		return "line " + strconv.Itoa(e.Line) + ", column " + strconv.Itoa(e.Column) + ": " + e.what
	case e.Path != "":
		return e.Path + ": " + e.what
	}
	return e.what
}

// Unwrap returns the cause: the error of a type's own UnmarshalJSON
// method, or io.ErrUnexpectedEOF for a truncated input.
func (e *Error) Unwrap() error { return e.err }

// Within returns err, an error of decoding the value at path of a larger
// document, with its path in that document: Within(err, "payload.event")
// turns "user_id: ..." into "payload.event.user_id: ...". An error that
// is not an *Error gains the path as a prefix.
func Within(err error, path string) error {
	var e *Error
	if !errors.As(err, &e) || e.Line > 0 {
		return &Error{Path: path, what: err.Error(), err: err}
	}
	within := *e
	within.Path = join(path, e.Path)
	return &within
}

// describe turns an error of v2's Unmarshal of data into an *Error.
func describe(data []byte, err error) error {
	switch e := err.(type) {
	case *jsontext.SyntacticError:
		if errors.Is(e.Err, jsontext.ErrDuplicateName) {
			return &Error{
				Path: pathOf(data, e.JSONPointer.Parent()),
				what: "duplicate key " + rawKey(data, e.ByteOffset, e.JSONPointer.LastToken()),
			}
		}
		line, col := position(data, e.ByteOffset)
		what, cause := syntaxText(e.Err)
		return &Error{Line: line, Column: col, what: what, err: cause}
	case *jsonv2.SemanticError:
		// v2 decodes as it reads, so it may find a value that does not
		// fit before a syntax error further on; the syntax error is the
		// one to fix first, as encoding/json, which checks the syntax
		// before it decodes, reports it.
		if serr := syntaxError(data); serr != nil {
			return describe(data, serr)
		}
		var inner *Error
		switch {
		case errors.As(e.Err, &inner) && inner.Line == 0:
			// A type's UnmarshalJSON that decodes with Unmarshal (the
			// generated decoders of fields with aliases): its path
			// continues the outer one.
			return Within(inner, pathOf(data, e.JSONPointer))
		case errors.Is(e.Err, jsonv2.ErrUnknownName):
			return &Error{
				Path: pathOf(data, e.JSONPointer.Parent()),
				what: "unknown key " + strconv.Quote(e.JSONPointer.LastToken()),
			}
		}
		return &Error{Path: pathOf(data, e.JSONPointer), what: semanticText(e), err: e.Err}
	}
	return err
}

// syntaxError returns the first syntax error of data, if any.
func syntaxError(data []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(data),
		jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if _, err := dec.ReadValue(); err != nil {
		return err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return err
	}
	return nil
}

// syntaxText says what a syntax error is, in encoding/json's words where
// v2's differ: a truncated input is an "unexpected end of JSON input",
// and an object has keys, not names.
func syntaxText(err error) (string, error) {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of JSON input", io.ErrUnexpectedEOF
	}
	if err == nil {
		return "syntax error", nil
	}
	return strings.ReplaceAll(err.Error(), "object name", "object key"), nil
}

// semanticText says what a value that does not fit is: its JSON kind,
// the Go type it does not fit, and why, without the value itself (it may
// be anything, a secret included).
func semanticText(e *jsonv2.SemanticError) string {
	var b strings.Builder
	b.WriteString("cannot decode")
	switch e.JSONKind {
	case 'n':
		b.WriteString(" JSON null")
	case 'f', 't':
		b.WriteString(" JSON boolean")
	case '"':
		b.WriteString(" JSON string")
	case '0':
		b.WriteString(" JSON number")
	case '{', '}':
		b.WriteString(" JSON object")
	case '[', ']':
		b.WriteString(" JSON array")
	}
	if e.GoType != nil {
		b.WriteString(" into Go " + e.GoType.String())
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// position turns a byte offset into data into the 1-based line and column
// of that byte; the end of the input is its last byte.
func position(data []byte, offset int64) (line, col int) {
	pos := int(min(max(offset, 0), int64(len(data))))
	if pos == len(data) && pos > 0 {
		pos--
	}
	line = bytes.Count(data[:pos], []byte("\n")) + 1
	col = pos - bytes.LastIndexByte(data[:pos], '\n')
	return line, col
}

// rawKey returns the key at offset in data as it is written there,
// quotes and escapes included, or name quoted when it is not there.
func rawKey(data []byte, offset int64, name string) string {
	if offset >= 0 && offset < int64(len(data)) && data[offset] == '"' {
		rest := data[offset+1:]
		for i := 0; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				return string(data[offset : offset+int64(i)+2])
			}
		}
	}
	return strconv.Quote(name)
}

// pathOf renders ptr, a JSON Pointer into data, as the module's errors
// write paths: object keys joined by dots, array indices in brackets.
// Whether a token is an index or a key is read from data itself (a key
// may be a number, as in a map of panels "1", "2"); past the point where
// data cannot be followed, a number is taken for an index.
func pathOf(data []byte, ptr jsontext.Pointer) string {
	if ptr == "" {
		return ""
	}
	dec := jsontext.NewDecoder(bytes.NewReader(data),
		jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	following := true
	var b strings.Builder
	for tok := range ptr.Tokens() {
		var kind jsontext.Kind
		if following {
			kind, following = descend(dec, tok)
		}
		if kind == '[' || (kind == 0 && isIndex(tok)) {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// descend moves dec from the start of an object or array to the start of
// its member or element tok, and returns which of the two it was.
func descend(dec *jsontext.Decoder, tok string) (jsontext.Kind, bool) {
	switch kind := dec.PeekKind(); kind {
	case '[':
		n, err := strconv.Atoi(tok)
		if err != nil {
			return kind, false
		}
		if _, err := dec.ReadToken(); err != nil {
			return kind, false
		}
		for range n {
			if dec.SkipValue() != nil {
				return kind, false
			}
		}
		return kind, true
	case '{':
		if _, err := dec.ReadToken(); err != nil {
			return kind, false
		}
		for dec.PeekKind() == '"' {
			name, err := dec.ReadToken()
			if err != nil {
				return kind, false
			}
			if name.String() == tok {
				return kind, true
			}
			if dec.SkipValue() != nil {
				return kind, false
			}
		}
		return kind, false
	}
	return 0, false
}

func isIndex(tok string) bool {
	if tok == "" {
		return false
	}
	for _, c := range tok {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// join appends the path below to path: "a" and "b" give "a.b"; "a" and
// "[1]" give "a[1]".
func join(path, below string) string {
	switch {
	case path == "":
		return below
	case below == "":
		return path
	case strings.HasPrefix(below, "["):
		return path + below
	}
	return path + "." + below
}
