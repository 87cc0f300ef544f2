// Package importer reads Twitch's reference pages and writes the schema
// files from them: scopes.json, eventsub/<type>.v<version>.json and
// helix/<group>.json. It copies facts only (names, types, versions, scopes,
// nesting), never prose.
//
// Where the pages are wrong or vague, the fix lives in schema/curated as a
// Curation, which every import applies again, so a re-import keeps it. The
// shared named objects (schema/eventsub/objects, schema/helix/objects) are
// written by hand and never touched.
//
// Import only computes; Compare says what would change, and Write writes,
// after the new schema has loaded without a problem.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/twitchify-go/twitch/gen"
	"github.com/twitchify-go/twitch/schema"
	"github.com/twitchify-go/twitch/schema/format"
)

// The reference pages, by the file names of their saved copies.
const (
	PageSubscriptionTypes = "eventsub-subscription-types.html"
	PageEventSubReference = "eventsub-reference.html"
	PageAPIReference      = "reference.html"
	PageScopes            = "scopes.html"
)

// LiveURLs are where Twitch publishes the pages.
var LiveURLs = map[string]string{
	PageSubscriptionTypes: subscriptionTypesURL,
	PageEventSubReference: "https://dev.twitch.tv/docs/eventsub/eventsub-reference/",
	PageAPIReference:      referenceURL,
	PageScopes:            scopesURL,
}

// Source gives the pages.
type Source interface {
	Page(ctx context.Context, name string) ([]byte, error)
}

// Dir reads saved copies of the pages from a folder, under the names of
// the Page constants.
func Dir(dir string) Source { return dirSource(dir) }

type dirSource string

func (d dirSource) Page(_ context.Context, name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(string(d), name))
}

// Live fetches the pages from urls (LiveURLs, or a fake in tests) with client.
func Live(client *http.Client, urls map[string]string) Source {
	return &liveSource{client: client, urls: urls}
}

type liveSource struct {
	client *http.Client
	urls   map[string]string
}

func (l *liveSource) Page(ctx context.Context, name string) ([]byte, error) {
	u, ok := l.urls[name]
	if !ok {
		return nil, fmt.Errorf("no URL for page %s", name)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 64<<20))
}

// Example is one code block of a reference page: a notification payload, a
// subscription request, a Helix request or response. Its text may not be
// valid JSON; the conformance test lists those.
type Example struct {
	Page    string // "eventsub-subscription-types.html"
	Section string // the anchor of the subscription type or operation
	Heading string // the heading the example is under
	JSON    []byte

	Type, Version string // EventSub: the subscription type and version
	Operation     string // Helix: the operation's Go name, after curation
	// Wrong is why the curation says the example is wrong; empty for the
	// examples that are right.
	Wrong string
	// WrongKeys are the members the curation says are wrong (paths of
	// member names from the example's top, array items left out:
	// "event.sub.sub_plan"); the rest of the example is right. When Wrong
	// is set and WrongKeys is empty, the whole example is wrong.
	WrongKeys []string

	operation *format.Operation
}

// Result is what an import produces.
type Result struct {
	// Files are the schema files, by path in the schema folder.
	Files    map[string][]byte
	Examples []Example
	// TableFields are the fields the reference's tables give each
	// subscription type and version ("<type> <version>") before curation,
	// as paths of names: "condition.broadcaster_user_id",
	// "event.message.text".
	TableFields map[string][]string
}

