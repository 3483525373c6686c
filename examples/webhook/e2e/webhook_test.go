package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/examples/webhook/e2e/internal/cluster"
	"github.com/kinject/kinject/policy"
)

// webhook is one running examples/webhook process serving one revision.
type webhook struct {
	rev         policy.Revision
	url         string   // https://127.0.0.1:port/inject
	metricsURL  string   // http://127.0.0.1:port/metrics
	configFlags []string // the configuration flags it runs with, for `webhook config`
	proc        *cluster.Process
}

// webhookConfig is what a webhook process is started with, beyond the
// corpus's default inject config and mesh config.
type webhookConfig struct {
	// Revision is the Istio revision ("" for the revisionless install); it
	// is written into values.json's "revision", which Istio's template
	// renders as the pod's istio.io/rev label.
	Revision string
	// Tag is values.json's global.tag, so tests can tell from the proxy
	// image which webhook injected a pod.
	Tag string
	// Embedded starts the webhook with no configuration flags at all, so
	// it uses kinject's embedded default configuration.
	Embedded bool
	// Binary is the program to run instead of examples/webhook (another
	// server on the library, such as examples/custom-webhook, taking the
	// same flags).
	Binary string
	// Files, when set, are the inject config, values and mesh config files
	// the webhook reads instead of the corpus's (Revision still sets
	// --revision; Tag is not applied).
	Files *configFiles
	// Flags are more configuration flags (after the corpus's, if any).
	Flags []string
}

// configFiles are the three dumps of one revision's ConfigMaps, on disk.
type configFiles struct {
	InjectConfig, Values, Mesh string
}

// startWebhook starts the webhook example with a serving certificate from
// the suite's CA, on a free port. Unless cfg.Embedded, it runs with Istio's
// own default injection template, values and mesh config from the Istio
// corpus (values adjusted by cfg), so the cluster sees what an Istio user's
// configuration produces.
func startWebhook(t testing.TB, cfg webhookConfig) *webhook {
	t.Helper()
	if cfg.Embedded || cfg.Files != nil {
		needCluster(t)
		if the.webhookErr != nil {
			t.Fatal(the.webhookErr)
		}
	} else {
		needWebhook(t)
	}
	dir, err := os.MkdirTemp(the.dir, "webhook-")
	if err != nil {
		t.Fatal(err)
	}
	var configFlags []string
	switch {
	case cfg.Files != nil:
		configFlags = []string{
			"--injectConfigFile=" + cfg.Files.InjectConfig,
			"--valuesFile=" + cfg.Files.Values,
			"--meshConfigFile=" + cfg.Files.Mesh,
			"--revision=" + revName(cfg.Revision),
		}
	case !cfg.Embedded:
		values := filepath.Join(dir, "values.json")
		if err := writeValues(filepath.Join(the.corpus, "cases", "hello", "values.json"), values, cfg); err != nil {
			t.Fatal(err)
		}
		configFlags = []string{
			"--injectConfigFile=" + filepath.Join(the.corpus, "shared", "inject-config", "default.yaml"),
			"--valuesFile=" + values,
			"--meshConfigFile=" + filepath.Join(the.corpus, "cases", "hello", "mesh.yaml"),
			"--revision=" + revName(cfg.Revision),
		}
	}
	configFlags = append(configFlags, cfg.Flags...)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := the.ca.WriteServing(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	var last error
	for range 3 { // a free port may be taken before the webhook binds it
		ports, err := cluster.FreePorts(2)
		if err != nil {
			t.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
		args := []string{"--addr=" + addr, "--tls-cert=" + certFile, "--tls-key=" + keyFile}
		bin := the.webhookBin
		mon := ""
		if cfg.Binary != "" {
			bin = cfg.Binary
		} else {
			// The stock webhook's own flags: probes and metrics on a
			// plain-HTTP port, JSON logs.
			mon = fmt.Sprintf("127.0.0.1:%d", ports[1])
			args = append(args, "--monitoring-addr="+mon, "--log-format=json")
		}
		args = append(args, configFlags...)
		proc, err := cluster.StartProcess(dir, filepath.Base(bin)+"-"+revName(cfg.Revision), bin, args...)
		if err != nil {
			t.Fatal(err)
		}
		hc := caClient()
		probe := "/healthz"
		if mon != "" {
			probe = "/readyz" // the stock webhook: configuration loaded, certificate valid
		}
		last = proc.WaitFor(context.Background(), 30*time.Second, func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+probe, nil)
			if err != nil {
				return err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %s", probe, resp.Status)
			}
			return nil
		})
		if last == nil {
			w := &webhook{
				rev:         policy.Revision{Name: cfg.Revision},
				url:         "https://" + addr + "/inject",
				configFlags: configFlags,
				proc:        proc,
			}
			if mon != "" {
				w.metricsURL = "http://" + mon + "/metrics"
			}
			t.Cleanup(func() {
				if err := proc.Stop(5 * time.Second); err != nil {
					t.Error(err)
				}
			})
			return w
		}
		proc.Stop(time.Second)
		if !strings.Contains(proc.Tail(4000), "address already in use") {
			break
		}
	}
	t.Fatal(last)
	return nil
}

