// Package format is the schema's file format as Go values: the one
// description of which keys each kind of schema file (schema/README.md) may
// hold, and of what JSON kind each key is.
//
// Both sides of the format use it. Package schema's loader reads files
// through its own precise reader (every problem reported with its file and
// JSON path), and refuses any key these types do not declare; a test checks
// that the loader reads every key they declare. Package importer fills
// these values from Twitch's reference pages and writes the files from
// them, in the order of the struct fields.
package format

import "encoding/json"

// Scopes is scopes.json.
type Scopes struct {
	Scopes []Scope `json:"scopes"`
}

// Scope is one entry of scopes.json.
type Scope struct {
	Name        string `json:"name"`
	GoName      string `json:"go_name,omitempty"`
	Description string `json:"description,omitempty"`
}

// Subscription is eventsub/<type>.v<version>.json: one subscription type
// in one version.
type Subscription struct {
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
func (s *Subscription) Path() string {
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
	Fill        string      `json:"fill,omitempty"` // condition fields only
	GoName      string      `json:"go_name,omitempty"`
	TypeName    string      `json:"type_name,omitempty"`
	Aliases     []string    `json:"aliases,omitempty"`
	Max         int         `json:"max,omitempty"`
	Description string      `json:"description,omitempty"`
	Note        string      `json:"note,omitempty"`
	Enum        []EnumValue `json:"enum,omitempty"`
	Fields      []*Field    `json:"fields,omitempty"`
}

// EnumValue is one known value of an enum; it is written as a plain string
// unless it has more than a value.
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

// Group is helix/<group>.json: one Helix resource group.
type Group struct {
	Name        string       `json:"-"` // the file name without .json
	Description string       `json:"description,omitempty"`
	Operations  []*Operation `json:"operations"`
	Objects     []*Object    `json:"objects,omitempty"`
	Enums       []*Enum      `json:"enums,omitempty"`
}

// Path is where the file goes, relative to the schema folder.
func (g *Group) Path() string { return "helix/" + g.Name + ".json" }

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
}

// Objects is a file of named types: eventsub/objects/<name>.json or
// helix/objects/<name>.json. A Helix group file may hold them too.
type Objects struct {
	Objects []*Object `json:"objects,omitempty"`
	Enums   []*Enum   `json:"enums,omitempty"`
}

// Object is a named object.
type Object struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Fields      []*Field `json:"fields"`
}

// Enum is a named enum.
type Enum struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Values      []EnumValue `json:"values"`
}
