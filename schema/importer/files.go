package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The structs below are the schema's file format (schema/README.md) as Go
// values, in the key order the files are written in. The importer fills
// them from the pages, curation edits them, and format writes them.

// ScopesFile is scopes.json.
type ScopesFile struct {
	Scopes []Scope `json:"scopes"`
}

// Scope is one entry of scopes.json.
type Scope struct {
	Name        string `json:"name"`
	GoName      string `json:"go_name,omitempty"`
	Description string `json:"description,omitempty"`
}

// SubscriptionFile is eventsub/<type>.v<version>.json.
type SubscriptionFile struct {
	Type        string   `json:"type"`
	Version     string   `json:"version"`
	Status      string   `json:"status"`
	GoName      string   `json:"go_name,omitempty"`
	DocURL      string   `json:"doc_url"`
	Description string   `json:"description,omitempty"`
	Note        string   `json:"note,omitempty"`
	Auth        []Auth   `json:"auth"`
	Transports  []string `json:"transports"`
	Payload     string   `json:"payload,omitempty"`
	Condition   Part     `json:"condition"`
	Event       Part     `json:"event"`
}

// Path is where the file goes, relative to the schema folder.
func (s *SubscriptionFile) Path() string {
	if s.Version == "beta" {
		return "eventsub/" + s.Type + ".beta.json"
	}
	return "eventsub/" + s.Type + ".v" + s.Version + ".json"
}

// Part is a condition, an event, a body or a response: a list of fields,
// or for a response that is not JSON, its content type.
type Part struct {
	Description string   `json:"description,omitempty"`
	ContentType string   `json:"content_type,omitempty"`
	Fields      []*Field `json:"fields,omitempty"`
}

// Auth is one way to be allowed to subscribe or call.
type Auth struct {
	TokenType   string     `json:"token_type"`
	Scopes      [][]string `json:"scopes,omitempty"`
	Description string     `json:"description,omitempty"`
}

// Field is one field, parameter or member.
type Field struct {
	Name        string      `json:"name"`
	Type        string      `json:"type"`
	Optional    bool        `json:"optional,omitempty"`
	Nullable    bool        `json:"nullable,omitempty"`
	GoName      string      `json:"go_name,omitempty"`
	TypeName    string      `json:"type_name,omitempty"`
	Max         int         `json:"max,omitempty"`
	Description string      `json:"description,omitempty"`
	Note        string      `json:"note,omitempty"`
	Enum        []EnumValue `json:"enum,omitempty"`
	Fields      []*Field    `json:"fields,omitempty"`

	problem string // what the import could not read, until a curation sets the type
}

// EnumValue is one known value; it is written as a plain string unless it
// has more than a value.
type EnumValue struct {
	Value       string `json:"value"`
	GoName      string `json:"go_name,omitempty"`
	Description string `json:"description,omitempty"`
}

// MarshalJSON writes a bare value as a string.
func (v EnumValue) MarshalJSON() ([]byte, error) {
	if v.GoName == "" && v.Description == "" {
		return json.Marshal(v.Value)
	}
	type plain EnumValue
	return json.Marshal(plain(v))
}

// UnmarshalJSON reads a string or an object.
func (v *EnumValue) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		*v = EnumValue{}
		return json.Unmarshal(data, &v.Value)
	}
	type plain EnumValue
	return json.Unmarshal(data, (*plain)(v))
}

// ParamGroup is a rule over several parameters of an operation.
type ParamGroup struct {
	Params      []string `json:"params"`
	Rule        string   `json:"rule,omitempty"`
	MaxTotal    int      `json:"max_total,omitempty"`
	Description string   `json:"description,omitempty"`
	Note        string   `json:"note,omitempty"`
}

// GroupFile is helix/<group>.json.
type GroupFile struct {
	Name        string       `json:"-"` // the file name without .json
	Description string       `json:"description,omitempty"`
	Operations  []*Operation `json:"operations"`
}

// Path is where the file goes, relative to the schema folder.
func (g *GroupFile) Path() string { return "helix/" + g.Name + ".json" }

// Operation is one Helix endpoint.
type Operation struct {
	Name        string   `json:"name"`
	Method      string   `json:"method"`
	Path        string   `json:"path"`
	DocURL      string   `json:"doc_url"`
	Description string   `json:"description,omitempty"`
	Note        string   `json:"note,omitempty"`
	Auth        []Auth   `json:"auth"`
	Query       []*Field `json:"query,omitempty"`
	Body        *Part    `json:"body,omitempty"`
	// ParamGroups come from curation only: the reference says them in prose.
	ParamGroups []*ParamGroup `json:"param_groups,omitempty"`
	Response    *Part         `json:"response,omitempty"`
	Success     int           `json:"success"`

	anchor string // the operation's id in the reference, "get-users"
}

// format writes v as the schema files are written: two-space indents, and
// any array or object that fits in lineWidth on one line.
func format(v any) ([]byte, error) {
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
