// Command webhook is a sidecar-injection admission webhook built on kinject:
// an HTTPS server (net/http only) that answers the API server's
// AdmissionReviews for pods.
//
//	webhook --tls-cert tls.crt --tls-key tls.key                  # embedded default configuration
//	webhook --tls-cert tls.crt --tls-key tls.key \
//	    --injectConfigFile inject-config.yaml --valuesFile values.json --meshConfigFile mesh.yaml
//
// The configuration flags are kube-inject's (istioctl's names); the former
// --inject-config, --values and --mesh are kept as deprecated aliases.
//
// Endpoints:
//
//	POST /inject   an admission.k8s.io/v1 AdmissionReview in, the response out
//	GET  /healthz  200 "ok" while the server runs
//
// The TLS key pair is reloaded when its files change, so a rotated
// certificate is served without a restart.
//
// A MutatingWebhookConfiguration points at /inject with
// admissionReviewVersions [v1], sideEffects None, rules for pods CREATE.
// The server reads at most --max-request-bytes of a request, applies read,
// write and idle timeouts, and on SIGTERM or SIGINT stops accepting
// connections and finishes the requests in flight (up to
// --shutdown-timeout) before it exits.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kinject/kinject/examples/internal/cliconfig"
	"github.com/kinject/kinject/inject"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "webhook:", err)
		}
		os.Exit(1)
	}
}

type options struct {
	addr, certFile, keyFile      string
	files                        cliconfig.Files
	knobs                        cliconfig.Knobs
	namespaces                   map[string]inject.NamespaceMeta
	maxRequestBytes              int64
	shutdownTimeout, readTimeout time.Duration
	writeTimeout, idleTimeout    time.Duration
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := options{namespaces: map[string]inject.NamespaceMeta{}}
	fs := flag.NewFlagSet("webhook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", ":9443", "address to listen on")
	fs.StringVar(&o.certFile, "tls-cert", "", "TLS certificate file (PEM; required)")
	fs.StringVar(&o.keyFile, "tls-key", "", "TLS private key file (PEM; required)")
	o.files.Register(fs)
	o.files.RegisterDeprecated(fs)
	o.knobs.Register(fs)
	fs.Func("namespace-label", "NAMESPACE/KEY=VALUE: a label of a namespace, which an AdmissionReview does not carry (repeatable)", func(s string) error {
		return o.namespaceMeta(s, true)
	})
	fs.Func("namespace-annotation", "NAMESPACE/KEY=VALUE: an annotation of a namespace, e.g. OpenShift's openshift.io/sa.scc.uid-range (repeatable)", func(s string) error {
		return o.namespaceMeta(s, false)
	})
	fs.Int64Var(&o.maxRequestBytes, "max-request-bytes", 8<<20, "largest request body accepted")
	fs.DurationVar(&o.readTimeout, "read-timeout", 10*time.Second, "time to read a whole request")
	fs.DurationVar(&o.writeTimeout, "write-timeout", 10*time.Second, "time to answer a request")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 90*time.Second, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 20*time.Second, "how long shutdown waits for requests in flight")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.certFile == "" || o.keyFile == "" {
		return nil, errors.New("--tls-cert and --tls-key are required (the API server only calls webhooks over HTTPS)")
	}
	if o.maxRequestBytes <= 0 {
		return nil, errors.New("--max-request-bytes must be positive")
	}
	return &o, nil
}

// namespaceMeta records one NAMESPACE/KEY=VALUE flag.
func (o *options) namespaceMeta(s string, label bool) error {
	ns, kv, ok := strings.Cut(s, "/")
	k, v, ok2 := strings.Cut(kv, "=")
	if !ok || !ok2 || ns == "" || k == "" {
		return fmt.Errorf("%q is not NAMESPACE/KEY=VALUE", s)
	}
	m := o.namespaces[ns]
	if label {
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		m.Labels[k] = v
	} else {
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[k] = v
	}
	o.namespaces[ns] = m
	return nil
}

