// Command custom-webhook is a platform team's own admission webhook built on
// kinject: Istio's sidecar injection, byte for byte, plus the team's rules,
// in one MutatingWebhookConfiguration and one patch.
//
//	custom-webhook --tls-cert tls.crt --tls-key tls.key            # embedded default configuration
//	custom-webhook --tls-cert tls.crt --tls-key tls.key \
//	    --injectConfigFile inject-config.yaml --valuesFile values.json --meshConfigFile mesh.yaml
//
// The rules (rule.go) are an inject.ReviewerOptions.Mutate hook:
//
//   - a pod whose own containers do not all request cpu and memory is
//     refused with 403 and a message naming the container (so the
//     scheduler can place it and the namespace's quota can count it);
//   - a pod that gets a sidecar is labelled platform.example/mesh=istio, so
//     dashboards and network policies can select meshed pods.
//
// Everything else is kinject's: the injection decision, the templates, the
// patch computed against the request's raw pod, the injection cache. The
// configuration flags are the same as kube-inject's and the stock webhook's.
// Endpoints: POST /inject (AdmissionReview in and out), GET /healthz.
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
			fmt.Fprintln(os.Stderr, "custom-webhook:", err)
		}
		os.Exit(1)
	}
}

// maxRequestBytes bounds a request body (the API server's own limit for an
// object is 3 MiB; an AdmissionReview carries it once or twice).
const maxRequestBytes = 8 << 20

// run serves until ctx is done. ready, when not nil, receives the address
// the server listens on (tests use port 0).
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("custom-webhook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", ":9443", "address to listen on")
	certFile := fs.String("tls-cert", "", "TLS certificate file (PEM; required)")
	keyFile := fs.String("tls-key", "", "TLS private key file (PEM; required)")
	var files cliconfig.Files
	var knobs cliconfig.Knobs
	files.Register(fs)
	knobs.Register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *certFile == "" || *keyFile == "" {
		return errors.New("--tls-cert and --tls-key are required (the API server only calls webhooks over HTTPS)")
	}
	cfg, err := files.Load()
	if err != nil {
		return err
	}
	if err := knobs.Apply(cfg); err != nil {
		return err
	}
	inj, err := inject.New(cfg)
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		return fmt.Errorf("loading TLS key pair: %w", err)
	}
	logger := log.New(stderr, "custom-webhook: ", log.LstdFlags)
	rv := inject.NewReviewer(inj, inject.ReviewerOptions{Mutate: platformRule})
	srv := &http.Server{
		Handler:           handler(rv, logger),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		ErrorLog:          logger,
	}
	ln, err := net.Listen("tcp", *addr)
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
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// handler serves /inject with the Reviewer and /healthz.
func handler(rv *inject.Reviewer, logger *log.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("POST /inject", func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		if _, err := body.ReadFrom(http.MaxBytesReader(w, r.Body, maxRequestBytes)); err != nil {
			http.Error(w, "reading request: "+err.Error(), http.StatusBadRequest)
			return
		}
		out, err := rv.Review(r.Context(), body.Bytes())
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, inject.ErrBadReview) {
				status = http.StatusBadRequest
			}
			logger.Printf("POST /inject: %v", err)
			http.Error(w, err.Error(), status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(out)
	})
	return mux
}