func revName(r string) string {
	if r == "" {
		return "default"
	}
	return r
}

// writeValues copies the corpus's values.json with the revision and image
// tag of cfg.
func writeValues(src, dst string, cfg webhookConfig) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	v["revision"] = cfg.Revision
	if cfg.Tag != "" {
		global, ok := v["global"].(map[string]any)
		if !ok {
			return fmt.Errorf("%s: no global section", src)
		}
		global["tag"] = cfg.Tag
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(dst, out, 0o600)
}

// caClient trusts certificates from the suite's CA.
func caClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(the.ca.PEM)
	return &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
}

// configurations returns the MutatingWebhookConfigurations for w's
// revision as the program generates them (`webhook config`, with the
// configuration flags w runs with), pointing at w's URL with the suite's
// CA: the selectors are policy's, exactly as the webhook decides with them.
func (w *webhook) configurations(t testing.TB, failure admissionregistrationv1.FailurePolicyType) []admissionregistrationv1.MutatingWebhookConfiguration {
	t.Helper()
	args := append([]string{"config", "--url=" + w.url, "--ca-bundle=" + the.caFile, "--failure-policy=" + string(failure)}, w.configFlags...)
	cmd := exec.Command(the.webhookBin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("webhook %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	var cfgs []admissionregistrationv1.MutatingWebhookConfiguration
	for _, doc := range bytes.Split(out, []byte("\n---\n")) {
		var c admissionregistrationv1.MutatingWebhookConfiguration
		if err := yaml.UnmarshalStrict(doc, &c); err != nil {
			t.Fatalf("webhook config printed something that is not a MutatingWebhookConfiguration: %v\n%s", err, doc)
		}
		cfgs = append(cfgs, c)
	}
	return cfgs
}

// install registers w's generated webhook configurations with the API
// server for the rest of the test, and waits until the API server calls
// them: a dry-run pod in a namespace that selects w's revision comes back
// injected (or is refused, for a webhook that is down and fails closed). It
// returns the name of the revision's own configuration.
func (w *webhook) install(t testing.TB, failure admissionregistrationv1.FailurePolicyType) string {
	t.Helper()
	cfgs := w.configurations(t, failure)
	api := the.client.AdmissionregistrationV1().MutatingWebhookConfigurations()
	for i := range cfgs {
		if _, err := api.Create(context.Background(), &cfgs[i], metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating MutatingWebhookConfiguration %s: %v", cfgs[i].Name, err)
		}
	}
	cfg := &cfgs[0]
	probe := namespace(t, revisionLabels(w.rev.Name))
	t.Cleanup(func() {
		for _, c := range cfgs {
			if err := api.Delete(context.Background(), c.Name, metav1.DeleteOptions{}); err != nil {
				t.Errorf("deleting MutatingWebhookConfiguration %s: %v", c.Name, err)
			}
		}
		// The API server drops a deleted configuration asynchronously;
		// wait so that the next test starts from a clean slate.
		waitUntil(t, 30*time.Second, "webhook "+cfg.Name+" removed", func(ctx context.Context) (bool, error) {
			got, err := dryRunPod(ctx, probe)
			if err == nil && hasContainer(got, "istio-proxy") {
				err = fmt.Errorf("probe pod still injected")
			}
			return err == nil, err
		})
	})
	waitUntil(t, 30*time.Second, "webhook "+cfg.Name+" in effect", func(ctx context.Context) (bool, error) {
		got, err := dryRunPod(ctx, probe)
		if w.proc == nil {
			return err != nil, nil // down: only failing closed is observable
		}
		if err == nil && !hasContainer(got, "istio-proxy") {
			err = fmt.Errorf("probe pod not injected (%s)", describe(got))
		}
		return err == nil, err
	})
	return cfg.Name
}

// dryRunPod creates a plain pod in ns with dryRun=All and returns what the
// API server would have stored.
func dryRunPod(ctx context.Context, ns string) (*corev1.Pod, error) {
	return the.client.CoreV1().Pods(ns).Create(ctx, podFor("probe"), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
}

// downWebhook is a webhook for revision r whose URL has nothing listening.
func downWebhook(t testing.TB, r string) *webhook {
	t.Helper()
	ports, err := cluster.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	return &webhook{rev: policy.Revision{Name: r}, url: fmt.Sprintf("https://127.0.0.1:%d/inject", ports[0]), configFlags: []string{"--revision=" + revName(r)}}
}

// revisionLabels are namespace labels that select revision r's injector.
func revisionLabels(r string) map[string]string {
	if r == "" {
		return map[string]string{"istio-injection": "enabled"}
	}
	return map[string]string{"istio.io/rev": r}
}

func hasContainer(p *corev1.Pod, name string) bool {
	return countContainers(p, name) > 0
}

// countContainers counts containers and init containers called name.
func countContainers(p *corev1.Pod, name string) int {
	n := 0
	for _, c := range p.Spec.Containers {
		if c.Name == name {
			n++
		}
	}
	for _, c := range p.Spec.InitContainers {
		if c.Name == name {
			n++
		}
	}
	return n
}
