// Command codegen generates the typed Twitch bindings from the schema.
//
// Run from the module root (go generate ./... does):
//
//	codegen          regenerate eventsub, helix, oauth, twitchtest and the root package from schema/
//	codegen -check   change nothing; list the files that would change and exit 1 if any would
//	codegen -list    print what the schema covers, one line each, sorted
//	codegen import   rewrite the schema from Twitch's reference pages (see importUsage)
//
// A schema with problems writes nothing: every problem is printed, each with
// its file and JSON path, and codegen exits 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/twitchify-go/twitch/gen"
	"github.com/twitchify-go/twitch/schema"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "import" {
		return runImport(args[1:], stdout, stderr)
	}
	fset := flag.NewFlagSet("codegen", flag.ContinueOnError)
	fset.SetOutput(stderr)
	schemaDir := fset.String("schema", "schema", "the schema `folder`")
	eventsubDir := fset.String("eventsub", "eventsub", "output `folder` of package eventsub")
	helixDir := fset.String("helix", "helix", "output `folder` of package helix")
	oauthDir := fset.String("oauth", "oauth", "output `folder` of package oauth")
	twitchtestDir := fset.String("twitchtest", "twitchtest", "output `folder` of package twitchtest")
	rootDir := fset.String("root", ".", "output `folder` of the root package twitch")
	oauthImport := fset.String("oauth-import", "github.com/twitchify-go/twitch/oauth", "import `path` of package oauth")
	eventsubImport := fset.String("eventsub-import", "github.com/twitchify-go/twitch/eventsub", "import `path` of package eventsub")
	check := fset.Bool("check", false, "write nothing; list the files that would change and exit 1 if any would")
	list := fset.Bool("list", false, "print what the schema covers and exit")
	verbose := fset.Bool("v", false, "print each file written or removed")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: codegen [-check | -list] [flags]")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "codegen: unexpected argument %q\n", fset.Arg(0))
		fset.Usage()
		return 2
	}

	s, err := schema.LoadDir(*schemaDir)
	if err != nil {
		var list schema.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				fmt.Fprintln(stderr, e)
			}
			fmt.Fprintf(stderr, "codegen: %d problem(s) in the schema; nothing was written\n", len(list))
		} else {
			fmt.Fprintf(stderr, "codegen: %v\n", err)
		}
		return 1
	}
	if *list {
		for _, line := range coverage(s) {
			fmt.Fprintln(stdout, line)
		}
		return 0
	}

	slash := filepath.ToSlash
	cfg := gen.Config{
		SchemaDir:      slash(*schemaDir),
		EventSubDir:    slash(*eventsubDir),
		HelixDir:       slash(*helixDir),
		OAuthDir:       slash(*oauthDir),
		TwitchTestDir:  slash(*twitchtestDir),
		RootDir:        slash(*rootDir),
		OAuthImport:    *oauthImport,
		EventSubImport: *eventsubImport,
	}
	files, err := gen.Generate(s, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "codegen: %v\n", err)
		return 1
	}
	dirs := []string{cfg.EventSubDir, cfg.HelixDir, cfg.OAuthDir, cfg.TwitchTestDir, cfg.RootDir}
	changes, err := gen.Sync(gen.DirFS(""), dirs, files, *check)
	if err != nil {
		fmt.Fprintf(stderr, "codegen: %v\n", err)
		return 1
	}
	if *check {
		for _, c := range changes {
			fmt.Fprintf(stdout, "would %s\n", c)
		}
		if len(changes) > 0 {
			fmt.Fprintf(stderr, "codegen: %d generated file(s) are out of date; run go generate ./...\n", len(changes))
			return 1
		}
		return 0
	}
	if *verbose {
		for _, c := range changes {
			fmt.Fprintln(stdout, c)
		}
	}
	return 0
}

// coverage is the -list output: one line per subscription type and version,
// and per Helix operation, sorted.
func coverage(s *schema.Schema) []string {
	var lines []string
	for _, sub := range s.EventSub.Subscriptions {
		lines = append(lines, fmt.Sprintf("eventsub %s %s", sub.Type, sub.Version))
	}
	for _, op := range s.Helix.Operations {
		lines = append(lines, fmt.Sprintf("helix %s %s %s", op.Method, op.Path, op.GoName))
	}
	slices.Sort(lines)
	return lines
}
