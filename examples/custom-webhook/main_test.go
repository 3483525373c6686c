package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/inject"
)

// update is accepted so that `go test ./... -update` runs here too; this
// package has no golden files.
var update = flag.Bool("update", false, "rewrite golden files in testdata (this package has none)")

// review wraps a pod in a CREATE AdmissionReview for namespace shop.
func review(pod string) string {
	return `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"uid-1",
		"kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
		"namespace":"shop","operation":"CREATE","userInfo":{"username":"alice"},"object":` + pod + `}}`
}

const (
	withRequests    = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]}}`
	noMemory        = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"containers":[{"name":"web","image":"nginx","resources":{"requests":{"cpu":"100m"}}}]}}`
	initNoRequests  = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web"},"spec":{"initContainers":[{"name":"migrate","image":"m"}],"containers":[{"name":"web","image":"nginx","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]}}`
	optedOut        = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"job","labels":{"sidecar.istio.io/inject":"false"}},"spec":{"containers":[{"name":"job","image":"j","resources":{"requests":{"cpu":"1","memory":"1Gi"}}}]}}`
	optedOutNoQuota = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"job","labels":{"sidecar.istio.io/inject":"false"}},"spec":{"containers":[{"name":"job","image":"j"}]}}`
)

// TestPlatformRule runs the rule through a Reviewer on the embedded
// configuration and checks what the API server would store.
func TestPlatformRule(t *testing.T) {
	inj, err := inject.New(inject.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	rv := inject.NewReviewer(inj, inject.ReviewerOptions{Mutate: platformRule})
	cases := []struct {
		name, reason string
		pod          string
		wantDenied   string // substring of the denial; "" when allowed
		wantSidecar  bool
		wantLabel    bool
	}{
		{"compliant", "requests given: injected and labelled in one patch", withRequests, "", true, true},
		{"no memory request", "each resource is required; the message names the container and the field", noMemory,
			`platform policy: container "web" must request memory (spec.containers[0].resources.requests.memory)`, false, false},
		{"init container", "init containers count too", initNoRequests,
			`container "migrate" must request cpu (spec.initContainers[0].resources.requests.cpu)`, false, false},
		{"opted out", "a pod without a sidecar is allowed but not labelled", optedOut, "", false, false},
		{"opted out without requests", "the rule holds for every pod, meshed or not", optedOutNoQuota, `container "job" must request cpu`, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := rv.Review(context.Background(), []byte(review(c.pod)))
			if err != nil {
				t.Fatal(err)
			}
			checkAnswer(t, out, c.pod, c.wantDenied, c.wantSidecar, c.wantLabel, c.reason)
		})
	}
}

// checkAnswer decodes a response review and checks it against the pod the
// request carried.
func checkAnswer(t *testing.T, out []byte, raw, wantDenied string, wantSidecar, wantLabel bool, reason string) {
	t.Helper()
	var resp admissionv1.AdmissionReview
	if err := json.Unmarshal(out, &resp); err != nil || resp.Response == nil {
		t.Fatalf("not an AdmissionReview: %v\n%s", err, out)
	}
	r := resp.Response
	if r.UID != "uid-1" {
		t.Errorf("uid %q", r.UID)
	}
	if wantDenied != "" {
		if r.Allowed || r.Result == nil || r.Result.Code != http.StatusForbidden || !strings.Contains(r.Result.Message, wantDenied) {
			t.Errorf("response %+v, want a 403 denial containing %q (%s)", r.Result, wantDenied, reason)
		}
		return
	}
	if !r.Allowed {
		t.Fatalf("denied: %+v (%s)", r.Result, reason)
	}
	stored := []byte(raw)
	if len(r.Patch) > 0 {
		p, err := jsonpatch.DecodePatch(r.Patch)
		if err != nil {
			t.Fatal(err)
		}
		if stored, err = p.Apply(stored); err != nil {
			t.Fatal(err)
		}
	}
	var pod corev1.Pod
	if err := json.Unmarshal(stored, &pod); err != nil {
		t.Fatal(err)
	}
	sidecar := false
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range cs {
			sidecar = sidecar || c.Name == "istio-proxy"
		}
	}
	if sidecar != wantSidecar {
		t.Errorf("sidecar: %v, want %v (%s)", sidecar, wantSidecar, reason)
	}
	if got := pod.Labels[meshLabel] == "istio"; got != wantLabel {
		t.Errorf("label %s: %q, want it: %v (%s)", meshLabel, pod.Labels[meshLabel], wantLabel, reason)
	}
}

// TestServer runs the program over HTTPS with a generated certificate, as
// the API server would call it.
func TestServer(t *testing.T) {
	base, client := startServer(t)
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %s", resp.Status)
	}
	for _, c := range []struct {
		name, pod, denied string
		sidecar, label    bool
	}{
		{"compliant", withRequests, "", true, true},
		{"refused", noMemory, "must request memory", false, false},
	} {
		resp, err := client.Post(base+"/inject", "application/json", strings.NewReader(review(c.pod)))
		if err != nil {
			t.Fatal(err)
		}
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s %v\n%s", c.name, resp.Status, err, out)
		}
		checkAnswer(t, out, c.pod, c.denied, c.sidecar, c.label, c.name+" over HTTPS")
	}
	resp, err = client.Post(base+"/inject", "application/json", strings.NewReader(`{"kind":"NotAReview"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("malformed review: %s, want 400", resp.Status)
	}
}

// TestFlags: the configuration flags are kube-inject's; bad ones fail at
// start.
func TestFlags(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t)
	missing := filepath.Join(t.TempDir(), "none.yaml")
	cases := []struct {
		name, reason string
		args         []string
		want         string
	}{
		{"no tls", "the API server only calls HTTPS webhooks", nil, "--tls-cert and --tls-key are required"},
		{"missing config", "the same --injectConfigFile as kube-inject, and the file is named", []string{"--tls-cert", certFile, "--tls-key", keyFile, "--injectConfigFile", missing}, missing},
		{"bad boolean", "a boolean flag's value is checked", []string{"--tls-cert", certFile, "--tls-key", keyFile, "--native-sidecars=maybe"}, "native-sidecars"},
		{"stray argument", "arguments are flags only", []string{"--tls-cert", certFile, "--tls-key", keyFile, "extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr strings.Builder
			err := run(context.Background(), c.args, &stderr, nil)
			if err == nil || !strings.Contains(err.Error()+stderr.String(), c.want) {
				t.Errorf("run(%q) = %v, want an error containing %q (%s)", c.args, err, c.want, c.reason)
			}
		})
	}
}

// startServer runs the program on a free port until the test ends.
func startServer(t *testing.T) (string, *http.Client) {
	t.Helper()
	certFile, keyFile, pool := selfSigned(t)
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	args := []string{"--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile}
	go func() { done <- run(ctx, args, io.Discard, func(a string) { addrs <- a }) }()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("graceful shutdown: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not shut down within 10s")
		}
	})
	return "https://" + addr, &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
}

// selfSigned writes a fresh self-signed certificate for 127.0.0.1.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "custom-webhook-test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
