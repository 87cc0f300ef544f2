package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/twitchify-go/twitch/gen"
	"github.com/twitchify-go/twitch/schema"
	"github.com/twitchify-go/twitch/schema/importer"
)

const importUsage = `usage: codegen import [-from folder] [-schema folder] [-dry-run]

Reads Twitch's reference pages (live, or saved copies with -from), applies
the curation in <schema>/curated, and rewrites scopes.json, eventsub/*.json
and helix/*.json. It prints what changes; with -dry-run it writes nothing.
Nothing is written when a page has an unexpected structure, a curation
does not apply, or the new schema does not load. Then run go generate ./...`

// runImport is "codegen import".
func runImport(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("codegen import", flag.ContinueOnError)
	fset.SetOutput(stderr)
	from := fset.String("from", "", "read saved copies of the pages from `folder` instead of dev.twitch.tv")
	schemaDir := fset.String("schema", "schema", "the schema `folder`")
	dryRun := fset.Bool("dry-run", false, "print what would change and write nothing")
	fset.Usage = func() {
		fmt.Fprintln(stderr, importUsage)
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "codegen import: unexpected argument %q\n", fset.Arg(0))
		return 2
	}

	src := importer.Live(&http.Client{Timeout: time.Minute}, importer.LiveURLs)
	if *from != "" {
		src = importer.Dir(*from)
	}
	curatedDir := filepath.Join(*schemaDir, "curated")
	cur, err := importer.LoadCuration(os.DirFS(curatedDir), filepath.ToSlash(curatedDir))
	if err != nil {
		fmt.Fprintf(stderr, "codegen import: %v\n", err)
		return 1
	}
	res, err := importer.Import(context.Background(), src, cur)
	if err != nil {
		fmt.Fprintf(stderr, "%v\ncodegen import: nothing was written\n", err)
		return 1
	}

	schemaFS := os.DirFS(*schemaDir)
	changes, err := importer.Compare(schemaFS, res.Files)
	if err != nil {
		fmt.Fprintf(stderr, "codegen import: %v\n", err)
		return 1
	}
	if err := importer.Check(schemaFS, filepath.ToSlash(*schemaDir), res.Files); err != nil {
		var list schema.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				fmt.Fprintln(stderr, e)
			}
		} else {
			fmt.Fprintln(stderr, err)
		}
		fmt.Fprintln(stderr, "codegen import: the imported schema does not load; nothing was written")
		return 1
	}

	for _, c := range changes {
		fmt.Fprintf(stdout, "%s %s\n", c.Kind, filepath.Join(*schemaDir, c.Path))
		for _, d := range c.Details {
			fmt.Fprintf(stdout, "    %s\n", d)
		}
	}
	if len(changes) == 0 {
		fmt.Fprintln(stdout, "no changes")
		return 0
	}
	if *dryRun {
		fmt.Fprintf(stdout, "%d file(s) would change; nothing was written (-dry-run)\n", len(changes))
		return 0
	}
	if err := importer.Write(gen.DirFS(*schemaDir), changes, res.Files); err != nil {
		fmt.Fprintf(stderr, "codegen import: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%d file(s) changed; now run go generate ./...\n", len(changes))
	return 0
}
