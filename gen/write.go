package gen

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// FS is what Sync reads and writes through: DirFS on disk, a map in tests.
// Names are slash-separated and relative to the output root.
type FS interface {
	ReadFile(name string) ([]byte, error)
	ReadDir(name string) ([]fs.DirEntry, error)
	// WriteFile replaces name with data atomically: a reader sees the old
	// content or the new, never a part.
	WriteFile(name string, data []byte) error
	Remove(name string) error
}

// ChangeKind says what Sync does (or would do) to a file.
type ChangeKind string

// Kinds of change.
const (
	Create ChangeKind = "create"
	Update ChangeKind = "update"
	Delete ChangeKind = "delete"
)

// Change is one file that differs from what the schema generates.
type Change struct {
	Path string
	Kind ChangeKind
}

func (c Change) String() string { return string(c.Kind) + " " + c.Path }

// Sync makes the generated files of dirs equal files: it writes the files
// that are new or changed, leaves identical files untouched, and removes the
// generated files ("_gen.go" files that start with Header) that files no
// longer has, so an endpoint removed from the schema leaves nothing behind.
// Hand-written files are never touched. With dryRun it changes nothing and
// reports what it would do. Changes are sorted by path.
func Sync(fsys FS, dirs []string, files []File, dryRun bool) ([]Change, error) {
	want := make(map[string]bool, len(files))
	var changes []Change
	for _, f := range files {
		want[f.Path] = true
		old, err := fsys.ReadFile(f.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			changes = append(changes, Change{f.Path, Create})
		case err != nil:
			return nil, err
		case !bytes.Equal(old, f.Data):
			changes = append(changes, Change{f.Path, Update})
		}
	}
	for _, dir := range dirs {
		entries, err := fsys.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name := path.Join(dir, e.Name())
			if e.IsDir() || !strings.HasSuffix(name, "_gen.go") || want[name] {
				continue
			}
			data, err := fsys.ReadFile(name)
			if err != nil {
				return nil, err
			}
			if IsGenerated(data) {
				changes = append(changes, Change{name, Delete})
			}
		}
	}
	sortChanges(changes)
	if dryRun {
		return changes, nil
	}
	data := make(map[string][]byte, len(files))
	for _, f := range files {
		data[f.Path] = f.Data
	}
	for _, c := range changes {
		var err error
		if c.Kind == Delete {
			err = fsys.Remove(c.Path)
		} else {
			err = fsys.WriteFile(c.Path, data[c.Path])
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", c.Kind, c.Path, err)
		}
	}
	return changes, nil
}

func sortChanges(changes []Change) {
	slices.SortFunc(changes, func(a, b Change) int { return cmp.Compare(a.Path, b.Path) })
}

// IsGenerated reports whether a Go file starts with the generated header.
func IsGenerated(src []byte) bool {
	line, _, _ := bytes.Cut(src, []byte("\n"))
	return string(line) == "// "+Header
}

// DirFS is the file system under the folder root.
func DirFS(root string) FS { return dirFS(root) }

type dirFS string

func (d dirFS) path(name string) string { return filepath.Join(string(d), filepath.FromSlash(name)) }

func (d dirFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(d.path(name)) }

func (d dirFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(d.path(name)) }

func (d dirFS) Remove(name string) error { return os.Remove(d.path(name)) }

// WriteFile writes a temporary file beside the target and renames it over
// the target, which is atomic on one file system.
func (d dirFS) WriteFile(name string, data []byte) (err error) {
	target := d.path(name)
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(target), ".codegen-*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), target)
}
