// The README's commands, run as a user would: every fenced sh block's
// commands in a copy of the repository, the Go blocks compiled, the policy
// case file checked. A command the README shows that does not work (a
// flag renamed, a file moved, a package that does not build) fails here.
package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy/policytest"
)

// update is accepted so that `go test ./... -update` runs in this package
// too (this test proves it does in every package); there are no golden files
// here.
var update = flag.Bool("update", false, "rewrite golden files in testdata (this package has none)")

// envFakeKubectl, when set, makes this test binary act as kubectl serving
// the recorded cluster in that directory (see fakeKubectl).
const envFakeKubectl = "KINJECT_README_FAKE_KUBECTL"

func TestMain(m *testing.M) {
	if dir := os.Getenv(envFakeKubectl); dir != "" {
		os.Exit(fakeKubectl(dir, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// block is one fenced code block of the README.
type block struct {
	lang string
	line int // of the opening fence
	text string
}

func readmeBlocks(t *testing.T, path string) []block {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	var cur *block
	var body strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(l, "```"):
			cur = &block{lang: strings.TrimSpace(strings.TrimPrefix(l, "```")), line: n}
			body.Reset()
		case cur != nil && strings.HasPrefix(l, "```"):
			cur.text = body.String()
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(l + "\n")
		default:
			// Prose, one line per block, for the commands written inline.
			blocks = append(blocks, block{lang: "prose", line: n, text: l})
		}
	}
	if cur != nil {
		t.Fatalf("%s:%d: unterminated code block", path, cur.line)
	}
	return blocks
}

// command is one shell command of a block, continuation lines joined and
// a trailing comment removed.
type command struct {
	line int
	text string
}

// assignment is a shell line that only sets variables (D=testdata/x).
var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=\S*(\s+[A-Za-z_][A-Za-z0-9_]*=\S*)*$`)

// shellCommands splits an sh block into its commands. A line that only
// sets variables is not a command of its own: it is put in front of the
// block's later commands, as the reader's shell would keep it.
func shellCommands(b block) []command {
	var out []command
	var cur strings.Builder
	var vars []string
	start := 0
	for k, l := range strings.Split(strings.TrimRight(b.text, "\n"), "\n") {
		if cur.Len() == 0 {
			start = b.line + 1 + k
		}
		l = stripComment(l)
		if strings.HasSuffix(l, `\`) {
			cur.WriteString(strings.TrimSuffix(l, `\`) + " ")
			continue
		}
		cur.WriteString(l)
		s := strings.TrimSpace(cur.String())
		cur.Reset()
		switch {
		case s == "":
		case assignment.MatchString(s):
			vars = append(vars, s)
		default:
			if len(vars) > 0 {
				s = strings.Join(vars, "; ") + "; " + s
			}
			out = append(out, command{line: start, text: s})
		}
	}
	return out
}

// noUpdateFlag finds the package whose test binary refused -update.
var noUpdateFlag = regexp.MustCompile(`(?s)flag provided but not defined: -update.*?\nFAIL\s+(\S+)`)

// reportsFindings reports whether a failed command is a check that exits 1
// to report what it found, as documented: check-inject gates CI on lint
// errors and stale pods, and prints its own errors as "check-inject: ...",
// which still fail the test.
func reportsFindings(cmd string, err error, stderr string) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(cmd, "./examples/check-inject") {
		return false
	}
	return !strings.Contains(stderr, "check-inject: ")
}

// notRun says why a command is not run, or "" to run it. Image tooling
// (docker, kind) needs a container runtime the tests do not have: the
// files a docker build names are checked instead.
func notRun(cmd, work string) string {
	f := strings.Fields(cmd)
	switch {
	case len(f) == 0:
		return ""
	case f[0] == "kind":
		return "kind needs a container runtime"
	case f[0] == "docker" && len(f) > 1 && f[1] == "build":
		for i := 2; i+1 < len(f); i++ {
			if f[i] == "-f" {
				if _, err := os.Stat(filepath.Join(work, f[i+1])); err != nil {
					return "" // run it, so the missing Dockerfile fails the test
				}
			}
		}
		return "docker build needs a container runtime; the Dockerfile it names exists"
	case f[0] == "docker":
		return "docker needs a container runtime"
	}
	return ""
}

// inlineCommand matches a code span of prose that is a command (not a
// flag or a name): a go or bash command line. kubectl in prose describes
// output (`kubectl get -o yaml`); the kubectl commands to run are in the
// sh blocks.
var inlineCommand = regexp.MustCompile("`((?:go (?:run|test|build|vet|doc|install)|bash) [^`]+)`")

// inlineCommands are the commands written in a prose line's code spans.
func inlineCommands(b block) []command {
	var out []command
	for _, m := range inlineCommand.FindAllStringSubmatch(b.text, -1) {
		out = append(out, command{line: b.line, text: m[1]})
	}
	return out
}

// stripComment cuts a shell comment: a # at the start of a word, outside
// quotes.
func stripComment(l string) string {
	var quote byte
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t'):
			return strings.TrimRight(l[:i], " \t")
		}
	}
	return l
}

// TestREADME proves the README true, in a copy of the repository: every
// command it shows runs (commands), and its Go compiles and its policy case
// file passes (code).
//
// Commands: every command of an sh block runs, except the e2e suite's (it
// builds a Kubernetes control plane; CI runs it on its own), with the
// README's manifest (deployment.yaml) at hand and a kubectl that answers
// from a recorded cluster. `go test` commands over the same packages are
// run together, once, with every flag they pass and -list '^$' appended:
// every test binary is built and given every flag (an undefined -update
// fails), but no test runs, so the commands are proved without running the
// suite inside itself, and at the cost of one build.
//
// Code: a Go block that is a whole file is built as a program, one of
// top-level declarations is vetted as a test file with the imports it
// names; a bare statement sequence is an excerpt and is not compiled. A
// YAML block holding a policytest case file must pass.
func TestREADME(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module's test binaries and the programs; not in -short")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeBlocks(t, filepath.Join(root, "README.md"))
	work := workDir(t, root)
	copyRepo(t, root, work)
	env := readmeEnv(t, root, work)
	t.Run("commands", func(t *testing.T) { runCommands(t, blocks, work, env) })
	t.Run("code", func(t *testing.T) { checkCode(t, blocks, work, env) })
}

// readmeEnv prepares the copy for the README's commands: the reader's own
// manifest, and the fake kubectl first on PATH.
func readmeEnv(t *testing.T, root, work string) []string {
	t.Helper()
	// The README's "deployment.yaml" is the reader's own manifest.
	copyFile(t, filepath.Join(root, "testdata", "examples", "deployment.yaml"), filepath.Join(work, "deployment.yaml"))
	bin := filepath.Join(t.TempDir(), "bin")
	kubectlDir := filepath.Join(t.TempDir(), "cluster")
	writeFakeCluster(t, kubectlDir, root)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("#!/bin/sh\n%s=%q exec %q \"$@\"\n", envFakeKubectl, kubectlDir, self)
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// workDir is where the copy of the repository goes: the same directory on
// every run from the same checkout (the build cache keys a package on its
// directory, so a new one each run would rebuild the module every time),
// emptied first, and held by this run alone (lockDir).
func workDir(t *testing.T, root string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("kinject-readme-%x", sum[:6]))
	unlock := lockDir(t, dir+".lock")
	t.Cleanup(func() {
		os.RemoveAll(dir)
		unlock()
	})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runCommands(t *testing.T, blocks []block, work string, env []string) {
	var commands []command
	for _, b := range blocks {
		switch b.lang {
		case "sh", "bash", "shell", "console":
			commands = append(commands, shellCommands(b)...)
		case "prose":
			commands = append(commands, inlineCommands(b)...)
		}
	}
	// Deadline: fail with the README line that was running, not a panic.
	ctx := context.Background()
	if d, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-30*time.Second))
		defer cancel()
	}
	var runs []command
	merged := map[string]*goTestRun{} // `go test` commands, by package list
	for _, c := range commands {
		name := fmt.Sprintf("README.md:%d", c.line)
		if strings.Contains(c.text, "examples/webhook/e2e/run.sh") {
			t.Logf("%s: not run here (the e2e suite; CI runs it): %s", name, c.text)
			continue
		}
		if why := notRun(c.text, work); why != "" {
			t.Logf("%s: not run here (%s): %s", name, why, c.text)
			continue
		}
		if pkgs, flags, ok := parseGoTest(c.text); ok {
			g := merged[pkgs]
			if g == nil {
				g = &goTestRun{pkgs: pkgs, flags: map[string]bool{}}
				merged[pkgs] = g
				runs = append(runs, command{line: c.line, text: "\x00" + pkgs})
			}
			for _, f := range flags {
				if !g.flags[f] {
					g.flags[f] = true
					g.order = append(g.order, f)
				}
			}
			g.lines = append(g.lines, name)
			continue
		}
		runs = append(runs, c)
	}
	if len(runs) == 0 {
		t.Fatal("no commands found in README.md")
	}
	for _, c := range runs {
		name, run := fmt.Sprintf("README.md:%d", c.line), c.text
		if pkgs, ok := strings.CutPrefix(run, "\x00"); ok {
			// Every `go test` command over the same packages, at once: one
			// build of the test binaries, each given every flag the README
			// passes them, and -list so that no test runs.
			g := merged[pkgs]
			name = strings.Join(g.lines, ",")
			// go test's own flags go before the packages, the test
			// binaries' (-update) after them, where go test passes them on.
			var own, theirs []string
			for _, f := range g.order {
				if strings.HasPrefix(f, "-update") {
					theirs = append(theirs, f)
				} else {
					own = append(own, f)
				}
			}
			run = strings.Join(append(append(append([]string{"go test"}, own...), pkgs), theirs...), " ") + " -list '^$'"
		}
		t.Run(name, func(t *testing.T) {
			cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", run)
			cmd.Dir, cmd.Env = work, env
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil && !reportsFindings(run, err, stderr.String()) {
				if m := noUpdateFlag.FindStringSubmatch(stdout.String()); m != nil {
					t.Errorf("package %s does not accept -update: give it the flag (copy internal/fieldpaths/update_flag_test.go) so that `go test ./... -update` runs", m[1])
				}
				t.Fatalf("%s\n%v\nstderr:\n%s\nstdout (first 2000 bytes):\n%.2000s", run, err, stderr.String(), stdout.String())
			}
			if strings.HasPrefix(run, "go run ./examples/kube-inject") && !strings.Contains(stdout.String(), "name: istio-proxy") {
				t.Errorf("%s: printed no injected sidecar:\n%.2000s", run, stdout.String())
			}
		})
	}
}

