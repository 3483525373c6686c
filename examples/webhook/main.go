// Command webhook is a sidecar-injection admission webhook built on kinject:
// an HTTPS server (net/http only) that answers the API server's
// AdmissionReviews for pods, and the two commands that produce what a
// cluster needs to run it.
//
//	webhook --tls-cert tls.crt --tls-key tls.key                  # serve, embedded default configuration
//	webhook --tls-cert tls.crt --tls-key tls.key \
//	    --injectConfigFile config --valuesFile values --meshConfigFile mesh   # serve Istio's ConfigMap dumps
//	webhook config --ca-bundle ca.crt [configuration flags]       # print the MutatingWebhookConfiguration(s)
//	webhook configmaps [configuration flags]                      # print the injector's ConfigMaps
//
// The configuration flags are kube-inject's (istioctl's names); the former
// --inject-config, --values and --mesh are kept as deprecated aliases.
//
// The config command prints, for the configured revision and its tags, the
// Injector's policy.Revision Configurations: its Webhooks (the selectors
// kinject's decisions evaluate) split as Istio installs them, one
// configuration for the revision and one per tag, since webhook names
// repeat; the service, path, CA bundle, failurePolicy, timeoutSeconds,
// reinvocationPolicy and sideEffects come from its flags.
// examples/webhook/deploy holds both commands' output beside the rest of a
// deployment (kustomize-compatible), and a test keeps them equal.
//
// Endpoints, on the webhook's address (HTTPS) and, with --monitoring-addr,
// on a plain-HTTP address for probes and scrapes:
//
//	POST /inject   an admission.k8s.io/v1 AdmissionReview in, the response out (HTTPS only)
//	GET  /healthz  200 "ok" while the process serves
//	GET  /readyz   200 once the configuration has loaded and the TLS pair is valid; 503 naming what is not
//	GET  /metrics  Prometheus text format: Istio's sidecar_injection_* names, kinject_webhook_* for the rest (metrics.go)
//
// Every /inject request writes one log line (log/slog, --log-format text
// or json): uid, namespace, pod (name, or generateName followed by *),
// decision (injected, skipped, denied, error), reason (a fixed word, as in
// the metrics), message, revision, duration, patchBytes and status.
//
// The API server appends ?timeout=10s (timeoutSeconds) to the URL and stops
// waiting after it; the server stops the review at that deadline (or at
// --write-timeout, whichever is first) and answers 504 with no review.
//
// The TLS key pair is reloaded when its files change, so a rotated
// certificate is served without a restart. The configuration is reloaded on
// SIGHUP or when its files change (the kubelet updating a ConfigMap volume);
// a configuration that does not load is logged and counted, and the previous
// one goes on being served.
//
// The server reads at most --max-request-bytes of a request, applies read,
// write and idle timeouts, and on SIGTERM or SIGINT turns unready, waits
// --shutdown-delay for endpoints to drop it, stops accepting connections and
// finishes the requests in flight (up to --shutdown-timeout) before it exits.
// An invalid configuration or an unreadable key pair at start is fatal.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	hup := make(chan struct{}, 1)
	go func() {
		for range sig {
			select {
			case hup <- struct{}{}:
			default: // a reload is pending already
			}
		}
	}()
	e := env{stdout: os.Stdout, stderr: os.Stderr, hup: hup}
	if err := runEnv(ctx, os.Args[1:], e); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "webhook:", err)
		}
		os.Exit(1)
	}
}

// env is what the program takes from its surroundings; tests give their
// own.
type env struct {
	stdout, stderr io.Writer
	// listening, when not nil, is called with the addresses once the
	// server listens (tests use port 0).
	listening func(webhook, monitoring string)
	// hup delivers SIGHUP: reload the configuration now.
	hup <-chan struct{}
	// now is the clock (time.Now when nil).
	now func() time.Time
}

// run serves until ctx is done; ready, when not nil, receives the address
// the webhook listens on.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	e := env{stdout: io.Discard, stderr: stderr}
	if ready != nil {
		e.listening = func(webhook, _ string) { ready(webhook) }
	}
	return runEnv(ctx, args, e)
}

// runEnv runs the command args name: config, configmaps, or (the default,
// also spelled serve) the server.
func runEnv(ctx context.Context, args []string, e env) error {
	if len(args) > 0 {
		switch args[0] {
		case "config":
			return runConfig(args[1:], e.stdout, e.stderr)
		case "configmaps":
			return runConfigMaps(args[1:], e.stdout, e.stderr)
		case "serve":
			args = args[1:]
		}
	}
	o, err := parse(args, e.stderr)
	if err != nil {
		return err
	}
	return serve(ctx, o, e)
}

type options struct {
	addr, monitoringAddr         string
	certFile, keyFile            string
	src                          source
	logFormat                    string
	maxRequestBytes              int64
	shutdownTimeout, readTimeout time.Duration
	writeTimeout, idleTimeout    time.Duration
	shutdownDelay                time.Duration
	reloadInterval               time.Duration
}

