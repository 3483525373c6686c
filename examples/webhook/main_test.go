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
)

// selfSigned writes a fresh self-signed certificate for 127.0.0.1 and
// returns the file names and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	return writeSelfSigned(t, filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), "kinject-webhook-test")
}

func writeSelfSigned(t *testing.T, certFile, keyFile, cn string) (string, string, *x509.CertPool) {
	t.Helper()
	return writeCert(t, certFile, keyFile, cn, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
}

// writeCert writes a self-signed certificate for 127.0.0.1 valid from
// notBefore to notAfter.
func writeCert(t *testing.T, certFile, keyFile, cn string, notBefore, notAfter time.Time) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
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
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// startServer runs the webhook on a free port until the test ends and
// returns its base URL and a client that trusts it.
func startServer(t *testing.T, extra ...string) (string, *http.Client) {
	t.Helper()
	certFile, keyFile, pool := selfSigned(t)
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	args := append([]string{"--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile}, extra...)
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
				t.Errorf("graceful shutdown: run returned %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not shut down within 10s")
		}
	})
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	return "https://" + addr, client
}

const podReview = `{
  "apiVersion": "admission.k8s.io/v1",
  "kind": "AdmissionReview",
  "request": {
    "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
    "kind": {"group": "", "version": "v1", "kind": "Pod"},
    "resource": {"group": "", "version": "v1", "resource": "pods"},
    "namespace": "shop",
    "operation": "CREATE",
    "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
    "object": {
      "apiVersion": "v1",
      "kind": "Pod",
      "metadata": {"generateName": "web-7d4f8-", "namespace": "shop", "labels": {"app": "web"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4f8", "uid": "1", "controller": true}]},
      "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 8080}]}]}
    },
    "dryRun": false
  }
}`

func TestWebhookServer(t *testing.T) {
	base, client := startServer(t)

	t.Run("healthz", func(t *testing.T) {
		resp, err := client.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "ok" {
			t.Fatalf("GET /healthz = %d %q, want 200 ok", resp.StatusCode, body)
		}
	})

	t.Run("inject pod", func(t *testing.T) {
		review := post(t, client, base+"/inject", podReview, http.StatusOK)
		r := review.Response
		if r == nil || string(r.UID) != "705ab4f5-6393-11e8-b7cc-42010a800002" || !r.Allowed {
			t.Fatalf("response = %+v, want allowed with the request's uid", r)
		}
		if r.PatchType == nil || *r.PatchType != admissionv1.PatchTypeJSONPatch || len(r.Patch) == 0 {
			t.Fatalf("response has no JSONPatch: %+v", r)
		}
		var req admissionv1.AdmissionReview
		if err := json.Unmarshal([]byte(podReview), &req); err != nil {
			t.Fatal(err)
		}
		p, err := jsonpatch.DecodePatch(r.Patch)
		if err != nil {
			t.Fatalf("decoding patch: %v", err)
		}
		patched, err := p.Apply(req.Request.Object.Raw)
		if err != nil {
			t.Fatalf("applying patch to the request's pod: %v", err)
		}
		var pod corev1.Pod
		if err := json.Unmarshal(patched, &pod); err != nil {
			t.Fatal(err)
		}
		if !hasContainer(pod.Spec.Containers, "istio-proxy") && !hasContainer(pod.Spec.InitContainers, "istio-proxy") {
			t.Errorf("patched pod has no istio-proxy container: %s", patched)
		}
	})

	cases := []struct {
		name, body string
		status     int
		reason     string
	}{
		{"not json", `{"apiVersion":`, http.StatusBadRequest, "a truncated body is a client error, not a server failure"},
		{"wrong kind", `{"apiVersion":"admission.k8s.io/v1","kind":"Pod"}`, http.StatusBadRequest, "only AdmissionReview is answered"},
		{"no request", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, http.StatusBadRequest, "nothing to answer without a request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, err := client.Post(base+"/inject", "application/json", strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Errorf("POST /inject %s = %d, want %d (%s)", c.name, resp.StatusCode, c.status, c.reason)
			}
		})
	}

	t.Run("non-pod allowed untouched", func(t *testing.T) {
		body := strings.Replace(podReview, `"kind": "Pod"}`, `"kind": "Service"}`, 1)
		review := post(t, client, base+"/inject", body, http.StatusOK)
		if r := review.Response; r == nil || !r.Allowed || r.Patch != nil || r.PatchType != nil {
			t.Errorf("response = %+v, want allowed without a patch", r)
		}
	})

	t.Run("method", func(t *testing.T) {
		resp, err := client.Get(base + "/inject")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET /inject = %d, want 405", resp.StatusCode)
		}
	})
}