// goTestRun merges the README's `go test` commands over one package list.
type goTestRun struct {
	pkgs  string
	flags map[string]bool
	order []string // flags, first seen first
	lines []string // README lines merged
}

// parseGoTest splits `go test [flags] packages [flags]` into its packages
// and its flags (a flag and its value as one string: "-bench ."), when
// every flag is one that only selects what runs or what the tests do
// (so commands can be merged without changing how anything is built).
func parseGoTest(cmd string) (pkgs string, flags []string, ok bool) {
	f := strings.Fields(cmd)
	if len(f) < 2 || f[0] != "go" || f[1] != "test" {
		return "", nil, false
	}
	withValue := map[string]bool{"-bench": true, "-run": true, "-count": true, "-benchtime": true, "-timeout": true}
	alone := map[string]bool{"-benchmem": true, "-update": true, "-v": true, "-short": true}
	var packages []string
	for i := 2; i < len(f); i++ {
		switch a := f[i]; {
		case withValue[a] && i+1 < len(f):
			flags = append(flags, a+" "+f[i+1])
			i++
		case alone[a]:
			flags = append(flags, a)
		case strings.HasPrefix(a, "-"):
			return "", nil, false // a build flag or anything unknown: run the command as it is
		default:
			packages = append(packages, a)
		}
	}
	if len(packages) == 0 {
		packages = []string{"."}
	}
	return strings.Join(packages, " "), flags, true
}

