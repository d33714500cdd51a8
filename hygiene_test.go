package gatehouse_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/gatehouse-id/gatehouse"

// pkg is one package of the module as seen by the hygiene tests: its
// non-test files only, since tests may import whatever they need.
type pkg struct {
	dir     string // slash-separated, relative to the module root ("." for the root)
	name    string
	doc     *ast.File // doc.go, when there is one
	imports map[string]bool
}

func loadPackages(t *testing.T) []*pkg {
	t.Helper()
	fset := token.NewFileSet()
	byDir := map[string]*pkg{}
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if p != "." && (strings.HasPrefix(base, ".") || base == "testdata" || base == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ParseComments|parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(p))
		k := byDir[dir]
		if k == nil {
			k = &pkg{dir: dir, name: f.Name.Name, imports: map[string]bool{}}
			byDir[dir] = k
		}
		if d.Name() == "doc.go" {
			k.doc = f
		}
		for _, imp := range f.Imports {
			v, _ := strconv.Unquote(imp.Path.Value)
			k.imports[v] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []*pkg
	for _, k := range byDir {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b *pkg) int { return strings.Compare(a.dir, b.dir) })
	if len(out) < 2 {
		t.Fatalf("found %d packages; the walk is broken", len(out))
	}
	return out
}

// modulePath returns the module-relative directory of a module import and
// whether the import is inside the module at all.
func modulePath(imp string) (string, bool) {
	if imp == module {
		return ".", true
	}
	rel, ok := strings.CutPrefix(imp, module+"/")
	return rel, ok
}

func isStdlib(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

func under(dir, root string) bool { return dir == root || strings.HasPrefix(dir, root+"/") }

// TestImportRules enforces the dependency rules of the architecture, so the
// layers stay apart as the code grows.
func TestImportRules(t *testing.T) {
	t.Parallel()
	concreteStores := []string{"sqlite", "postgres"}
	rules := []struct {
		name    string
		applies func(dir string) bool
		forbids func(imp string) bool
	}{
		{
			name:    "the domain imports the standard library only, and no net/http or database/sql",
			applies: func(dir string) bool { return dir == "." },
			forbids: func(imp string) bool {
				return !isStdlib(imp) || under(imp, "net/http") || imp == "database/sql"
			},
		},
		{
			name:    "stores never import net/http",
			applies: func(dir string) bool { return slices.Contains([]string{"sqlite", "postgres", "storetest"}, dir) },
			forbids: func(imp string) bool { return under(imp, "net/http") },
		},
		{
			name:    "connectors never import provider, login or server",
			applies: func(dir string) bool { return under(dir, "connector") },
			forbids: func(imp string) bool {
				rel, ok := modulePath(imp)
				return ok && (under(rel, "provider") || under(rel, "login") || under(rel, "server"))
			},
		},
		{
			name: "only the command, test support and end-to-end tests import a concrete store",
			applies: func(dir string) bool {
				return !under(dir, "cmd") && dir != "gatehousetest" && !under(dir, "e2e") &&
					!slices.Contains(concreteStores, dir)
			},
			forbids: func(imp string) bool {
				rel, ok := modulePath(imp)
				return ok && slices.Contains(concreteStores, rel)
			},
		},
		{
			name:    "internal/secret imports no other package of the module",
			applies: func(dir string) bool { return dir == "internal/secret" },
			forbids: func(imp string) bool { _, ok := modulePath(imp); return ok },
		},
		{
			name:    "oauth is protocol vocabulary: no storage, no HTML",
			applies: func(dir string) bool { return dir == "oauth" },
			forbids: func(imp string) bool {
				rel, ok := modulePath(imp)
				return imp == "database/sql" || imp == "html/template" ||
					(ok && (slices.Contains(concreteStores, rel) || rel == "web"))
			},
		},
		{
			name:    "nothing but the command imports the command",
			applies: func(dir string) bool { return !under(dir, "cmd") },
			forbids: func(imp string) bool { rel, ok := modulePath(imp); return ok && under(rel, "cmd") },
		},
	}
	for _, p := range loadPackages(t) {
		for _, r := range rules {
			if !r.applies(p.dir) {
				continue
			}
			for imp := range p.imports {
				if r.forbids(imp) {
					t.Errorf("%s imports %s, but %s", p.dir, imp, r.name)
				}
			}
		}
	}
}

// TestPackagesDocumented checks that every package has a doc.go whose
// package comment says what it is.
func TestPackagesDocumented(t *testing.T) {
	t.Parallel()
	for _, p := range loadPackages(t) {
		doc := p.doc
		if doc == nil {
			t.Errorf("%s: no doc.go", p.dir)
			continue
		}
		text := doc.Doc.Text()
		want := "Package " + p.name + " "
		if p.name == "main" {
			want = "Command "
		}
		if !strings.HasPrefix(text, want) {
			t.Errorf("%s: doc.go comment should start with %q, got %q", p.dir, want, firstLine(text))
		}
		if len(strings.Fields(text)) < 12 {
			t.Errorf("%s: doc.go comment is too short to say what the package owns", p.dir)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
