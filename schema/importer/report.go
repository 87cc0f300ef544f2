package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// describeFile lists, a line each, what differs between the old and new
// content of a schema file (either may be nil): the subscription types,
// operations, fields, parameters and scopes added, removed or changed.
func describeFile(p string, old, new []byte) []string {
	what := map[bool]string{true: "added", false: "removed"}
	if old == nil || new == nil {
		tree := parseOrdered(old)
		if new != nil {
			tree = parseOrdered(new)
		}
		return []string{fmt.Sprintf("%s %s", summarize(p, tree), what[new != nil])}
	}
	var lines []string
	diffValues(&lines, "", parseOrdered(old), parseOrdered(new))
	return lines
}

func parseOrdered(data []byte) any {
	if data == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return nil
	}
	return v
}

// summarize names what a whole file holds.
func summarize(p string, tree any) string {
	o, _ := tree.(*object)
	switch {
	case p == "scopes.json":
		return "the list of scopes"
	case strings.HasPrefix(p, "eventsub/") && o != nil:
		return fmt.Sprintf("subscription type %s version %s", o.vals["type"], o.vals["version"])
	case strings.HasPrefix(p, "helix/") && o != nil:
		var names []string
		if ops, ok := o.vals["operations"].([]any); ok {
			for _, op := range ops {
				if oo, ok := op.(*object); ok {
					names = append(names, fmt.Sprint(oo.vals["name"]))
				}
			}
		}
		return fmt.Sprintf("group %s with operations %s", strings.TrimSuffix(strings.TrimPrefix(p, "helix/"), ".json"), strings.Join(names, ", "))
	}
	return p
}

// diffValues appends a line for each difference between a and b at path.
// Arrays of objects with a "name" (fields, operations, scopes) are matched
// by name, so a line says which field or operation changed.
func diffValues(lines *[]string, path string, a, b any) {
	ao, aObj := a.(*object)
	bo, bObj := b.(*object)
	if aObj && bObj {
		for _, k := range ao.keys {
			if _, ok := bo.vals[k]; !ok {
				*lines = append(*lines, fmt.Sprintf("%s: removed (was %s)", join(path, k), compactJSON(ao.vals[k])))
				continue
			}
			diffValues(lines, join(path, k), ao.vals[k], bo.vals[k])
		}
		for _, k := range bo.keys {
			if _, ok := ao.vals[k]; !ok {
				*lines = append(*lines, fmt.Sprintf("%s: added %s", join(path, k), compactJSON(bo.vals[k])))
			}
		}
		return
	}
	aa, aArr := a.([]any)
	ba, bArr := b.([]any)
	if aArr && bArr && named(aa) && named(ba) {
		byName := func(items []any) ([]string, map[string]any) {
			var order []string
			m := map[string]any{}
			for _, item := range items {
				n := fmt.Sprint(item.(*object).vals["name"])
				order = append(order, n)
				m[n] = item
			}
			return order, m
		}
		aOrder, am := byName(aa)
		bOrder, bm := byName(ba)
		for _, n := range aOrder {
			if _, ok := bm[n]; !ok {
				*lines = append(*lines, fmt.Sprintf("%s: removed", join(path, n)))
				continue
			}
			diffValues(lines, join(path, n), am[n], bm[n])
		}
		for _, n := range bOrder {
			if _, ok := am[n]; !ok {
				*lines = append(*lines, fmt.Sprintf("%s: added %s", join(path, n), summarizeItem(bm[n])))
			}
		}
		return
	}
	if compactJSON(a) != compactJSON(b) {
		*lines = append(*lines, fmt.Sprintf("%s: %s -> %s", path, compactJSON(a), compactJSON(b)))
	}
}

// named reports whether every item is an object with a name.
func named(items []any) bool {
	for _, item := range items {
		o, ok := item.(*object)
		if !ok {
			return false
		}
		if _, ok := o.vals["name"]; !ok {
			return false
		}
	}
	return len(items) > 0
}

// summarizeItem is a short form of an added field or operation.
func summarizeItem(v any) string {
	o := v.(*object)
	if t, ok := o.vals["type"]; ok {
		return fmt.Sprintf("(%v)", t)
	}
	if m, ok := o.vals["method"]; ok {
		return fmt.Sprintf("(%v %v)", m, o.vals["path"])
	}
	return ""
}

// join extends a report path, leaving out the words that only structure
// the file ("fields", "operations", "scopes").
func join(path, key string) string {
	switch key {
	case "fields", "operations", "scopes":
		return path
	}
	if path == "" {
		return key
	}
	return path + "." + key
}