// run serves until ctx is done, then shuts down gracefully. ready, when not
// nil, receives the address the server listens on (tests use port 0).
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	logger := log.New(stderr, "webhook: ", log.LstdFlags)
	inj, err := newInjector(o)
	if err != nil {
		return err
	}
	certs, err := newCertReloader(o.certFile, o.keyFile, logger)
	if err != nil {
		return err
	}

	srv := &http.Server{
		Handler:           newHandler(inject.NewReviewer(inj, inject.ReviewerOptions{}), o.maxRequestBytes, logger),
		TLSConfig:         &tls.Config{GetCertificate: certs.get, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: o.readTimeout,
		ReadTimeout:       o.readTimeout,
		WriteTimeout:      o.writeTimeout,
		IdleTimeout:       o.idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          logger,
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	logger.Printf("listening on https://%s", ln.Addr())
	if ready != nil {
		ready(ln.Addr().String())
	}

	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Printf("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// certReloader serves the key pair from disk and reloads it when the files
// change (cert-manager and the kubelet rotate mounted secrets in place). A
// pair that fails to load is logged and the previous one kept.
type certReloader struct {
	certFile, keyFile string
	logger            *log.Logger
	mu                sync.Mutex
	cert              *tls.Certificate
	stamp             string    // modification times of both files
	checked           time.Time // last look at the files
}

func newCertReloader(certFile, keyFile string, logger *log.Logger) (*certReloader, error) {
	c := &certReloader{certFile: certFile, keyFile: keyFile, logger: logger}
	if err := c.load(); err != nil {
		return nil, fmt.Errorf("loading TLS key pair: %w", err)
	}
	return c, nil
}

// certCheckInterval bounds how often the files are looked at.
const certCheckInterval = time.Second

func (c *certReloader) stampNow() (string, error) {
	a, err := os.Stat(c.certFile)
	if err != nil {
		return "", err
	}
	b, err := os.Stat(c.keyFile)
	if err != nil {
		return "", err
	}
	return a.ModTime().String() + "|" + b.ModTime().String(), nil
}

func (c *certReloader) load() error {
	stamp, err := c.stampNow()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return err
	}
	c.cert, c.stamp, c.checked = &cert, stamp, time.Now()
	return nil
}

func (c *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) >= certCheckInterval {
		c.checked = time.Now()
		if stamp, err := c.stampNow(); err == nil && stamp != c.stamp {
			if err := c.load(); err != nil {
				c.logger.Printf("reloading TLS key pair (keeping the previous one): %v", err)
			} else {
				c.logger.Printf("reloaded TLS key pair")
			}
		}
	}
	return c.cert, nil
}

// newInjector loads the configuration: each file not given is taken from
// the embedded default configuration.
func newInjector(o *options) (*inject.Injector, error) {
	cfg, err := o.files.Load()
	if err != nil {
		return nil, err
	}
	if err := o.knobs.Apply(cfg); err != nil {
		return nil, err
	}
	if len(o.namespaces) > 0 {
		if cfg.Namespaces == nil {
			cfg.Namespaces = map[string]inject.NamespaceMeta{}
		}
		for ns, m := range o.namespaces {
			cfg.Namespaces[ns] = m
		}
	}
	return inject.New(cfg)
}

// newHandler routes /inject and /healthz. The Reviewer answers a pod it
// has seen (the next replica of a workload) without injecting it again.
func newHandler(rv *inject.Reviewer, maxBytes int64, logger *log.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("POST /inject", func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
			http.Error(w, fmt.Sprintf("content type %q is not application/json", ct), http.StatusUnsupportedMediaType)
			return
		}
		var body bytes.Buffer
		if _, err := body.ReadFrom(http.MaxBytesReader(w, r.Body, maxBytes)); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, fmt.Sprintf("request body exceeds %d bytes", maxBytes), http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "reading request: "+err.Error(), http.StatusBadRequest)
			return
		}
		out, err := rv.Review(r.Context(), body.Bytes())
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, inject.ErrBadReview) {
				status = http.StatusBadRequest
			}
			logger.Printf("%s %s: %v", r.Method, r.URL.Path, err)
			http.Error(w, err.Error(), status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	})
	return mux
}
