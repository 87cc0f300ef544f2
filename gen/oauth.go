package gen

import (
	"fmt"

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

// authCode is the []oauth.Requirement literal of a list of Auth.
func (g *generator) authCode(auth []*schema.Auth) jen.Code {
	oauth := g.cfg.OAuthImport
	reqs := make([]jen.Code, len(auth))
	for i, a := range auth {
		token := map[string]string{schema.TokenApp: "TokenApp", schema.TokenUser: "TokenUser", schema.TokenJWT: "TokenJWT"}[a.TokenType]
		reqs[i] = jen.Values(jen.DictFunc(func(d jen.Dict) {
			d[jen.Id("Token")] = jen.Qual(oauth, token)
			if len(a.Scopes) == 0 {
				return
			}
			groups := make([]jen.Code, len(a.Scopes))
			for j, group := range a.Scopes {
				scopes := make([]jen.Code, len(group))
				for k, s := range group {
					scopes[k] = jen.Qual(oauth, s.GoName)
				}
				groups[j] = jen.Values(scopes...)
			}
			d[jen.Id("Scopes")] = jen.Index().Index().Qual(oauth, "Scope").Values(groups...)
		}))
	}
	return jen.Index().Qual(oauth, "Requirement").Values(reqs...)
}
