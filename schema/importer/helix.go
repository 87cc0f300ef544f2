package importer

import (
	"regexp"
	"slices"
	"sort"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/twitchify-go/twitch/schema"
	"github.com/twitchify-go/twitch/schema/format"
)

const referenceURL = "https://dev.twitch.tv/docs/api/reference/"

var (
	helixURL     = regexp.MustCompile(`^(?:(GET|POST|PUT|PATCH|DELETE)\s+)?https://api\.twitch\.tv/helix(/[a-z0-9_/]+)`)
	repeatedWord = regexp.MustCompile(`(?i)parameter for each|to specify more than one|specify this parameter multiple times|up to \d+ (ids|logins|user ids|ids)|&\w+=`)
	allOptional  = regexp.MustCompile(`(?i)all (the )?fields are optional`)
	exclusive    = regexp.MustCompile(`(?i)mutually exclusive`)
	contentType  = regexp.MustCompile(`Content-Type response header is set to ([a-z]+/[a-z0-9+-]+(?:\.[a-z0-9+-]+)*)`)
	maxCount     = regexp.MustCompile(`(?i)(?:maximum|up to|at most|limit of|no more than)[^0-9.]{0,60}?(\d+)`)
)

// parseHelix reads every operation of the API reference: the summary table
// names them and their resource groups; each one's section gives its URL,
// authorization, parameters, body and response, and its examples.
func parseHelix(p *page, scopes map[string]bool) ([]*format.Group, []Example, []error) {
	top := p.ids["twitch-api-reference"]
	if top == nil {
		return nil, nil, []error{p.errorf("twitch-api-reference", "heading not found")}
	}
	summary := tableAfter(top)
	if summary == nil {
		return nil, nil, []error{p.errorf("twitch-api-reference", "expected the table of endpoints after the heading")}
	}
	t := parseTable(summary)
	resCol, endCol := t.column("resource"), t.column("endpoint")
	if resCol < 0 || endCol < 0 {
		return nil, nil, []error{p.errorf("twitch-api-reference", "the table of endpoints needs Resource and Endpoint columns, found %q", t.headers)}
	}
	var errs []error
	var examples []Example
	groups := map[string]*format.Group{}
	for i, row := range t.rows {
		if len(row) <= max(resCol, endCol) || len(row[endCol].links) == 0 {
			errs = append(errs, p.errorf("twitch-api-reference", "row %d: expected a resource and a link to the endpoint", i+1))
			continue
		}
		anchor := strings.TrimPrefix(row[endCol].links[0], "#")
		if p.ids[anchor] == nil {
			errs = append(errs, p.errorf("twitch-api-reference", "row %d links to #%s, which is not on the page", i+1, anchor))
			continue
		}
		op, ex, err := parseOperation(p, anchor, scopes)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		name := strings.ReplaceAll(strings.ToLower(row[resCol].text), " ", "_")
		g := groups[name]
		if g == nil {
			g = &format.Group{Name: name}
			groups[name] = g
		}
		g.Operations = append(g.Operations, op)
		examples = append(examples, ex...)
	}
	var out []*format.Group
	for _, g := range groups {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, examples, errs
}

// operationNodes returns the element children of the sections of an
// operation: the documentation (left) and the examples (right).
func operationNodes(h2 *html.Node) (left, right []*html.Node) {
	leftSection := h2.Parent
	for c := nextElement(h2); c != nil; c = nextElement(c) {
		left = append(left, c)
	}
	if container := leftSection.Parent; container != nil {
		for s := nextElement(leftSection); s != nil; s = nextElement(s) {
			if strings.Contains(attr(s, "class"), "right-code") {
				for c := s.FirstChild; c != nil; c = c.NextSibling {
					if c.Type == html.ElementNode {
						right = append(right, c)
					}
				}
			}
		}
	}
	return left, right
}

func parseOperation(p *page, anchor string, scopes map[string]bool) (*format.Operation, []Example, error) {
	h2 := p.ids[anchor]
	title := strings.TrimSpace(strings.TrimSuffix(text(h2), "✎"))
	op := &format.Operation{
		Name:   operationName(title),
		DocURL: referenceURL + "#" + anchor,
	}
	left, right := operationNodes(h2)

	heading := ""
	var authNodes []*html.Node
	var query, body, response *table
	var responseNotes []string
	bodyAllOptional := false
	for _, n := range left {
		if isHeading(n) {
			heading = text(n)
			continue
		}
		lower := strings.ToLower(heading)
		switch {
		case heading == "Authorization":
			authNodes = append(authNodes, n)
		case heading == "Response Body" && n.DataAtom != atom.Table:
			responseNotes = append(responseNotes, text(n))
		case strings.HasPrefix(strings.ToLower(heading), "request body") && n.DataAtom != atom.Table:
			bodyAllOptional = bodyAllOptional || allOptional.MatchString(text(n))
		case heading == "URL":
			if m := helixURL.FindStringSubmatch(text(n)); m != nil && op.Path == "" {
				// Some sections leave out the method; curation gives it.
				op.Method, op.Path = m[1], strings.TrimSuffix(m[2], "/")
			}
		case n.DataAtom == atom.Table || find(n, atom.Table) != nil:
			tn := n
			if n.DataAtom != atom.Table {
				tn = find(n, atom.Table)
			}
			switch {
			case strings.Contains(lower, "query"):
				query = parseTable(tn)
			case strings.HasPrefix(lower, "request body"):
				body = parseTable(tn)
			case strings.HasPrefix(lower, "response body"):
				response = parseTable(tn)
			case strings.HasPrefix(lower, "response codes"):
				t := parseTable(tn)
				for _, row := range t.rows {
					if code, ok := atoiPrefix(row[0].text); ok && code >= 200 && code < 300 {
						op.Success = code
						break
					}
				}
			}
		}
	}
	if op.Path == "" {
		return nil, nil, p.errorf(anchor, "no URL of the form \"GET https://api.twitch.tv/helix/...\"")
	}
	op.Auth = helixAuth(authNodes, scopes)

	fc := &fieldContext{page: p, section: anchor}
	if query != nil {
		fields, err := fc.tableFields(query)
		if err != nil {
			return nil, nil, err
		}
		for i, f := range fields {
			if f.Fields != nil || strings.Contains(f.Type, "map") {
				return nil, nil, p.errorf(anchor, "query parameter %s is an object", f.Name)
			}
			f.Nullable = false
			desc := descriptionOf(query, i)
			if repeatedWord.MatchString(desc) && !strings.HasPrefix(f.Type, "[]") {
				f.Type = "[]" + f.Type
			}
			if exclusive.MatchString(desc) {
				f.Optional = true // one of several: none is required alone
			}
			if f.Name == "first" {
				f.Type = "int" // the page size, whatever a table calls it
			}
			if strings.HasPrefix(f.Type, "[]") {
				if m := maxCount.FindStringSubmatch(descriptionOf(query, i)); m != nil {
					f.Max, _ = atoiPrefix(m[1])
				}
				if f.Type == "[]timestamp" || f.Type == "[]int" {
					f.Type = "[]string"
				}
			}
		}
		op.Query = fields
	}
	if body != nil {
		fields, err := fc.tableFields(body)
		if err != nil {
			return nil, nil, err
		}
		if bodyAllOptional && body.column("required") < 0 {
			for _, f := range fields {
				f.Optional = true
			}
		}
		op.Body = &format.Part{Fields: fields}
	}
	if response != nil {
		fields, err := fc.tableFields(response)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range fields {
			if f.Name == "pagination" && strings.TrimPrefix(f.Type, "[]") == "object" || f.Name == "pagination" && f.Type == "json" {
				f.Type, f.Fields, f.Optional = "pagination", nil, false
			}
		}
		op.Response = &format.Part{Fields: fields}
	}
	if op.Response == nil {
		// A body that is not JSON is described in prose, with its type.
		for _, note := range responseNotes {
			if m := contentType.FindStringSubmatch(note); m != nil {
				op.Response = &format.Part{ContentType: m[1]}
			}
		}
	}
	if op.Success == 0 {
		// No 2xx among the response codes (or no codes): a body means 200.
		op.Success = 204
		if op.Response != nil {
			op.Success = 200
		}
	}

	var examples []Example
	heading = ""
	for _, n := range right {
		if isHeading(n) {
			heading = strings.Trim(text(n), "\u200b ")
			continue
		}
		for _, pre := range findAll(n, atom.Pre) {
			examples = append(examples, Example{
				Page: p.name, Section: anchor, Heading: heading,
				JSON: []byte(rawText(pre)), operation: op,
			})
		}
	}
	return op, examples, nil
}

// operationName is the Go name of an operation titled title: its words
// without articles, which a Go developer would not guess ("Send a
// Shoutout" is SendShoutout, "Start a raid" StartRaid).
func operationName(title string) string {
	words := strings.Fields(title)
	words = slices.DeleteFunc(words, func(w string) bool {
		switch strings.ToLower(w) {
		case "a", "an", "the":
			return true
		}
		return false
	})
	return schema.GoName(strings.Join(words, " "))
}

// descriptionOf is the description of row i of a table, or "".
func descriptionOf(t *table, i int) string {
	col := t.column("description")
	if col < 0 || i >= len(t.rows) || col >= len(t.rows[i]) {
		return ""
	}
	return t.rows[i][col].text
}

var (
	appToken    = regexp.MustCompile(`(?i)\bapp access token`)
	userToken   = regexp.MustCompile(`(?i)\buser[- ]access[- ]token`)
	jwtToken    = regexp.MustCompile(`(?i)JSON Web Token|\bJWT\b`)
	notRequired = regexp.MustCompile(`(?i)authorization headers? (are|is) not required`)
)

// helixAuth reads an operation's Authorization section: the kinds of token
// it names, and the scopes, which belong to the user token.
func helixAuth(nodes []*html.Node, scopes map[string]bool) []format.Auth {
	var all strings.Builder
	for _, n := range nodes {
		all.WriteString(text(n) + " ")
	}
	txt := all.String()
	groups := scopeGroups(nodes, scopes)
	if notRequired.MatchString(txt) {
		return []format.Auth{} // a public endpoint
	}
	var auth []format.Auth
	if appToken.MatchString(txt) && !strings.Contains(strings.ToLower(txt), "will fail if you use an app access token") {
		auth = append(auth, format.Auth{TokenType: "app"})
	}
	if userToken.MatchString(txt) || len(groups) > 0 {
		auth = append(auth, format.Auth{TokenType: "user", Scopes: groups})
	}
	if jwtToken.MatchString(txt) {
		auth = append(auth, format.Auth{TokenType: "jwt"})
	}
	if len(auth) == 0 {
		auth = []format.Auth{{TokenType: "app"}, {TokenType: "user"}}
	}
	return auth
}