func checkCode(t *testing.T, blocks []block, work string, env []string) {
	checked := 0
	for n, b := range blocks {
		name := fmt.Sprintf("README.md:%d", b.line)
		dir := filepath.Join(work, "examples", fmt.Sprintf("readme-snippet-%d", n))
		switch {
		case b.lang == "go" && strings.HasPrefix(strings.TrimSpace(b.text), "package "):
			checked++
			buildSnippet(t, name, dir, "main.go", b.text, env, "build", "-o", os.DevNull)
		case b.lang == "go" && strings.HasPrefix(strings.TrimSpace(b.text), "func "):
			checked++
			buildSnippet(t, name, dir, "snippet_test.go", "package snippet\n\n"+imports(b.text)+"\n"+b.text, env, "vet")
		case b.lang == "go":
			t.Logf("%s: a Go excerpt (statements), not compiled", name)
		case b.lang == "yaml" && strings.Contains("\n"+b.text, "\ncases:"):
			checked++
			failures, err := policytest.CheckFile(name, []byte(b.text))
			if err != nil {
				t.Errorf("%s: the policy case file does not load: %v", name, err)
			}
			for _, f := range failures {
				t.Errorf("%s: a case of the README fails:\n%s", name, f)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no Go or case-file blocks found in README.md")
	}
}

// buildSnippet compiles one README block as a package of the copy's
// module, so it sees the library as a user's code would.
func buildSnippet(t *testing.T, name, dir, file, src string, env []string, goArgs ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", append(goArgs, ".")...)
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: the README's Go does not compile (go %s: %v):\n%s\n%s", name, strings.Join(goArgs, " "), err, out, src)
	}
}

// imports gives a declaration excerpt the imports its identifiers name.
func imports(src string) string {
	known := []struct{ ident, path string }{
		{"context.", "context"}, {"errors.", "errors"}, {"fmt.", "fmt"}, {"io.", "io"}, {"log.", "log"},
		{"http.", "net/http"}, {"os.", "os"}, {"testing.", "testing"},
		{"inject.", "github.com/kinject/kinject/inject"}, {"policy.", "github.com/kinject/kinject/policy"},
		{"policytest.", "github.com/kinject/kinject/policy/policytest"}, {"template.", "github.com/kinject/kinject/template"},
		{"patch.", "github.com/kinject/kinject/patch"}, {"cluster.", "github.com/kinject/kinject/inject/cluster"},
	}
	var b strings.Builder
	b.WriteString("import (\n")
	for _, k := range known {
		// An identifier, not the end of a path or a file name ("injection-policy.yaml").
		if regexp.MustCompile(`(^|[^\w./-])` + regexp.QuoteMeta(k.ident)).MatchString(src) {
			fmt.Fprintf(&b, "\t%q\n", k.path)
		}
	}
	b.WriteString(")\n")
	return b.String()
}

// copyRepo copies the repository's files (not .git) from src to dst.
func copyRepo(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.Name() == ".git" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // a worktree's pointer file
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			copyFile(t, path, target)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

// writeFakeCluster records the cluster the fake kubectl answers from: the
// revisionless install with kinject's embedded configuration (ConfigMaps
// istio-sidecar-injector and istio), the two-revision install of
// ../shared/istio-cluster when it is there, a namespace labelled for
// injection, and the README's deployment.
func writeFakeCluster(t *testing.T, dir, root string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	config, values, mesh := inject.DefaultConfigFiles()
	configMaps := []any{
		configMap("istio-sidecar-injector", map[string]string{"config": string(config), "values": string(values)}),
		configMap("istio", map[string]string{"mesh": string(mesh)}),
	}
	var webhooks []any
	if shared := sharedCluster(root); shared != "" {
		configMaps = append(configMaps, listItems(t, filepath.Join(shared, "configmaps.yaml"))...)
		webhooks = listItems(t, filepath.Join(shared, "webhooks.yaml"))
	}
	namespaces := []any{map[string]any{"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": "shop", "labels": map[string]string{"istio-injection": "enabled"}}}}
	var deployment any
	b, err := os.ReadFile(filepath.Join(root, "testdata", "examples", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &deployment); err != nil {
		t.Fatal(err)
	}
	for file, items := range map[string][]any{
		"configmaps.yaml": configMaps, "webhooks.yaml": webhooks,
		"namespaces.yaml": namespaces, "workloads.yaml": {deployment},
	} {
		out, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func configMap(name string, data map[string]string) any {
	return map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": name, "namespace": "istio-system"}, "data": data}
}

// sharedCluster is ../shared/istio-cluster beside the checkout, or "".
func sharedCluster(root string) string {
	for _, dir := range []string{filepath.Join(root, "..", "shared", "istio-cluster"), "/work/shared/istio-cluster"} {
		if _, err := os.Stat(filepath.Join(dir, "configmaps.yaml")); err == nil {
			return dir
		}
	}
	return ""
}

func listItems(t *testing.T, path string) []any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []any `json:"items"`
	}
	if err := yaml.Unmarshal(b, &list); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return list.Items
}

// fakeKubectl answers the kubectl commands the README shows from the
// recorded cluster in dir: `get configmap NAME -n NS -o jsonpath={.data.KEY}`
// and `get RESOURCES [-n NS | -A] -o yaml`, and accepts well-formed
// changes (fakeChange). Anything else fails, naming the command, so a new
// README command is noticed here.
func fakeKubectl(dir string, args []string) int {
	var ns, output, kustomize string
	var words []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-n" || a == "--namespace" || a == "-o" || a == "--output":
			if i+1 < len(args) {
				i++
				if a == "-n" || a == "--namespace" {
					ns = args[i]
				} else {
					output = args[i]
				}
			}
		case strings.HasPrefix(a, "-o="), strings.HasPrefix(a, "--output="):
			_, output, _ = strings.Cut(a, "=")
		case strings.HasPrefix(a, "--namespace="):
			_, ns, _ = strings.Cut(a, "=")
		case a == "-k" || a == "--kustomize":
			if i+1 < len(args) {
				i++
				kustomize = args[i]
			}
		case a == "--overwrite":
		case a == "-A" || a == "--all-namespaces":
		case strings.HasPrefix(a, "-"):
			return fail(args, "flag "+a)
		default:
			words = append(words, a)
		}
	}
	if len(words) >= 1 && (words[0] == "apply" || words[0] == "label") {
		return fakeChange(args, words, kustomize)
	}
	if len(words) < 2 || words[0] != "get" {
		return fail(args, "only get, apply -k and label are recorded")
	}
	resource := words[1]
	if key, ok := strings.CutPrefix(output, "jsonpath={.data."); ok && len(words) == 3 &&
		(resource == "configmap" || resource == "configmaps" || resource == "cm") {
		key = strings.TrimSuffix(key, "}")
		var list struct {
			Items []struct {
				Metadata struct{ Name, Namespace string }
				Data     map[string]string
			}
		}
		b, err := os.ReadFile(filepath.Join(dir, "configmaps.yaml"))
		if err == nil {
			err = yaml.Unmarshal(b, &list)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake kubectl:", err)
			return 1
		}
		for _, cm := range list.Items {
			if cm.Metadata.Name == words[2] && (ns == "" || cm.Metadata.Namespace == ns) {
				fmt.Print(cm.Data[key])
				return 0
			}
		}
		fmt.Fprintf(os.Stderr, "Error from server (NotFound): configmaps %q not found\n", words[2])
		return 1
	}
	if output != "yaml" || len(words) != 2 {
		return fail(args, "only -o yaml lists and -o jsonpath={.data.KEY} of one ConfigMap are recorded")
	}
	var file string
	switch {
	case resource == "configmap" || resource == "configmaps" || resource == "cm":
		file = "configmaps.yaml"
	case resource == "mutatingwebhookconfigurations" || resource == "mutatingwebhookconfiguration":
		file = "webhooks.yaml"
	case resource == "namespaces" || resource == "namespace" || resource == "ns":
		file = "namespaces.yaml"
	case strings.Contains(","+resource+",", ",pods,") || strings.Contains(","+resource+",", ",deployments,"):
		file = "workloads.yaml"
	default:
		return fail(args, "resource "+resource)
	}
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake kubectl:", err)
		return 1
	}
	os.Stdout.Write(b)
	return 0
}