// Import reads the pages from src and returns the schema files they give
// after curation. Every problem with the pages or the curation is
// returned, at once; then there is no Result.
func Import(ctx context.Context, src Source, cur *Curation) (*Result, error) {
	pages := map[string]*page{}
	var errs []error
	for _, name := range []string{PageScopes, PageSubscriptionTypes, PageEventSubReference, PageAPIReference} {
		data, err := src.Page(ctx, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		p, err := parsePage(name, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.moved = map[string]string{}
		p.unread = map[*format.Field]string{}
		if cur != nil {
			for k, a := range cur.Anchors {
				if pageName, anchor, _ := strings.Cut(k, "#"); pageName == name {
					p.moved[anchor] = a.Use
				}
			}
		}
		pages[name] = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	scopes, scopeErrs := parseScopes(pages[PageScopes])
	if len(scopeErrs) > 0 {
		return nil, errors.Join(scopeErrs...)
	}
	known := map[string]bool{}
	for _, s := range scopes.Scopes {
		known[s.Name] = true
	}
	subs, subExamples, subErrs := parseEventSub(pages[PageSubscriptionTypes], pages[PageEventSubReference], known)
	groups, opExamples, opErrs := parseHelix(pages[PageAPIReference], known)
	errs = append(subErrs, opErrs...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	tableFields := map[string][]string{}
	for _, s := range subs {
		var paths []string
		fieldPaths(&paths, "condition", s.Condition.Fields)
		fieldPaths(&paths, "event", s.Event.Fields)
		tableFields[s.Type+" "+s.Version] = paths
	}
	nameDataItems(groups)
	// The fields whose type a page does not give, until a curation sets it.
	unread := map[*format.Field]string{}
	for _, p := range pages {
		maps.Copy(unread, p.unread)
	}
	if cur != nil {
		if errs := cur.apply(subs, groups, scopes, unread); len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
	}
	problems := func(parts ...[]*format.Field) {
		for _, fields := range parts {
			walkAll(fields, func(f *format.Field) {
				if problem, ok := unread[f]; ok {
					errs = append(errs, errors.New(problem))
				}
			})
		}
	}
	for _, s := range subs {
		problems(s.Condition.Fields, s.Event.Fields)
	}
	for _, g := range groups {
		for _, op := range g.Operations {
			if op.Method == "" {
				errs = append(errs, pages[PageAPIReference].errorf(anchorOf(op), "the URL gives no HTTP method, and no curation sets one"))
			}
			problems(op.Query)
			if op.Body != nil {
				problems(op.Body.Fields)
			}
			if op.Response != nil {
				problems(op.Response.Fields)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	res := &Result{Files: map[string][]byte{}, TableFields: tableFields}
	add := func(p string, v any) {
		data, err := encodeFile(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			return
		}
		if _, dup := res.Files[p]; dup {
			errs = append(errs, fmt.Errorf("%s: two imported types or groups write this file", p))
		}
		res.Files[p] = data
	}
	add("scopes.json", scopes)
	for _, s := range subs {
		add(s.Path(), s)
	}
	for _, g := range groups {
		add(g.Path(), g)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	for _, e := range opExamples {
		e.Operation = e.operation.Name
		res.Examples = append(res.Examples, e)
	}
	res.Examples = append(subExamples, res.Examples...)
	if cur != nil {
		used := map[string]bool{}
		for i, e := range res.Examples {
			key := e.Page + "#" + e.Section + " " + e.Heading
			if fix, ok := cur.Examples[key]; ok {
				res.Examples[i].Wrong, res.Examples[i].WrongKeys, used[key] = fix.Note, fix.Keys, true
			}
		}
		for _, key := range sortedKeys(cur.Examples) {
			if !used[key] {
				errs = append(errs, fmt.Errorf("%s: examples[%q]: the pages have no such example", cur.files["example "+key], key))
			}
		}
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
	}
	return res, nil
}

// anchorOf is the id of an operation's section in the API reference,
// "get-users".
func anchorOf(op *format.Operation) string {
	return strings.TrimPrefix(op.DocURL, referenceURL+"#")
}

// fieldPaths appends the path of each field of fields and their members,
// below prefix.
func fieldPaths(paths *[]string, prefix string, fields []*format.Field) {
	for _, f := range fields {
		p := prefix + "." + f.Name
		*paths = append(*paths, p)
		fieldPaths(paths, p, f.Fields)
	}
}

// walkAll calls f for every field of fields and their members.
func walkAll(fields []*format.Field, f func(*format.Field)) {
	for _, x := range fields {
		f(x)
		walkAll(x.Fields, f)
	}
}

// nameDataItems names the inline items of a Get operation's data after the
// operation: Get Users' items are User. A name two operations would take
// goes to neither; curation can pick another.
func nameDataItems(groups []*format.Group) {
	taken := map[string][]*format.Field{}
	for _, g := range groups {
		for _, op := range g.Operations {
			if op.Response == nil || !strings.HasPrefix(op.Name, "Get") {
				continue
			}
			for _, f := range op.Response.Fields {
				if f.Name == "data" && f.Type == "[]object" && f.TypeName == "" {
					if name := singular(strings.TrimPrefix(op.Name, "Get")); name != "" {
						taken[name] = append(taken[name], f)
					}
				}
			}
		}
	}
	for name, fields := range taken {
		if len(fields) == 1 {
			fields[0].TypeName = name
		}
	}
}

// singular is the singular of a Go name's last word, or "" when it does
// not end in a plural the rule knows.
func singular(s string) string {
	switch {
	case strings.HasSuffix(s, "ies"):
		return strings.TrimSuffix(s, "ies") + "y"
	case strings.HasSuffix(s, "sses"), strings.HasSuffix(s, "Status"), strings.HasSuffix(s, "Settings"):
		return ""
	case strings.HasSuffix(s, "IDs"), strings.HasSuffix(s, "VIPs"):
		return strings.TrimSuffix(s, "s")
	case strings.HasSuffix(s, "s") && !strings.HasSuffix(s, "ss"):
		return strings.TrimSuffix(s, "s")
	}
	return ""
}

// owned reports whether the importer writes the schema file p (a path in
// the schema folder): everything but the hand-written objects and the
// curation.
func owned(p string) bool {
	dir := path.Dir(p)
	return p == "scopes.json" || (dir == "eventsub" || dir == "helix") && path.Ext(p) == ".json"
}

// Change is one schema file that an import changes.
type Change struct {
	Path    string
	Kind    gen.ChangeKind
	Details []string // what changed inside the file, one line each
}

// Compare says how files differ from the schema in fsys: the files to
// create, update and delete, and for each what changed inside it.
func Compare(fsys fs.FS, files map[string][]byte) ([]Change, error) {
	var changes []Change
	for _, p := range sortedKeys(files) {
		old, err := fs.ReadFile(fsys, p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			changes = append(changes, Change{Path: p, Kind: gen.Create, Details: describeFile(p, nil, files[p])})
		case err != nil:
			return nil, err
		case string(old) != string(files[p]):
			changes = append(changes, Change{Path: p, Kind: gen.Update, Details: describeFile(p, old, files[p])})
		}
	}
	var existing []string
	for _, dir := range []string{".", "eventsub", "helix"} {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, e := range entries {
			if p := path.Join(dir, e.Name()); !e.IsDir() && owned(p) {
				existing = append(existing, p)
			}
		}
	}
	sort.Strings(existing)
	for _, p := range existing {
		if _, ok := files[p]; !ok {
			old, err := fs.ReadFile(fsys, p)
			if err != nil {
				return nil, err
			}
			changes = append(changes, Change{Path: p, Kind: gen.Delete, Details: describeFile(p, old, nil)})
		}
	}
	slices.SortFunc(changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return changes, nil
}

// Check loads the schema that writing files into the schema in fsys would
// give, and returns its problems.
func Check(fsys fs.FS, display string, files map[string][]byte) error {
	all := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || owned(p) || path.Ext(p) != ".json" {
			return err
		}
		all[p], err = fs.ReadFile(fsys, p)
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	maps.Copy(all, files)
	_, err = schema.LoadFiles(all, display)
	return err
}

// Write applies changes to the schema folder dir through fsys: it writes
// created and updated files atomically and removes deleted ones.
func Write(fsys gen.FS, changes []Change, files map[string][]byte) error {
	for _, c := range changes {
		var err error
		if c.Kind == gen.Delete {
			err = fsys.Remove(c.Path)
		} else {
			err = fsys.WriteFile(c.Path, files[c.Path])
		}
		if err != nil {
			return fmt.Errorf("%s %s: %w", c.Kind, c.Path, err)
		}
	}
	return nil
}