func TestWebhookRequestLimit(t *testing.T) {
	base, client := startServer(t, "--max-request-bytes", "1024")
	resp, err := client.Post(base+"/inject", "application/json", strings.NewReader(podReview+strings.Repeat(" ", 2048)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized POST /inject = %d, want 413", resp.StatusCode)
	}
}

func TestWebhookFlags(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		reason string
	}{
		{"no tls", nil, "the API server only calls HTTPS webhooks"},
		{"bad native", []string{"--tls-cert", "a", "--tls-key", "b", "--native-sidecars=yes"}, "a typo must not silently mean false"},
		{"missing cert file", []string{"--tls-cert", "/nonexistent/tls.crt", "--tls-key", "/nonexistent/tls.key"}, "unreadable key pair is fatal at start"},
		{"bad namespace label", []string{"--tls-cert", "a", "--tls-key", "b", "--namespace-label", "no-slash=x"}, "NAMESPACE/KEY=VALUE is required"},
		{"stray argument", []string{"--tls-cert", "a", "--tls-key", "b", "extra"}, "arguments are flags only"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := run(context.Background(), c.args, io.Discard, nil)
			if err == nil {
				t.Errorf("run(%q) succeeded, want an error (%s)", c.args, c.reason)
			}
		})
	}
}

func post(t *testing.T, client *http.Client, url, body string, status int) admissionv1.AdmissionReview {
	t.Helper()
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("POST %s = %d %s, want %d", url, resp.StatusCode, b, status)
	}
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(b, &review); err != nil {
		t.Fatalf("response is not an AdmissionReview: %v\n%s", err, b)
	}
	return review
}

func hasContainer(cs []corev1.Container, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}

// TestWebhookKnobs checks that configuration flags reach the injector: a
// namespace listed in --ignored-namespaces is allowed without a patch.
func TestWebhookKnobs(t *testing.T) {
	base, client := startServer(t, "--ignored-namespaces", "shop,kube-system")
	review := post(t, client, base+"/inject", podReview, http.StatusOK)
	if r := review.Response; r == nil || !r.Allowed || len(r.Patch) != 0 {
		t.Errorf("pod in an ignored namespace: response %+v, want allowed without a patch", r)
	}
}

// TestWebhookCertRotation replaces the key pair on disk while the server
// runs: new connections get the new certificate.
func TestWebhookCertRotation(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := writeSelfSigned(t, filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), "first")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile}, io.Discard, func(a string) { addrs <- a })
	}()
	addr := <-addrs
	subject := func(pool *x509.CertPool) (string, error) {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err != nil {
			return "", err
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName, nil
	}
	if cn, err := subject(pool); err != nil || cn != "first" {
		t.Fatalf("first certificate: %q, %v", cn, err)
	}
	time.Sleep(10 * time.Millisecond) // a visible modification time step
	_, _, pool2 := writeSelfSigned(t, certFile, keyFile, "second")
	deadline := time.Now().Add(5 * time.Second)
	for {
		cn, err := subject(pool2)
		if err == nil && cn == "second" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rotated certificate not served within 5s: %q, %v", cn, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}
