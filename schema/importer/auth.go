package importer

import (
	"regexp"
	"sort"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/twitchify-go/twitch/schema/format"
)

const scopesURL = "https://dev.twitch.tv/docs/authentication/scopes/"

var scopeName = regexp.MustCompile(`^[a-z0-9_]+(:[a-z0-9_]+)+$`)

// parseScopes reads the scopes page: every scope name in the first column
// of its tables.
func parseScopes(p *page) (*format.Scopes, []error) {
	seen := map[string]bool{}
	file := &format.Scopes{}
	for _, tn := range findAll(p.root, atom.Table) {
		t := parseTable(tn)
		if len(t.headers) == 0 || !strings.Contains(t.headers[0], "scope") {
			continue
		}
		for _, row := range t.rows {
			name := strings.TrimSpace(row[0].text)
			if scopeName.MatchString(name) && !seen[name] {
				seen[name] = true
				file.Scopes = append(file.Scopes, format.Scope{Name: name})
			}
		}
	}
	if len(file.Scopes) == 0 {
		return nil, []error{p.errorf("scopes", "no table of scopes (a first column named Scope Name)")}
	}
	sort.Slice(file.Scopes, func(i, j int) bool { return file.Scopes[i].Name < file.Scopes[j].Name })
	return file, nil
}

var (
	sentenceEnd = regexp.MustCompile(`\.\s+`)
	alternative = regexp.MustCompile(`(?i)\bor\b|\bone of\b|\beither\b`)
	conditional = regexp.MustCompile(`(?i)^\s*if\b`)
)

// scopeGroups reads the scopes an Authorization section names, as groups:
// a sentence or list item that offers scopes as alternatives ("a or b",
// "one of") is one group; otherwise each scope is its own group.
// Conditional sentences ("If an app access token is used, ...") are left to
// curation.
func scopeGroups(nodes []*html.Node, known map[string]bool) [][]string {
	var blocks []string
	for _, n := range nodes {
		if lis := findAll(n, atom.Li); len(lis) > 0 {
			for _, li := range lis {
				blocks = append(blocks, text(li))
			}
			continue
		}
		blocks = append(blocks, text(n))
	}
	var groups [][]string
	seen := map[string]bool{}
	for _, block := range blocks {
		for _, sentence := range sentenceEnd.Split(block, -1) {
			if conditional.MatchString(sentence) {
				continue
			}
			found := scopesIn(sentence, known)
			if len(found) == 0 {
				continue
			}
			var add [][]string
			if len(found) > 1 && alternative.MatchString(sentence) {
				add = [][]string{found}
			} else {
				for _, s := range found {
					add = append(add, []string{s})
				}
			}
			for _, g := range add {
				key := strings.Join(g, " ")
				if !seen[key] {
					seen[key] = true
					groups = append(groups, g)
				}
			}
		}
	}
	return groups
}

var scopeToken = regexp.MustCompile(`[a-z0-9_]+(?::[a-z0-9_]+)+`)

// scopesIn returns the known scope names in s, in order, once each.
func scopesIn(s string, known map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range scopeToken.FindAllString(s, -1) {
		if known[m] && !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}
