package importer

import (
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/twitchify-go/twitch/schema/format"
)

// This file turns the field tables of the reference pages into fields. The
// pages show nesting by indenting a member's name under its parent's row,
// by a type that links to an object table elsewhere on the page, or by a
// paragraph "<name> Object" followed by a table. What Go needs and a table
// does not say (a timestamp, an enum, optional or null) is read from the
// structure of the description: list items after "Possible values", a
// leading "Optional", the word "null". Curation fixes what this gets wrong.

// fieldContext is where a table's rows resolve links.
type fieldContext struct {
	page    *page
	section string     // for errors
	table   *html.Node // the table being read
	depth   int        // of linked tables, to stop cycles
}

// tableFields reads a table's rows as a tree of fields.
func (fc *fieldContext) tableFields(t *table) ([]*format.Field, error) {
	fc.table = t.node
	nameCol := t.column("name", "field", "fields", "parameter", "param")
	typeCol := t.column("type")
	if nameCol < 0 || typeCol < 0 {
		return nil, fc.page.errorf(fc.section, "a field table needs Name and Type columns, found %q", t.headers)
	}
	reqCol := t.column("required")
	descCol := t.column("description")

	type pending struct {
		field  *format.Field
		indent int
		cell   *cell // the type cell
		desc   *cell
		row    int
	}
	var rows []pending
	for i, row := range t.rows {
		if len(row) <= max(nameCol, typeCol) {
			return nil, fc.page.errorf(fc.section, "row %d of a field table has %d cells", i+1, len(row))
		}
		name := strings.TrimSpace(strings.Trim(row[nameCol].text, "\u00a0"))
		if !fieldName.MatchString(name) {
			return nil, fc.page.errorf(fc.section, "row %d: %q is not a field name", i+1, name)
		}
		f := &format.Field{Name: name}
		var desc *cell
		if descCol >= 0 && descCol < len(row) {
			desc = row[descCol]
		}
		if reqCol >= 0 && reqCol < len(row) {
			f.Optional = !strings.HasPrefix(strings.ToLower(row[reqCol].text), "yes")
		}
		rows = append(rows, pending{field: f, indent: row[nameCol].indent, cell: row[typeCol], desc: desc, row: i + 1})
	}

	// Build the tree from the indentation, then give each node its type.
	type node struct {
		p        pending
		children []*node
	}
	root := &node{}
	stack := []*node{root}
	levels := []int{-1}
	for _, r := range rows {
		for len(stack) > 1 && r.indent <= levels[len(levels)-1] {
			stack, levels = stack[:len(stack)-1], levels[:len(levels)-1]
		}
		n := &node{p: r}
		parent := stack[len(stack)-1]
		parent.children = append(parent.children, n)
		stack, levels = append(stack, n), append(levels, r.indent)
	}
	var build func(ns []*node) ([]*format.Field, error)
	build = func(ns []*node) ([]*format.Field, error) {
		var out []*format.Field
		seen := map[string]bool{}
		for _, n := range ns {
			children, err := build(n.children)
			if err != nil {
				return nil, err
			}
			f := n.p.field
			if seen[f.Name] {
				// The reference repeats a row now and then; keep the first.
				continue
			}
			seen[f.Name] = true
			if err := fc.typeField(f, n.p.cell, n.p.desc, children, n.p.row); err != nil {
				return nil, err
			}
			out = append(out, f)
			if len(children) > 0 && f.Fields == nil {
				// Rows indented under a row that is not an object are
				// the page's indentation slip: they are its siblings.
				for _, c := range children {
					if !seen[c.Name] {
						seen[c.Name] = true
						out = append(out, c)
					}
				}
			}
		}
		return out, nil
	}
	return build(root.children)
}

var (
	fieldName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
	optionalPrefix = regexp.MustCompile(`(?i)^\s*optional\b`)
	nullWord       = regexp.MustCompile(`\bnull\b`)
	timestampWords = regexp.MustCompile(`(?i)RFC\s?3339|ISO\s?8601|\btimestamp\b|\bUTC date\b|date and time`)
	possibleValues = regexp.MustCompile(`(?i)\bpossible\b|valid values|can be one of|one of the following|values are`)
	arrayWords     = regexp.MustCompile(`(?i)^\s*(optional\.?\s*)?(an array|array of|a list|list of|the list|an ordered list)\b`)
	enumValue      = regexp.MustCompile(`^[A-Za-z0-9_:.\-]+$`)
)

