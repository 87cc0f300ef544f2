package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// encodeFile writes v, a file of package format, as the schema files are written: two-space indents, and
// any array or object that fits in lineWidth on one line.
func encodeFile(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tree, err := decodeOrdered(dec)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeValue(&b, tree, "")
	b.WriteByte('\n')
	return b.Bytes(), nil
}

const lineWidth = 110

// object is a JSON object that keeps its keys in order (the order of the
// struct fields it was marshalled from).
type object struct {
	keys []string
	vals map[string]any
}

func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &object{vals: map[string]any{}}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			o.keys = append(o.keys, k.(string))
			o.vals[k.(string)] = v
		}
		_, err := dec.Token()
		return o, err
	case json.Delim('['):
		items := []any{}
		for dec.More() {
			v, err := decodeOrdered(dec)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		_, err := dec.Token()
		return items, err
	}
	return tok, nil
}

func writeValue(b *bytes.Buffer, v any, indent string) {
	if compact := compactJSON(v); len(indent)+len(compact) <= lineWidth {
		b.WriteString(compact)
		return
	}
	inner := indent + "  "
	switch t := v.(type) {
	case *object:
		b.WriteString("{\n")
		for i, k := range t.keys {
			if i > 0 {
				b.WriteString(",\n")
			}
			b.WriteString(inner + quote(k) + ": ")
			writeValue(b, t.vals[k], inner)
		}
		b.WriteString("\n" + indent + "}")
	case []any:
		b.WriteString("[\n")
		for i, item := range t {
			if i > 0 {
				b.WriteString(",\n")
			}
			b.WriteString(inner)
			writeValue(b, item, inner)
		}
		b.WriteString("\n" + indent + "]")
	default:
		b.WriteString(compactJSON(v))
	}
}

func compactJSON(v any) string {
	switch t := v.(type) {
	case *object:
		parts := make([]string, len(t.keys))
		for i, k := range t.keys {
			parts[i] = quote(k) + ": " + compactJSON(t.vals[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(t))
		for i, item := range t {
			parts[i] = compactJSON(item)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		return quote(t)
	case json.Number:
		return t.String()
	case bool:
		return fmt.Sprint(t)
	}
	return "null"
}

// quote writes a JSON string as encoding/json does, but leaves <, > and &
// readable.
func quote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
