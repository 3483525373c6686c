package main

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"
)

// hookOptions are the webhook configuration's settings that are not part
// of the injection policy: where the API server sends the reviews and how
// it treats the answers.
type hookOptions struct {
	serviceName, serviceNS, path string
	servicePort                  int
	url, caBundleFile            string
	failurePolicy                string
	timeoutSeconds               int
	reinvocationPolicy           string
	sideEffects                  string
}

func (h *hookOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&h.serviceName, "service-name", "kinject-webhook", "name of the webhook's Service")
	fs.StringVar(&h.serviceNS, "service-namespace", "kinject-system", "namespace of the webhook's Service")
	fs.IntVar(&h.servicePort, "service-port", 443, "port of the webhook's Service")
	fs.StringVar(&h.path, "path", "/inject", "path the API server calls")
	fs.StringVar(&h.url, "url", "", "https URL the API server calls instead of the Service (a webhook outside the cluster)")
	fs.StringVar(&h.caBundleFile, "ca-bundle", "", "PEM file of the CA that signed the webhook's certificate (default: none, the API server's own trust)")
	fs.StringVar(&h.failurePolicy, "failure-policy", "Fail", "what the API server does when the webhook cannot answer: Fail or Ignore")
	fs.IntVar(&h.timeoutSeconds, "timeout-seconds", 10, "how long the API server waits for an answer, 1 to 30")
	fs.StringVar(&h.reinvocationPolicy, "reinvocation-policy", "Never", "Never, or IfNeeded to be called again after later webhooks change the pod")
	fs.StringVar(&h.sideEffects, "side-effects", "None", "None or NoneOnDryRun (the injector has none)")
}

// clientConfig is where the API server calls.
func (h *hookOptions) clientConfig() (admissionregistrationv1.WebhookClientConfig, error) {
	var cc admissionregistrationv1.WebhookClientConfig
	if h.caBundleFile != "" {
		pem, err := os.ReadFile(h.caBundleFile)
		if err != nil {
			return cc, fmt.Errorf("--ca-bundle: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return cc, fmt.Errorf("--ca-bundle %s: no PEM certificate in it", h.caBundleFile)
		}
		cc.CABundle = pem
	}
	if h.url != "" {
		u, err := url.Parse(h.url)
		switch {
		case err != nil:
			return cc, fmt.Errorf("--url: %w", err)
		case u.Scheme != "https" || u.Host == "":
			return cc, fmt.Errorf("--url %q: the API server only calls https://HOST URLs", h.url)
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			return cc, fmt.Errorf("--url %q: the API server refuses a query, fragment or user in a webhook URL", h.url)
		}
		s := h.url
		cc.URL = &s
		return cc, nil
	}
	if h.servicePort < 1 || h.servicePort > 65535 {
		return cc, fmt.Errorf("--service-port %d is not a port", h.servicePort)
	}
	if h.serviceName == "" || h.serviceNS == "" {
		return cc, errors.New("--service-name and --service-namespace must not be empty")
	}
	path, port := h.path, int32(h.servicePort)
	cc.Service = &admissionregistrationv1.ServiceReference{Namespace: h.serviceNS, Name: h.serviceName, Path: &path, Port: &port}
	return cc, nil
}

// webhookConfigurations are the MutatingWebhookConfigurations that install
// rev: policy's Revision.Configurations (its Webhooks, exactly as Decide
// evaluates them, split as Istio's installer splits them: the revision's
// own configuration, then one per tag), with only the client configuration
// and the API server's handling of the answers set from h.
func webhookConfigurations(rev policy.Revision, h hookOptions) ([]admissionregistrationv1.MutatingWebhookConfiguration, error) {
	cc, err := h.clientConfig()
	if err != nil {
		return nil, err
	}
	fail := admissionregistrationv1.FailurePolicyType(h.failurePolicy)
	if fail != admissionregistrationv1.Fail && fail != admissionregistrationv1.Ignore {
		return nil, fmt.Errorf("--failure-policy %q: want Fail or Ignore", h.failurePolicy)
	}
	reinvoke := admissionregistrationv1.ReinvocationPolicyType(h.reinvocationPolicy)
	if reinvoke != admissionregistrationv1.NeverReinvocationPolicy && reinvoke != admissionregistrationv1.IfNeededReinvocationPolicy {
		return nil, fmt.Errorf("--reinvocation-policy %q: want Never or IfNeeded", h.reinvocationPolicy)
	}
	side := admissionregistrationv1.SideEffectClass(h.sideEffects)
	if side != admissionregistrationv1.SideEffectClassNone && side != admissionregistrationv1.SideEffectClassNoneOnDryRun {
		return nil, fmt.Errorf("--side-effects %q: want None or NoneOnDryRun (admissionregistration/v1 allows no others)", h.sideEffects)
	}
	if h.timeoutSeconds < 1 || h.timeoutSeconds > 30 {
		return nil, fmt.Errorf("--timeout-seconds %d: the API server accepts 1 to 30", h.timeoutSeconds)
	}
	if err := (policy.Mesh{Revisions: []policy.Revision{rev}}).Validate(); err != nil {
		return nil, err
	}
	timeout := int32(h.timeoutSeconds)
	cfgs := rev.Configurations()
	for i := range cfgs {
		for j := range cfgs[i].Webhooks {
			w := &cfgs[i].Webhooks[j]
			w.ClientConfig = *cc.DeepCopy()
			w.FailurePolicy, w.ReinvocationPolicy, w.SideEffects, w.TimeoutSeconds = &fail, &reinvoke, &side, &timeout
		}
		if cfgs[i].Labels == nil {
			cfgs[i].Labels = map[string]string{}
		}
		cfgs[i].Labels["app.kubernetes.io/managed-by"] = "kinject"
	}
	return cfgs, nil
}

// configMaps are the injector's ConfigMaps as Istio names them
// (istio-sidecar-injector[-REV] with keys config and values, istio[-REV]
// with key mesh), holding the configuration files given (or the embedded
// defaults) byte for byte.
func configMaps(s *source, namespace string) ([]corev1.ConfigMap, error) {
	cfg, err := s.config()
	if err != nil {
		return nil, err
	}
	inj, err := inject.New(cfg)
	if err != nil {
		return nil, err // never publish a configuration the server refuses
	}
	var files [3][]byte
	files[0], files[1], files[2] = inject.DefaultConfigFiles()
	for i, f := range []string{s.files.InjectConfig, s.files.Values, s.files.Mesh} {
		if f == "" {
			continue
		}
		if files[i], err = os.ReadFile(f); err != nil {
			return nil, err
		}
	}
	suffix := ""
	if r := inj.Revision(); r.Name != "" {
		suffix = "-" + r.Name
	}
	cm := func(name string, data map[string]string) corev1.ConfigMap {
		return corev1.ConfigMap{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: name + suffix, Namespace: namespace, Labels: map[string]string{"app.kubernetes.io/name": "kinject-webhook"}},
			Data:       data,
		}
	}
	return []corev1.ConfigMap{
		cm("istio-sidecar-injector", map[string]string{"config": string(files[0]), "values": string(files[1])}),
		cm("istio", map[string]string{"mesh": string(files[2])}),
	}, nil
}