// typeField sets the type of f from its type cell, description and nested
// rows, following links to object tables.
func (fc *fieldContext) typeField(f *format.Field, typeCell, desc *cell, children []*format.Field, row int) error {
	raw := strings.ToLower(strings.TrimSpace(typeCell.text))
	descText := ""
	if desc != nil {
		descText = desc.text
	}
	if optionalPrefix.MatchString(descText) {
		f.Optional = true
	}
	if nullWord.MatchString(descText) || strings.Contains(raw, "or null") {
		f.Nullable = true
	}
	raw = strings.TrimSpace(strings.Replace(raw, "(or null)", "", 1))

	array := strings.HasSuffix(raw, "[]") || strings.HasPrefix(raw, "[]")
	base := strings.TrimSuffix(strings.TrimPrefix(raw, "[]"), "[]")
	switch base {
	case "string":
		f.Type = "string"
		if !array && (strings.HasSuffix(f.Name, "_at") || timestampWords.MatchString(descText)) {
			f.Type = "timestamp"
		}
		if desc != nil && len(desc.items) > 0 && possibleValues.MatchString(descText) {
			f.Enum = enumValues(desc.items)
		}
	case "int", "integer", "int64", "unsigned integer", "number":
		f.Type = "int"
	case "float", "double":
		f.Type = "float"
	case "bool", "boolean":
		f.Type = "bool"
	case "map[string]string", "map[string,string]", "dictionary":
		f.Type = "map[string]string"
		return nil
	case "map[string]object":
		if len(children) == 0 {
			return fc.page.errorf(fc.section, "row %d (%s): map of objects without members", row, f.Name)
		}
		f.Type, f.Fields = "map[string]object", children
		return nil
	case "object", "array":
		if base == "array" {
			array = true
		}
		if len(children) == 0 {
			linked, err := fc.linkedFields(f, typeCell)
			if err != nil {
				return err
			}
			children = linked
		}
		if len(children) == 0 {
			if base == "array" {
				// An array whose item type the table does not give:
				// curation must say what it holds.
				f.Type = "[]json"
				return nil
			}
			f.Type = "json"
			return nil
		}
		f.Type, f.Fields = "object", children
		if arrayWords.MatchString(descText) {
			array = true
		}
	default:
		// A type named after an object: one the rows below define, or a
		// linked object table.
		if len(children) == 0 {
			linked, err := fc.linkedFields(f, typeCell)
			if err != nil {
				return err
			}
			if linked == nil {
				if len(typeCell.links) > 0 {
					// An object documented on another page (transport).
					f.Type = "json"
					return nil
				}
				// The table names a type it does not define: import a
				// placeholder that only a curation may leave standing.
				f.Type = "json"
				fc.page.unread[f] = fc.page.errorf(fc.section, "row %d (%s): type %q is defined nowhere on the page; curate the field's type", row, f.Name, typeCell.text).Error()
				return nil
			}
			children = linked
			if arrayWords.MatchString(descText) {
				array = true
			}
		}
		f.Type, f.Fields = "object", children
	}
	if array {
		f.Type = "[]" + f.Type
	}
	return nil
}

// linkedFields finds the members of an object row that has no nested rows:
// a table its type cell links to, or a "<name> Object" paragraph and table
// that follow the field's own table. It returns nil when there is neither.
func (fc *fieldContext) linkedFields(f *format.Field, typeCell *cell) ([]*format.Field, error) {
	if fc.depth > 5 {
		return nil, fc.page.errorf(fc.section, "object tables link to each other too deeply at %s", f.Name)
	}
	for _, href := range typeCell.links {
		id, ok := strings.CutPrefix(href, "#")
		if !ok {
			continue
		}
		heading := fc.page.heading(id)
		if heading == nil {
			return nil, fc.page.errorf(fc.section, "field %s links to #%s, which is not on the page", f.Name, id)
		}
		t := tableAfter(heading)
		if t == nil {
			return nil, fc.page.errorf(id, "expected a table after the heading")
		}
		sub := &fieldContext{page: fc.page, section: id, depth: fc.depth + 1}
		return sub.tableFields(parseTable(t))
	}
	if t := objectTableAfter(fc.table, f.Name); t != nil {
		sub := &fieldContext{page: fc.page, section: fc.section, depth: fc.depth + 1}
		return sub.tableFields(parseTable(t))
	}
	return nil, nil
}

// tableAfter returns the first table after the heading n and before the
// next heading, or nil.
func tableAfter(n *html.Node) *html.Node {
	for c := nextElement(n); c != nil; c = nextElement(c) {
		if isHeading(c) {
			return nil
		}
		if c.DataAtom == atom.Table {
			return c
		}
		if t := find(c, atom.Table); t != nil {
			return t
		}
	}
	return nil
}

// objectTableAfter finds, after the table t and before the next heading, a
// paragraph "<name> Object" followed by a table: how the reference gives the
// members of drop.entitlement.grant's data.
func objectTableAfter(t *html.Node, name string) *html.Node {
	for c := nextElement(t); c != nil; c = nextElement(c) {
		if isHeading(c) {
			return nil
		}
		if c.DataAtom == atom.Table {
			continue
		}
		if strings.EqualFold(text(c), name+" Object") {
			for d := nextElement(c); d != nil; d = nextElement(d) {
				if d.DataAtom == atom.Table {
					return d
				}
				if isHeading(d) {
					return nil
				}
			}
		}
	}
	return nil
}

// enumValues reads list items as enum values: the first word of each, when
// every item starts with something that can be a value.
func enumValues(items []string) []format.EnumValue {
	var out []format.EnumValue
	seen := map[string]bool{}
	for _, item := range items {
		// A value, then perhaps an explanation after a dash or a colon;
		// a list of sentences (error messages, say) is no enum.
		v := item
		for _, sep := range []string{" — ", " – ", " - ", ": ", " (", "\u00a0"} {
			if before, _, ok := strings.Cut(v, sep); ok {
				v = before
			}
		}
		v = strings.Trim(strings.TrimSpace(v), "\"'`,.")
		if item == `""` || strings.HasPrefix(item, `"" `) {
			v = ""
		} else if !enumValue.MatchString(v) {
			return nil
		}
		if seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, format.EnumValue{Value: v})
	}
	for i := range out {
		if out[i].Value == "" {
			out[i].GoName = "None"
		}
	}
	return out
}

// atoiPrefix reads the number at the start of s ("200 OK" -> 200).
func atoiPrefix(s string) (int, bool) {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[:end])
	return n, err == nil
}
