package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kinject/kinject/examples/webhook/e2e/internal/cluster"
	"github.com/kinject/kinject/examples/webhook/e2e/internal/kubebin"
)

// The suite is opt-in: it needs kube-apiserver and etcd, which take minutes
// to build the first time.
const envEnable = "KINJECT_E2E"

// envCorpus overrides where Istio's injection corpus (the source of the
// webhook's inject config, values and mesh config) is read from.
const envCorpus = "KINJECT_ISTIO_CORPUS"

// suite is what TestMain set up, shared read-only by every test. Tests run
// one after another: webhook configurations are cluster-wide, so each test
// installs exactly the ones it needs.
type suite struct {
	skip   string // non-empty: why every test skips
	err    error  // non-nil: why every test fails
	dir    string // temporary directory for the run
	cl     *cluster.Cluster
	client kubernetes.Interface
	rest   *rest.Config
	// warnings records the admission warnings the client receives.
	warnings *warningRecorder

	ca         *cluster.CA
	caFile     string // ca.PEM on disk, for the webhook's config --ca-bundle
	webhookBin string // built examples/webhook, or "" with webhookErr
	webhookErr error
	corpus     string // Istio corpus directory, or "" with corpusErr
	corpusErr  error
}

var the suite

// inCI is true under CI=true, where the suite must fail, never skip.
func inCI() bool { return os.Getenv("CI") == "true" }

func TestMain(m *testing.M) {
	flag.Parse()
	if os.Getenv(envEnable) == "" && !inCI() {
		the.skip = "end-to-end tests need a real kube-apiserver and etcd (built from source once, several minutes cold); set " +
			envEnable + "=1 to run them, or use examples/webhook/e2e/run.sh"
		os.Exit(m.Run())
	}
	code := func() int {
		setup()
		defer teardown()
		return m.Run()
	}()
	os.Exit(code)
}

func setup() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kinject-e2e-")
	if err != nil {
		the.err = err
		return
	}
	the.dir = dir
	moduleDir, err := os.Getwd()
	if err != nil {
		the.err = err
		return
	}
	start := time.Now()
	bins, err := kubebin.Ensure(ctx, filepath.Join(moduleDir, "kubebuild"), os.Stderr)
	if err != nil {
		the.err = fmt.Errorf("building kube-apiserver and etcd: %w", err)
		return
	}
	fmt.Fprintf(os.Stderr, "e2e: binaries ready in %s (%s)\n", time.Since(start).Round(time.Millisecond), bins.Dir)

	// Build the webhook example from the repository root, as its users
	// would, so it is compiled against the library's own go.mod
	// requirements (k8s.io/api v0.33) rather than this module's.
	the.ca, err = cluster.NewCA()
	if err != nil {
		the.err = err
		return
	}
	the.caFile = filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(the.caFile, the.ca.PEM, 0o600); err != nil {
		the.err = err
		return
	}
	// The binary is built with the Dockerfile's own command, so the suite
	// tests what the image runs, and checked to be static.
	the.webhookBin = filepath.Join(dir, "webhook")
	if err := buildLikeDockerfile(ctx, filepath.Join(moduleDir, "..", "..", ".."), the.webhookBin); err != nil {
		the.webhookBin = ""
		the.webhookErr = fmt.Errorf("building examples/webhook as its Dockerfile does: %w", err)
	}
	the.corpus, the.corpusErr = findCorpus(moduleDir)

	start = time.Now()
	the.cl, err = cluster.Start(ctx, cluster.Options{
		Etcd:          bins.Etcd,
		KubeAPIServer: bins.KubeAPIServer,
		Dir:           filepath.Join(dir, "cluster"),
		// hostnameOverride is a v1.34 field the library's k8s.io/api v0.33
		// does not know: TestUnknownFieldSurvives needs the server to keep it.
		ExtraAPIServerArgs: []string{"--feature-gates=HostnameOverride=true"},
	})
	if err != nil {
		the.err = err
		return
	}
	fmt.Fprintf(os.Stderr, "e2e: etcd and kube-apiserver ready in %s at %s\n", time.Since(start).Round(time.Millisecond), the.cl.Host)
	the.rest = &rest.Config{
		Host:            the.cl.Host,
		BearerToken:     the.cl.Token,
		TLSClientConfig: rest.TLSClientConfig{CAData: the.cl.CAData},
		// The default 5 QPS would measure client-go's rate limiter, not
		// the API server or the webhook.
		QPS:   1000,
		Burst: 2000,
	}
	the.warnings = &warningRecorder{}
	the.rest.WarningHandler = the.warnings
	the.client, err = kubernetes.NewForConfig(the.rest)
	if err != nil {
		the.err = err
	}
}

func teardown() {
	if the.cl != nil {
		if err := the.cl.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: stopping cluster:", err)
		}
	}
	if the.dir != "" && os.Getenv("KINJECT_E2E_KEEP") == "" {
		os.RemoveAll(the.dir)
	} else if the.dir != "" {
		fmt.Fprintln(os.Stderr, "e2e: kept", the.dir)
	}
}

// needCluster skips or fails t when the suite could not start.
func needCluster(t testing.TB) {
	t.Helper()
	if the.skip != "" {
		t.Skip(the.skip)
	}
	if the.err != nil {
		t.Fatal(the.err)
	}
}

// needWebhook is needCluster plus the webhook binary and its configuration.
func needWebhook(t testing.TB) {
	t.Helper()
	needCluster(t)
	if the.webhookErr != nil {
		t.Fatal(the.webhookErr)
	}
	if the.corpusErr != nil {
		if inCI() {
			t.Fatal(the.corpusErr)
		}
		t.Skip(the.corpusErr)
	}
}

// findCorpus locates Istio's injection corpus: $KINJECT_ISTIO_CORPUS, else
// shared/istio-corpus beside the repository checkout.
func findCorpus(moduleDir string) (string, error) {
	dir := os.Getenv(envCorpus)
	if dir == "" {
		dir = filepath.Join(moduleDir, "..", "..", "..", "..", "shared", "istio-corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "shared", "inject-config", "default.yaml")); err != nil {
		return "", fmt.Errorf("istio corpus not found (set %s): %w", envCorpus, errors.Unwrap(err))
	}
	return dir, nil
}

// warningRecorder keeps the warnings the API server returns (admission
// webhooks' warnings among them) instead of logging them.
type warningRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningRecorder) HandleWarningHeader(code int, agent, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

// take returns the warnings received since the last take.
func (w *warningRecorder) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.msgs
	w.msgs = nil
	return m
}
