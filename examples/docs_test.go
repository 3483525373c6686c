// The brief's documentation rules, checked from source for the whole
// repository: every exported identifier of a non-main package has a doc
// comment (or a trailing line comment), every such package has a package
// comment and a runnable Example (an Example function whose // Output:
// comment is not empty).
//
// The guard lives here because this package is the repository's test-only
// package (it already runs the README): it adds no API and no dependency to
// a library package, and it sees the whole tree from "..". It parses files
// with go/parser and builds nothing, so it is cheap under -short too.
package examples_test

import (
	"errors"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// exampleExempt are packages that need no runnable Example, each with the
// reason. The test fails when an entry is no longer needed (the directory
// is gone or has a runnable Example), so the list cannot go stale.
var exampleExempt = map[string]string{
	"examples/webhook/e2e": "a test-only package of its own module (doc.go is its package comment, it exports nothing); " +
		"what it could show needs a kube-apiserver",
}

// mustCheck are packages the walk has to find: a walk from the wrong
// directory, or one that silently found nothing, fails instead of passing.
var mustCheck = []string{"inject", "inject/cluster", "patch", "policy", "template", "template/meshconfig", "internal/codec"}

// goPackage is the non-test and test files of one package directory.
type goPackage struct {
	dir   string // slash-separated, relative to the repository root
	name  string // the package clause of the non-test files
	files []*ast.File
	tests []*ast.File // *_test.go files, of package name or name_test
}

// checkPackage returns every breach of the documentation rules in p, as
// "file:line: what" (or "dir: what" for the package as a whole), in file
// order. A main package is a command: nothing in it is checked.
func checkPackage(fset *token.FileSet, p goPackage) []string {
	if p.name == "main" {
		return nil
	}
	var out []string
	hasPackageDoc := false
	for _, f := range p.files {
		hasPackageDoc = hasPackageDoc || hasDoc(f.Doc)
		out = append(out, checkFile(fset, f)...)
	}
	if !hasPackageDoc {
		out = append(out, fmt.Sprintf("%s: package %s has no package comment", p.dir, p.name))
	}
	if !hasRunnableExample(p.tests) {
		out = append(out, fmt.Sprintf("%s: package %s has no runnable Example (an Example function with a non-empty // Output: comment)", p.dir, p.name))
	}
	return out
}

// hasRunnableExample reports whether the test files hold an Example that
// go test runs and checks: one with expected output. An empty "// Output:"
// runs but asserts nothing, so it does not count.
func hasRunnableExample(tests []*ast.File) bool {
	for _, ex := range doc.Examples(tests...) {
		if strings.TrimSpace(ex.Output) != "" {
			return true
		}
	}
	return false
}

// hasDoc reports whether c holds text. Directives (//go:build,
// //nolint:...) are not text: go/ast drops them from Text, so a lone
// directive above a declaration is no doc comment.
func hasDoc(c *ast.CommentGroup) bool {
	return c != nil && strings.TrimSpace(c.Text()) != ""
}

// checkFile returns the exported identifiers of f that have no doc comment.
func checkFile(fset *token.FileSet, f *ast.File) []string {
	var out []string
	miss := func(pos token.Pos, what string) {
		p := fset.Position(pos)
		out = append(out, fmt.Sprintf("%s:%d: %s has no doc comment", p.Filename, p.Line, what))
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			what := "func " + d.Name.Name
			if d.Recv != nil && len(d.Recv.List) > 0 {
				recv := receiverType(d.Recv.List[0].Type)
				if !ast.IsExported(recv) {
					continue // not part of the API
				}
				what = "method " + recv + "." + d.Name.Name
			}
			if !hasDoc(d.Doc) {
				miss(d.Name.Pos(), what)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					// go/doc gives a type in a group the group's comment
					// when it has none of its own.
					if !hasDoc(s.Doc) && !hasDoc(s.Comment) && !hasDoc(d.Doc) {
						miss(s.Name.Pos(), "type "+s.Name.Name)
					}
					checkMembers(s.Name.Name, s.Type, miss)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && !hasDoc(s.Doc) && !hasDoc(s.Comment) && !hasDoc(d.Doc) {
							miss(n.Pos(), strings.ToLower(d.Tok.String())+" "+n.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// receiverType is the name of a method's receiver type: T for T, *T, T[K]
// and *T[K, V].
func receiverType(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.StarExpr:
			e = x.X
		case *ast.ParenExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// checkMembers reports the exported fields and interface methods without a
// doc or trailing comment in typ, the type of the exported owner, and in
// the struct and interface types written inside it (an exported field's
// anonymous struct is API too). Embedded fields and interfaces are left
// alone: they are documented where their type is declared.
func checkMembers(owner string, typ ast.Expr, miss func(token.Pos, string)) {
	ast.Inspect(typ, func(n ast.Node) bool {
		var list *ast.FieldList
		kind := "field"
		switch t := n.(type) {
		case *ast.FuncType:
			return false // parameters are not members
		case *ast.StructType:
			list = t.Fields
		case *ast.InterfaceType:
			list, kind = t.Methods, "method"
		default:
			return true
		}
		for _, f := range list.List {
			for _, name := range f.Names {
				if !name.IsExported() {
					continue
				}
				if !hasDoc(f.Doc) && !hasDoc(f.Comment) {
					miss(name.Pos(), kind+" "+owner+"."+name.Name)
				}
				checkMembers(owner+"."+name.Name, f.Type, miss)
			}
		}
		return false // nested types were walked above, with their owner's name
	})
}

// loadPackages parses every Go file under root as the go command would see
// the package directories: testdata and names starting with "." or "_" are
// not packages. Nested modules (the e2e harness) are included: the rules
// are the repository's. A file that does not parse fails the test.
func loadPackages(t *testing.T, fset *token.FileSet, root string) []goPackage {
	t.Helper()
	byDir := map[string]*goPackage{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, filepath.ToSlash(rel), readFile(t, path), parser.ParseComments)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		p := byDir[dir]
		if p == nil {
			p = &goPackage{dir: dir}
			byDir[dir] = p
		}
		if strings.HasSuffix(name, "_test.go") {
			p.tests = append(p.tests, f)
			return nil
		}
		if p.name != "" && p.name != f.Name.Name {
			return fmt.Errorf("%s: package %s, but the directory's other files are package %s", rel, f.Name.Name, p.name)
		}
		p.name = f.Name.Name
		p.files = append(p.files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []goPackage
	for _, p := range byDir {
		if len(p.files) > 0 { // a directory of tests only has no API to document
			out = append(out, *p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDocs(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if mod := string(readFile(t, filepath.Join(root, "go.mod"))); !strings.HasPrefix(mod, "module github.com/kinject/kinject\n") {
		t.Fatalf("%s is not the kinject repository's root (its go.mod does not declare github.com/kinject/kinject)", root)
	}
	fset := token.NewFileSet()
	pkgs := loadPackages(t, fset, root)
	checked := map[string]bool{}
	files := 0
	for _, p := range pkgs {
		if p.name == "main" {
			continue
		}
		checked[p.dir] = true
		files += len(p.files)
		for _, breach := range checkPackage(fset, p) {
			if reason, ok := exampleExempt[p.dir]; ok && strings.HasPrefix(breach, p.dir+": ") && strings.Contains(breach, "no runnable Example") {
				t.Logf("%s: no runnable Example, exempt: %s", p.dir, reason)
				continue
			}
			t.Error(breach)
		}
	}
	for _, dir := range mustCheck {
		if !checked[dir] {
			t.Errorf("package %s was not found under %s: the walk is broken", dir, root)
		}
	}
	for dir := range exampleExempt {
		switch i := sort.Search(len(pkgs), func(i int) bool { return pkgs[i].dir >= dir }); {
		case i == len(pkgs) || pkgs[i].dir != dir:
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(dir))); errors.Is(err, fs.ErrNotExist) {
				// A copy of the tree without it (CI's newest-k8s.io run
				// drops the e2e module): nothing to hold stale.
				t.Logf("exampleExempt: %s is not in this tree", dir)
				continue
			}
			t.Errorf("exampleExempt lists %s, which is no longer a package: remove the entry", dir)
		case hasRunnableExample(pkgs[i].tests):
			t.Errorf("exampleExempt lists %s, which now has a runnable Example: remove the entry", dir)
		}
	}
	t.Logf("checked %d non-main packages, %d files", len(checked), files)
}

// TestDocRules proves the checker on small packages: what it reports and
// what it accepts.
func TestDocRules(t *testing.T) {
	const example = "package p_test\n\nimport \"fmt\"\n\nfunc Example() {\n\tfmt.Println(1)\n\t// Output: 1\n}\n"
	tests := []struct {
		name   string
		reason string
		files  map[string]string // file name -> source; *_test.go are tests
		want   []string
	}{
		{
			name:   "documented",
			reason: "a package following every rule has no findings",
			files: map[string]string{
				"p.go":      "// Package p is small.\npackage p\n\n// F does it.\nfunc F() {}\n\n// T is a type.\ntype T struct {\n\t// A is a field.\n\tA int\n\tB int // B has a trailing comment, which counts\n\tC, D int // C and D share their line's comment\n}\n",
				"x_test.go": example,
			},
		},
		{
			name:   "exported func and method",
			reason: "funcs and methods of exported types, generic ones included, need a doc comment",
			files: map[string]string{
				"p.go":      "// Package p.\npackage p\n\nfunc F() {}\n\n// T is generic.\ntype T[K comparable] struct{}\n\nfunc (T[K]) M() {}\n\nfunc (*T[K]) N() {}\n",
				"x_test.go": example,
			},
			want: []string{"p.go:4: func F has no doc comment", "p.go:9: method T.M has no doc comment", "p.go:11: method T.N has no doc comment"},
		},
		{
			name:   "directive is no doc",
			reason: "a lone //nolint or //go: line above a declaration is a directive, not documentation",
			files: map[string]string{
				"p.go":      "// Package p.\npackage p\n\n//nolint:revive\nfunc F() {}\n",
				"x_test.go": example,
			},
			want: []string{"p.go:5: func F has no doc comment"},
		},
		{
			name:   "unexported owners",
			reason: "methods and fields of unexported types, and unexported names, are not API",
			files: map[string]string{
				"p.go":      "// Package p.\npackage p\n\ntype t struct{ A int }\n\nfunc (t) M() {}\n\nfunc f() {}\n\n// T is a type.\ntype T struct{ a int }\n",
				"x_test.go": example,
			},
		},
		{
			name:   "fields",
			reason: "a comment over one field does not cover the next line's field; embedded fields are documented at their type",
			files: map[string]string{
				"p.go":      "// Package p.\npackage p\n\n// E is embedded.\ntype E struct{}\n\n// T is a type.\ntype T struct {\n\tE\n\t// A and B are said to be documented together.\n\tA int\n\tB int\n}\n",
				"x_test.go": example,
			},
			want: []string{"p.go:12: field T.B has no doc comment"},
		},
		{
			name:   "nested anonymous struct",
			reason: "the fields of an exported field's anonymous struct are API too, named by their path",
			files: map[string]string{
				"p.go":      "// Package p.\npackage p\n\n// T is a type.\ntype T struct {\n\t// S is a struct.\n\tS struct {\n\t\tX int\n\t}\n\tF func(struct{ Y int }) // parameters are not members\n}\n",
				"x_test.go": example,
			},
			want: []string{"p.go:8: field T.S.X has no doc comment"},
		},
		{
			name:   "interface methods",
			reason: "an exported interface's methods need comments; embedded interfaces do not",
			files: map[string]string{
				"p.go":      "// Package p.\npackage p\n\nimport \"io\"\n\n// I is an interface.\ntype I interface {\n\tio.Reader\n\tM()\n\t// N is documented.\n\tN()\n}\n",
				"x_test.go": example,
			},
			want: []string{"p.go:9: method I.M has no doc comment"},
		},
		{
			name:   "values",
			reason: "a group comment covers its consts and vars; without one each name needs its own comment",
			files: map[string]string{
				"p.go":      "// Package p.\npackage p\n\n// Modes.\nconst (\n\tA = 1\n\tB = 2\n)\n\nconst (\n\tC = 3 // C is documented\n\tD = 4\n\t// E is documented.\n\tE = 5\n)\n\nvar V = 1\n",
				"x_test.go": example,
			},
			want: []string{"p.go:12: const D has no doc comment", "p.go:17: var V has no doc comment"},
		},
		{
			name:   "grouped types",
			reason: "go/doc gives a type in a group the group's comment, so that covers it",
			files: map[string]string{
				"p.go":      "// Package p.\npackage p\n\n// Two types.\ntype (\n\tA int\n\tB int\n)\n\ntype (\n\tC int\n)\n",
				"x_test.go": example,
			},
			want: []string{"p.go:11: type C has no doc comment"},
		},
		{
			name:   "package comment and Example",
			reason: "a package needs a package comment and an Example with expected output",
			files: map[string]string{
				"p.go":      "package p\n",
				"x_test.go": "package p\n\nfunc Example() {}\n",
			},
			want: []string{"p: package p has no package comment", "p: package p has no runnable Example (an Example function with a non-empty // Output: comment)"},
		},
		{
			name:   "empty output",
			reason: "an Example whose // Output: is empty runs but asserts nothing",
			files: map[string]string{
				"p.go":      "// Package p.\npackage p\n",
				"x_test.go": "package p_test\n\nfunc Example() {\n\t// Output:\n}\n",
			},
			want: []string{"p: package p has no runnable Example (an Example function with a non-empty // Output: comment)"},
		},
		{
			name:   "unordered output",
			reason: "an Example checked with // Unordered output: is runnable",
			files: map[string]string{
				"p.go":      "// Package p.\npackage p\n",
				"x_test.go": "package p_test\n\nimport \"fmt\"\n\nfunc ExampleF() {\n\tfmt.Println(1)\n\t// Unordered output: 1\n}\n",
			},
		},
		{
			name:   "main",
			reason: "a command's package is not API: nothing is checked",
			files:  map[string]string{"main.go": "package main\n\nfunc F() {}\n\nfunc main() {}\n"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fset := token.NewFileSet()
			p := goPackage{dir: "p"}
			names := make([]string, 0, len(tc.files))
			for n := range tc.files {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				f, err := parser.ParseFile(fset, n, tc.files[n], parser.ParseComments)
				if err != nil {
					t.Fatalf("%s (%s): %v", n, tc.reason, err)
				}
				if strings.HasSuffix(n, "_test.go") {
					p.tests = append(p.tests, f)
				} else {
					p.name = f.Name.Name
					p.files = append(p.files, f)
				}
			}
			if d := cmp.Diff(tc.want, checkPackage(fset, p)); d != "" {
				t.Errorf("%s: findings (-want +got):\n%s", tc.reason, d)
			}
		})
	}
}