// fakeChange accepts the README's changes to a cluster when they are well
// formed: `apply -k DIR` of a directory with a kustomization.yaml, `label
// namespace NAME KEY=VALUE|KEY-...`.
func fakeChange(args, words []string, kustomize string) int {
	switch words[0] {
	case "apply":
		if kustomize == "" || len(words) != 1 {
			return fail(args, "only apply -k DIR is recorded")
		}
		if _, err := os.Stat(filepath.Join(kustomize, "kustomization.yaml")); err != nil {
			fmt.Fprintf(os.Stderr, "error: unable to find one of 'kustomization.yaml' in directory %q\n", kustomize)
			return 1
		}
	case "label":
		if len(words) < 4 || (words[1] != "namespace" && words[1] != "namespaces" && words[1] != "ns") {
			return fail(args, "only label namespace NAME KEY=VALUE is recorded")
		}
		for _, l := range words[3:] {
			if k, _, ok := strings.Cut(l, "="); (!ok && !strings.HasSuffix(l, "-")) || k == "" {
				fmt.Fprintf(os.Stderr, "error: invalid label %q\n", l)
				return 1
			}
		}
	}
	return 0
}

func fail(args []string, why string) int {
	fmt.Fprintf(os.Stderr, "fake kubectl (examples/readme_test.go): %s not recorded: kubectl %s\n", why, strings.Join(args, " "))
	return 1
}
