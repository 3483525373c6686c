// Package kubebin builds the two server binaries the end-to-end tests run:
// kube-apiserver from k8s.io/kubernetes and etcd from go.etcd.io/etcd/server,
// both at the versions pinned in the kubebuild module's go.mod.
//
// kubebuild is a module of its own (examples/webhook/e2e/kubebuild) so that
// neither the library nor the end-to-end tests require k8s.io/kubernetes:
// the tests use client-go at the library's own k8s.io/api version.
//
// Release binaries cannot be downloaded on the machines this project runs on
// (setup-envtest fails there), but the Go module proxy is reachable, so the
// binaries are compiled from source once and cached outside the repository in
// a directory keyed by the Kubernetes, etcd and Go versions. A cold build of
// kube-apiserver takes several minutes of two cores; later runs find the
// binaries in the cache and start at once.
package kubebin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Versions of what is built. They must match kubebuild/go.mod; the
// cache directory is keyed by them so that changing one forces a rebuild.
const (
	KubeVersion = "v1.34.4"
	EtcdVersion = "v3.6.4"
)

// EnvCacheDir, when set, is the directory that holds the versioned binary
// directories instead of the user cache directory's "kinject" folder.
const EnvCacheDir = "KINJECT_E2E_CACHE"

// Binaries are the absolute paths of the built executables.
type Binaries struct {
	// KubeAPIServer is the path of the kube-apiserver executable.
	KubeAPIServer string
	// Etcd is the path of the etcd executable.
	Etcd string
	// Dir is the versioned cache directory that holds both.
	Dir string
}

// ErrBuild reports that a binary could not be built; the wrapped message
// includes the tail of the compiler's output.
var ErrBuild = errors.New("kubebin: build failed")

// Dir returns the versioned cache directory for the Go toolchain goVersion
// (as printed by "go env GOVERSION"), without creating it.
func Dir(goVersion string) (string, error) {
	root := os.Getenv(EnvCacheDir)
	if root == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("kubebin: no cache directory (set %s): %w", EnvCacheDir, err)
		}
		root = filepath.Join(c, "kinject")
	}
	name := fmt.Sprintf("kube-%s-etcd-%s-%s", KubeVersion, EtcdVersion, goVersion)
	return filepath.Join(root, name), nil
}

// Ensure returns the cached binaries, building whichever is missing.
// buildDir is the kubebuild module's directory: the builds run there so
// that its requirements and replace lines apply. Build output is copied to
// log, which may be nil.
func Ensure(ctx context.Context, buildDir string, log io.Writer) (Binaries, error) {
	if log == nil {
		log = io.Discard
	}
	goVersion, err := goEnv(ctx, buildDir, "GOVERSION")
	if err != nil {
		return Binaries{}, err
	}
	dir, err := Dir(goVersion)
	if err != nil {
		return Binaries{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Binaries{}, fmt.Errorf("kubebin: %w", err)
	}
	b := Binaries{
		KubeAPIServer: filepath.Join(dir, "kube-apiserver"),
		Etcd:          filepath.Join(dir, "etcd"),
		Dir:           dir,
	}
	builds := []struct {
		out, pkg, ldflags string
	}{
		{b.Etcd, "./cmd/etcd", ""},
		{b.KubeAPIServer, "k8s.io/kubernetes/cmd/kube-apiserver", kubeLDFlags()},
	}
	for _, bl := range builds {
		if isExecutable(bl.out) {
			fmt.Fprintf(log, "kubebin: using cached %s\n", bl.out)
			continue
		}
		if err := build(ctx, buildDir, bl.out, bl.pkg, bl.ldflags, log); err != nil {
			return Binaries{}, err
		}
	}
	return b, nil
}

// kubeLDFlags stamps the version the way Kubernetes' own build does, so that
// the server reports v1.34.4 rather than v0.0.0-master.
func kubeLDFlags() string {
	minor := strings.SplitN(strings.TrimPrefix(KubeVersion, "v"), ".", 3)
	var flags []string
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		for _, kv := range [][2]string{
			{"gitVersion", KubeVersion},
			{"gitMajor", minor[0]},
			{"gitMinor", minor[1]},
			{"gitTreeState", "clean"},
			{"buildDate", "1970-01-01T00:00:00Z"},
		} {
			flags = append(flags, fmt.Sprintf("-X %s.%s=%s", pkg, kv[0], kv[1]))
		}
	}
	return "-s -w " + strings.Join(flags, " ")
}

func build(ctx context.Context, buildDir, out, pkg, ldflags string, log io.Writer) error {
	tmp := fmt.Sprintf("%s.tmp-%d", out, os.Getpid())
	args := []string{"build", "-o", tmp}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	args = append(args, pkg)
	fmt.Fprintf(log, "kubebin: building %s (go %s)\n", out, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = buildDir
	// Static binaries, as Kubernetes ships them; this also keeps the build
	// working on machines without a C compiler.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	tail := &tailWriter{max: 4096}
	cmd.Stdout = io.MultiWriter(log, tail)
	cmd.Stderr = io.MultiWriter(log, tail)
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%w: %s: %v\n%s", ErrBuild, pkg, err, tail.String())
	}
	// Rename is atomic, so a concurrent run sees either no binary or a whole one.
	if err := os.Rename(tmp, out); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("kubebin: %w", err)
	}
	return nil
}

func goEnv(ctx context.Context, dir, key string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", key)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%w: go env %s: %v", ErrBuild, key, err)
	}
	v := strings.TrimSpace(string(out))
	if v == "" {
		return "", fmt.Errorf("%w: go env %s is empty", ErrBuild, key)
	}
	return v, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	max int
	buf []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	if len(w.buf) > w.max {
		w.buf = w.buf[len(w.buf)-w.max:]
	}
	return len(p), nil
}

func (w *tailWriter) String() string { return string(w.buf) }
