// Package cluster runs a real Kubernetes control plane for tests: etcd and
// kube-apiserver as child processes on 127.0.0.1 with random free ports.
//
// There is no controller-manager, scheduler or kubelet: objects are stored
// and admitted exactly as in a real cluster (including calls to mutating
// webhooks), but nothing reconciles them. Pods stay Pending, Deployments get
// no ReplicaSets, and namespaces get no "default" service account: callers
// create it, because the ServiceAccount admission plugin stays enabled. It
// gives each pod its serviceAccountName and token volume before mutating
// webhooks run, as in a real cluster, and Istio's injected token volume is
// only valid on a pod with a serviceAccountName.
//
// The API server authenticates a static bearer token whose user is in
// system:masters, authorizes with RBAC, signs service-account tokens with a
// key pair generated for the run and writes its self-signed serving
// certificate to a temporary --cert-dir.
package cluster

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Options say which binaries to run and where to keep their state.
type Options struct {
	Etcd, KubeAPIServer string // paths of the executables
	Dir                 string // an empty directory for data, certificates and logs
	// ExtraAPIServerArgs are appended to the API server's flags.
	ExtraAPIServerArgs []string
}

// Cluster is a running etcd and kube-apiserver.
type Cluster struct {
	// Host is the API server's URL, https://127.0.0.1:port.
	Host string
	// Token is a bearer token for a cluster administrator.
	Token string
	// CAData verifies the API server's serving certificate.
	CAData []byte
	// Etcd and APIServer are the two processes, for their logs.
	Etcd, APIServer *Process
}

// Start starts etcd, then kube-apiserver, and returns once /readyz answers
// ok. On error nothing is left running.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	var last error
	for attempt := range 3 {
		dir := filepath.Join(o.Dir, fmt.Sprintf("attempt-%d", attempt))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		c, err := start(ctx, o, dir)
		if err == nil {
			return c, nil
		}
		last = err
		if !errors.Is(err, errPortInUse) {
			break
		}
	}
	return nil, last
}

func start(ctx context.Context, o Options, dir string) (_ *Cluster, err error) {
	ports, err := FreePorts(3)
	if err != nil {
		return nil, err
	}
	clientURL := "http://" + hostPort(ports[0])
	peerURL := "http://" + hostPort(ports[1])
	etcd, err := StartProcess(dir, "etcd", o.Etcd,
		"--name=e2e",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=e2e="+peerURL,
		"--unsafe-no-fsync", // test data; fsync only slows the disk shared with others
		"--log-level=warn",
	)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			etcd.Stop(5 * time.Second)
		}
	}()
	httpc := &http.Client{Timeout: 2 * time.Second}
	if err := etcd.WaitFor(ctx, 30*time.Second, func(ctx context.Context) error {
		return get(ctx, httpc, clientURL+"/health", "", `"health":"true"`)
	}); err != nil {
		if logMentionsBindFailure(etcd) {
			return nil, fmt.Errorf("%w: %v", errPortInUse, err)
		}
		return nil, err
	}

	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(token+`,kinject-e2e-admin,kinject-e2e-admin,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, err
	}
	saKey, saPub := filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := writeServiceAccountKeys(saKey, saPub); err != nil {
		return nil, err
	}
	certDir := filepath.Join(dir, "certs")
	args := []string{
		"--etcd-servers=" + clientURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		fmt.Sprintf("--secure-port=%d", ports[2]),
		"--cert-dir=" + certDir,
		"--token-auth-file=" + tokens,
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + saPub,
		"--service-account-signing-key-file=" + saKey,
		"--service-cluster-ip-range=10.96.0.0/24",
		// Endpoints may not hold loopback addresses, so the "kubernetes"
		// service gets none.
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--v=1",
	}
	args = append(args, o.ExtraAPIServerArgs...)
	api, err := StartProcess(dir, "kube-apiserver", o.KubeAPIServer, args...)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Host: "https://" + hostPort(ports[2]), Token: token, Etcd: etcd, APIServer: api}
	err = api.WaitFor(ctx, 90*time.Second, func(ctx context.Context) error {
		if c.CAData == nil {
			b, err := os.ReadFile(filepath.Join(certDir, "apiserver.crt"))
			if err != nil {
				return err
			}
			c.CAData = b
		}
		hc, err := c.HTTPClient()
		if err != nil {
			return err
		}
		return get(ctx, hc, c.Host+"/readyz", token, "ok")
	})
	if err != nil {
		api.Stop(5 * time.Second)
		if logMentionsBindFailure(api) {
			return nil, fmt.Errorf("%w: %v", errPortInUse, err)
		}
		return nil, err
	}
	return c, nil
}

// HTTPClient returns a client that trusts the API server's certificate.
// Requests must still carry the bearer token.
func (c *Cluster) HTTPClient() (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.CAData) {
		return nil, errors.New("cluster: no certificate in apiserver.crt")
	}
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{Proxy: nil, TLSClientConfig: &tls.Config{RootCAs: pool}},
	}, nil
}

// Stop stops the API server, then etcd.
func (c *Cluster) Stop() error {
	return errors.Join(c.APIServer.Stop(15*time.Second), c.Etcd.Stop(10*time.Second))
}

func get(ctx context.Context, hc *http.Client, url, token, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func randomToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
