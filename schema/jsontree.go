package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The loader reads each file into a small tree instead of decoding it into Go
// structs: encoding/json stops at the first problem and reports neither the
// JSON path nor duplicate keys, and the loader must report every problem of
// every file, each with its path.

type kind int

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

type node struct {
	kind    kind
	boolean bool
	number  json.Number
	str     string
	items   []*node  // kindArray
	keys    []string // kindObject, in file order
	members map[string]*node
}

// syntaxError is a JSON syntax problem at a line of the file.
type syntaxError struct {
	line int
	msg  string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// parseTree parses one JSON document. Duplicate keys are an error because the
// second one would silently win.
func parseTree(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	p := &treeParser{dec: dec, data: data}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, p.errorf("unexpected data after the top-level value")
	}
	return n, nil
}

type treeParser struct {
	dec  *json.Decoder
	data []byte
}

func (p *treeParser) line() int {
	off := p.dec.InputOffset()
	if off > int64(len(p.data)) {
		off = int64(len(p.data))
	}
	return bytes.Count(p.data[:off], []byte("\n")) + 1
}

func (p *treeParser) errorf(format string, args ...any) error {
	return &syntaxError{line: p.line(), msg: fmt.Sprintf(format, args...)}
}

func (p *treeParser) wrap(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := bytes.Count(p.data[:min(int(se.Offset), len(p.data))], []byte("\n")) + 1
		return &syntaxError{line: line, msg: se.Error()}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return p.errorf("unexpected end of JSON")
	}
	return p.errorf("%v", err)
}

func (p *treeParser) value() (*node, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, p.wrap(err)
	}
	switch t := tok.(type) {
	case nil:
		return &node{kind: kindNull}, nil
	case bool:
		return &node{kind: kindBool, boolean: t}, nil
	case json.Number:
		return &node{kind: kindNumber, number: t}, nil
	case string:
		return &node{kind: kindString, str: t}, nil
	case json.Delim:
		switch t {
		case '[':
			n := &node{kind: kindArray}
			for p.dec.More() {
				item, err := p.value()
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, item)
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, p.wrap(err)
			}
			return n, nil
		case '{':
			n := &node{kind: kindObject, members: map[string]*node{}}
			for p.dec.More() {
				tok, err := p.dec.Token()
				if err != nil {
					return nil, p.wrap(err)
				}
				key, _ := tok.(string)
				if _, dup := n.members[key]; dup {
					return nil, p.errorf("duplicate key %s", strconv.Quote(key))
				}
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				n.keys = append(n.keys, key)
				n.members[key] = v
			}
			if _, err := p.dec.Token(); err != nil {
				return nil, p.wrap(err)
			}
			return n, nil
		}
	}
	return nil, p.errorf("unexpected token %v", tok)
}