// writeYAML writes objects as a YAML stream after a header comment, each
// without the creationTimestamp: null that typed objects marshal, with
// "---" between them.
func writeYAML[T any](w io.Writer, header string, objs []T) error {
	var b bytes.Buffer
	b.WriteString(header)
	for i, o := range objs {
		j, err := json.Marshal(o)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(j, &m); err != nil {
			return err
		}
		if md, ok := m["metadata"].(map[string]any); ok && md["creationTimestamp"] == nil {
			delete(md, "creationTimestamp")
		}
		y, err := yaml.Marshal(m)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(y)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// runConfig is the config command: it prints the webhook configuration.
func runConfig(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("webhook config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src source
	var h hookOptions
	src.register(fs)
	h.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: webhook config [flags]\n\nPrints the MutatingWebhookConfiguration(s) that send the configured revision's pods to the webhook.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("config: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := src.config()
	if err != nil {
		return err
	}
	inj, err := inject.New(cfg)
	if err != nil {
		return err
	}
	cfgs, err := webhookConfigurations(inj.Revision(), h)
	if err != nil {
		return err
	}
	return writeYAML(stdout, "# Generated by `webhook config` from policy.Revision.Configurations(): the selectors kinject decides with.\n", cfgs)
}

// runConfigMaps is the configmaps command: it prints the injector's
// ConfigMaps.
func runConfigMaps(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("webhook configmaps", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src source
	src.register(fs)
	namespace := fs.String("namespace", "kinject-system", "namespace of the ConfigMaps")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: webhook configmaps [flags]\n\nPrints the injector's ConfigMaps holding the configuration files (or the embedded defaults).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("configmaps: unexpected argument %q", fs.Arg(0))
	}
	cms, err := configMaps(&src, *namespace)
	if err != nil {
		return err
	}
	return writeYAML(stdout, "# Generated by `webhook configmaps`: the injection configuration the webhook loads.\n", cms)
}
