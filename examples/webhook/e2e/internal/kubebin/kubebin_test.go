package kubebin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDir(t *testing.T) {
	root := t.TempDir()
	t.Setenv(EnvCacheDir, root)
	tests := []struct {
		name, reason, goVersion, want string
	}{
		{"current go", "the directory names every version that changes the binaries",
			"go1.26.8", "kube-v1.34.4-etcd-v3.6.4-go1.26.8"},
		{"other go", "a new toolchain gets its own directory, so it rebuilds",
			"go1.27.0", "kube-v1.34.4-etcd-v3.6.4-go1.27.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Dir(tt.goVersion)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(root, tt.want); got != want {
				t.Errorf("Dir(%q) = %q, want %q (%s)", tt.goVersion, got, want, tt.reason)
			}
		})
	}
}

func TestVersionsMatchKubebuild(t *testing.T) {
	// The cache key is only honest if the constants are the versions the
	// kubebuild module actually builds.
	b, err := os.ReadFile(filepath.Join("..", "..", "kubebuild", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mod := string(b)
	for _, want := range []string{
		"k8s.io/kubernetes " + KubeVersion,
		"go.etcd.io/etcd/server/v3 " + EtcdVersion,
		"k8s.io/api => k8s.io/api v0." + strings.TrimPrefix(KubeVersion, "v1."),
	} {
		if !strings.Contains(mod, want) {
			t.Errorf("kubebuild/go.mod does not contain %q", want)
		}
	}
}

func TestKubeLDFlags(t *testing.T) {
	flags := kubeLDFlags()
	for _, want := range []string{
		"-X k8s.io/component-base/version.gitVersion=v1.34.4",
		"-X k8s.io/component-base/version.gitMajor=1",
		"-X k8s.io/component-base/version.gitMinor=34",
		"-X k8s.io/client-go/pkg/version.gitVersion=v1.34.4",
	} {
		if !strings.Contains(flags, want) {
			t.Errorf("ldflags %q lack %q", flags, want)
		}
	}
}

func TestEnsure(t *testing.T) {
	tests := []struct {
		name, reason string
		cached       bool
		wantErr      error
		wantLog      string
		wantErrText  string
	}{
		{"cached", "binaries already in the cache are used, nothing is built",
			true, nil, "using cached", ""},
		{"build fails", "a failed build is an error callers can recognise, with the go command's words",
			false, ErrBuild, "building", "go.mod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvCacheDir, t.TempDir())
			// An empty directory: no go.mod, so any build there fails fast.
			buildDir := t.TempDir()
			if tt.cached {
				dir, err := Dir(goVersion(t, buildDir))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				for _, name := range []string{"etcd", "kube-apiserver"} {
					if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
						t.Fatal(err)
					}
				}
			}
			var log bytes.Buffer
			b, err := Ensure(context.Background(), buildDir, &log)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Ensure: err = %v, want %v (%s)", err, tt.wantErr, tt.reason)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantErrText) {
				t.Errorf("error %q lacks %q (%s)", err, tt.wantErrText, tt.reason)
			}
			if !strings.Contains(log.String(), tt.wantLog) {
				t.Errorf("log %q lacks %q (%s)", log.String(), tt.wantLog, tt.reason)
			}
			if err == nil && (filepath.Base(b.Etcd) != "etcd" || filepath.Base(b.KubeAPIServer) != "kube-apiserver") {
				t.Errorf("binaries %+v", b)
			}
		})
	}
}

func goVersion(t *testing.T, dir string) string {
	t.Helper()
	v, err := goEnv(context.Background(), dir, "GOVERSION")
	if err != nil {
		t.Fatal(err)
	}
	return v
}
