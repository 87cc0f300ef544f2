package importer

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/twitchify-go/twitch/schema/format"
)

// page is one parsed reference page.
type page struct {
	name string // the file name, "eventsub-reference.html", for errors
	root *html.Node
	ids  map[string]*html.Node
	// moved maps anchors that links use but the page lacks to the anchors
	// they mean (a curation: the reference has dead links).
	moved map[string]string
	// unread holds the fields whose type the page does not give, with
	// the problem to report unless a curation sets the type.
	unread map[*format.Field]string
}

// heading returns the element with the id anchor, following moved anchors.
func (p *page) heading(anchor string) *html.Node {
	if n := p.ids[anchor]; n != nil {
		return n
	}
	return p.ids[p.moved[anchor]]
}

func parsePage(name string, data []byte) (*page, error) {
	root, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &page{name: name, root: root, ids: map[string]*html.Node{}}
	walk(root, func(n *html.Node) {
		if id := attr(n, "id"); id != "" {
			if _, dup := p.ids[id]; !dup {
				p.ids[id] = n
			}
		}
	})
	return p, nil
}

// sectionError is a problem with the structure of one section of a page.
type sectionError struct {
	page, section, msg string
}

func (e *sectionError) Error() string {
	return fmt.Sprintf("%s: section %q: %s", e.page, e.section, e.msg)
}

func (p *page) errorf(section, format string, args ...any) error {
	return &sectionError{page: p.name, section: section, msg: fmt.Sprintf(format, args...)}
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) string {
	if n.Type != html.ElementNode {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// findAll returns the elements below n (n included) with the tag a, in
// document order.
func findAll(n *html.Node, a atom.Atom) []*html.Node {
	var out []*html.Node
	walk(n, func(c *html.Node) {
		if c.Type == html.ElementNode && c.DataAtom == a {
			out = append(out, c)
		}
	})
	return out
}

func find(n *html.Node, a atom.Atom) *html.Node {
	if all := findAll(n, a); len(all) > 0 {
		return all[0]
	}
	return nil
}

// rawText is the text below n as the page has it, non-breaking spaces kept.
func rawText(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

// text is the text below n with runs of white space made one space.
func text(n *html.Node) string {
	return strings.Join(strings.FieldsFunc(rawText(n), unicode.IsSpace), " ")
}

// nextElement is the next sibling element of n.
func nextElement(n *html.Node) *html.Node {
	for c := n.NextSibling; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			return c
		}
	}
	return nil
}

func isHeading(n *html.Node) bool {
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4:
		return true
	}
	return false
}

// table is a parsed <table>: its header names and its rows.
type table struct {
	node    *html.Node
	headers []string // lower-cased, "?" and spaces removed: "name", "type", "required", "description"
	rows    [][]*cell
}

// cell is one <td>, reduced to what the importer reads in it.
type cell struct {
	node   *html.Node
	text   string   // white space collapsed
	indent int      // nesting level shown by leading non-breaking spaces
	links  []string // hrefs of links
	items  []string // texts of list items, including lists written as escaped HTML
}

func parseTable(t *html.Node) *table {
	tb := &table{node: t}
	for _, th := range findAll(t, atom.Th) {
		h := strings.ToLower(text(th))
		h = strings.NewReplacer("?", "", " ", "").Replace(h)
		tb.headers = append(tb.headers, h)
	}
	for _, tr := range findAll(t, atom.Tr) {
		var row []*cell
		for c := tr.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.DataAtom == atom.Td {
				row = append(row, parseCell(c))
			}
		}
		if len(row) > 0 {
			tb.rows = append(tb.rows, row)
		}
	}
	return tb
}

// column returns the index of the first header among names, or -1.
func (t *table) column(names ...string) int {
	for i, h := range t.headers {
		for _, n := range names {
			if h == n {
				return i
			}
		}
	}
	return -1
}

func parseCell(td *html.Node) *cell {
	c := &cell{node: td, text: text(td)}
	raw := rawText(td)
	spaces := 0
	for _, r := range raw {
		if r == '\u00a0' || r == ' ' || r == '\t' {
			spaces++
			continue
		}
		if r == '\n' || r == '\r' {
			continue
		}
		break
	}
	// The reference indents nested members by three non-breaking spaces a
	// level (sometimes with a plain space among them).
	c.indent = (spaces + 1) / 3
	walk(td, func(n *html.Node) {
		switch {
		case n.Type == html.ElementNode && n.DataAtom == atom.A:
			c.links = append(c.links, attr(n, "href"))
		case n.Type == html.ElementNode && n.DataAtom == atom.Li:
			c.items = append(c.items, text(n))
		}
	})
	// Some descriptions carry their list as escaped HTML, so it reaches us
	// as text: parse that text as HTML too.
	if len(c.items) == 0 && strings.Contains(raw, "<li>") {
		if frag, err := html.ParseFragment(strings.NewReader(raw), &html.Node{Type: html.ElementNode, DataAtom: atom.Div, Data: "div"}); err == nil {
			for _, n := range frag {
				for _, li := range findAll(n, atom.Li) {
					c.items = append(c.items, text(li))
				}
			}
		}
	}
	return c
}

// codeText is the text of the <code> elements below n.
func codeTexts(n *html.Node) []string {
	var out []string
	for _, c := range findAll(n, atom.Code) {
		out = append(out, text(c))
	}
	return out
}