func parse(args []string, stderr io.Writer) (*options, error) {
	var o options
	fs := flag.NewFlagSet("webhook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", ":9443", "address to listen on (HTTPS)")
	fs.StringVar(&o.monitoringAddr, "monitoring-addr", "", `plain-HTTP address for /healthz, /readyz and /metrics, e.g. ":8080" (default: none; they are on --addr too)`)
	fs.StringVar(&o.certFile, "tls-cert", "", "TLS certificate file (PEM; required; reloaded when it changes)")
	fs.StringVar(&o.keyFile, "tls-key", "", "TLS private key file (PEM; required; reloaded when it changes)")
	o.src.register(fs)
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.Int64Var(&o.maxRequestBytes, "max-request-bytes", 8<<20, "largest request body accepted")
	fs.Int64Var(&o.src.cacheBytes, "cache-bytes", 0, cacheBytesUsage)
	fs.DurationVar(&o.readTimeout, "read-timeout", 10*time.Second, "time to read a whole request")
	fs.DurationVar(&o.writeTimeout, "write-timeout", 10*time.Second, "time to answer a request (the review stops then, or at the API server's ?timeout= if earlier)")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 90*time.Second, "how long an idle keep-alive connection stays open")
	fs.DurationVar(&o.shutdownDelay, "shutdown-delay", 0, "how long to stay up unready after SIGTERM, so endpoints stop sending requests first")
	fs.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 20*time.Second, "how long shutdown waits for requests in flight")
	fs.DurationVar(&o.reloadInterval, "reload-interval", 2*time.Second, "how often the configuration files are checked for changes (0: only on SIGHUP)")
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
	if o.logFormat != "text" && o.logFormat != "json" {
		return nil, fmt.Errorf("--log-format %q: want text or json", o.logFormat)
	}
	return &o, nil
}

// server is the running webhook's state. cur is replaced whole by a
// reload; everything else is fixed or atomic.
type server struct {
	cur          atomic.Pointer[loaded]
	src          *source
	certs        *certReloader
	metrics      *metrics
	log          *slog.Logger
	now          func() time.Time
	maxBytes     int64
	writeTimeout time.Duration
	stopping     atomic.Bool
	reloadMu     sync.Mutex
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// routes are the endpoints; /inject only on the webhook's own address.
func (s *server) routes(webhook bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", s.handleReadyz)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	if webhook {
		mux.HandleFunc("POST /inject", s.handleInject)
	}
	return mux
}

// serve runs the server until ctx is done, then shuts down gracefully.
func serve(ctx context.Context, o *options, e env) error {
	now := e.now
	if now == nil {
		now = time.Now
	}
	logger := newLogger(e.stderr, o.logFormat)
	s := &server{
		src:          &o.src,
		metrics:      &metrics{},
		log:          logger,
		now:          now,
		maxBytes:     o.maxRequestBytes,
		writeTimeout: o.writeTimeout,
	}
	errorLog := slog.NewLogLogger(logger.Handler(), slog.LevelError)

	// Probes answer (unready) while the rest starts.
	var monitoring *http.Server
	var monLn net.Listener
	if o.monitoringAddr != "" {
		var err error
		if monLn, err = net.Listen("tcp", o.monitoringAddr); err != nil {
			return err
		}
		monitoring = &http.Server{
			Handler:           s.routes(false),
			ReadHeaderTimeout: o.readTimeout,
			ReadTimeout:       o.readTimeout,
			WriteTimeout:      o.writeTimeout,
			IdleTimeout:       o.idleTimeout,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          errorLog,
		}
		go monitoring.Serve(monLn)
		defer monitoring.Close()
	}

	cur, err := o.src.load(now())
	if err != nil {
		return err
	}
	for _, n := range cur.notes {
		logger.Warn(n)
	}
	s.cur.Store(cur)
	if s.certs, err = newCertReloader(o.certFile, o.keyFile, logger, now); err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           s.routes(true),
		TLSConfig:         &tls.Config{GetCertificate: s.certs.get, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: o.readTimeout,
		ReadTimeout:       o.readTimeout,
		WriteTimeout:      o.writeTimeout,
		IdleTimeout:       o.idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errorLog,
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	monAddr := ""
	if monLn != nil {
		monAddr = monLn.Addr().String()
	}
	logger.Info("listening", "addr", "https://"+ln.Addr().String(), "monitoring", monAddr, "revision", revisionName(cur.rev))
	if e.listening != nil {
		e.listening(ln.Addr().String(), monAddr)
	}

	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go s.watchConfig(wctx, e.hup, o.reloadInterval)

	served := make(chan error, 1)
	go func() { served <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	s.stopping.Store(true)
	logger.Info("shutting down", "delay", o.shutdownDelay)
	if o.shutdownDelay > 0 {
		time.Sleep(o.shutdownDelay)
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	if monitoring != nil {
		monitoring.Shutdown(sctx)
	}
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
