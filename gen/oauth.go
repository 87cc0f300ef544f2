package gen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/twitchify-go/twitch/schema"
)

// oauth emits the scope constants of package oauth.
func (g *generator) oauth() {
	f := g.newFile("oauth", "scopes.json")
	consts := make([]jen.Code, 0, len(g.schema.Scopes)*2)
	all := make([]jen.Code, 0, len(g.schema.Scopes))
	for _, s := range g.schema.Scopes {
		consts = append(consts, jen.Comment(fmt.Sprintf("%s is the scope %q. %s", s.GoName, s.Name, s.Description)))
		consts = append(consts, jen.Id(s.GoName).Id("Scope").Op("=").Lit(s.Name))
		all = append(all, jen.Id(s.GoName))
	}
	f.Comment("The scopes Twitch defines.")
	f.Comment("")
	f.Comment(docLink("https://dev.twitch.tv/docs/authentication/scopes/"))
	f.Const().Defs(consts...)
	f.Line()
	f.Comment("AllScopes returns every scope Twitch defines, sorted by name.")
	f.Func().Id("AllScopes").Params().Index().Id("Scope").Block(
		jen.Return(jen.Index().Id("Scope").Values(all...)),
	)
	g.emit(g.cfg.OAuthDir, "scopes_gen.go", f)
}

// authCode is the []oauth.Requirement literal of a list of Auth. Where
// requirements ask for the same scopes (an app and a user token that need
// the same ones), the list is declared once, as the variable scopesVar (with
// a number when there are several such lists), in the declarations it
// returns; what says whose scopes they are, for their doc comment.
func (g *generator) authCode(auth []*schema.Auth, scopesVar, what string) (jen.Code, []jen.Code) {
	oauth := g.cfg.OAuthImport
	// Requirements with equal, non-empty scopes share one variable.
	keys := make([]string, len(auth))
	count := map[string]int{}
	for i, a := range auth {
		keys[i] = scopesKey(a)
		if keys[i] != "" {
			count[keys[i]]++
		}
	}
	var shared []string // the keys to share, in order of first use
	for i, k := range keys {
		if count[k] > 1 && !slices.Contains(shared, k) && slices.Index(keys, k) == i {
			shared = append(shared, k)
		}
	}
	names := map[string]string{}
	var decls []jen.Code
	for n, k := range shared {
		name := scopesVar
		if len(shared) > 1 {
			name += strconv.Itoa(n + 1)
		}
		names[k] = name
		var tokens []string
		var first *schema.Auth
		for i, a := range auth {
			if keys[i] == k {
				tokens = append(tokens, tokenNoun[a.TokenType])
				if first == nil {
					first = a
				}
			}
		}
		comment := fmt.Sprintf("%s are the scopes %s needs, the same for %s.", name, what, joinAnd(tokens))
		decls = append(decls, doc(comment).Var().Id(name).Op("=").Add(g.scopesCode(first.Scopes)))
	}

	reqs := make([]jen.Code, len(auth))
	for i, a := range auth {
		token := map[string]string{schema.TokenApp: "TokenApp", schema.TokenUser: "TokenUser", schema.TokenJWT: "TokenJWT"}[a.TokenType]
		var scopes jen.Code
		switch {
		case names[keys[i]] != "":
			scopes = jen.Id(names[keys[i]])
		case len(a.Scopes) > 0:
			scopes = g.scopesCode(a.Scopes)
		}
		reqs[i] = structLit(false, keyed{"Token", jen.Qual(oauth, token)}, keyed{"Scopes", scopes})
	}
	return jen.Index().Qual(oauth, "Requirement").Add(listLit(reqs)), decls
}

// scopesCode is the [][]oauth.Scope literal of scope groups.
func (g *generator) scopesCode(scopes [][]*schema.Scope) *jen.Statement {
	groups := make([]jen.Code, len(scopes))
	for j, group := range scopes {
		list := make([]jen.Code, len(group))
		for k, s := range group {
			list[k] = jen.Qual(g.cfg.OAuthImport, s.GoName)
		}
		groups[j] = jen.Values(list...)
	}
	return jen.Index().Index().Qual(g.cfg.OAuthImport, "Scope").Values(groups...)
}

// scopesKey identifies an Auth's scopes; "" when it has none.
func scopesKey(a *schema.Auth) string {
	var b strings.Builder
	for _, group := range a.Scopes {
		for _, s := range group {
			b.WriteString(s.Name + " ")
		}
		b.WriteString("|")
	}
	return b.String()
}

// tokenNoun names a token type in doc comments.
var tokenNoun = map[string]string{
	schema.TokenApp:  "an app token",
	schema.TokenUser: "a user token",
	schema.TokenJWT:  "an extension's JWT",
}

// joinAnd joins words as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
