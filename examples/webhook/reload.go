package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// certReloader serves the key pair from disk and reloads it when the files
// change (cert-manager and the kubelet rotate mounted secrets in place). A
// pair that fails to load is logged and the previous one kept.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger
	now               func() time.Time
	mu                sync.Mutex
	cert              *tls.Certificate
	stamp             string    // modification times and sizes of both files
	checked           time.Time // last look at the files
}

func newCertReloader(certFile, keyFile string, log *slog.Logger, now func() time.Time) (*certReloader, error) {
	c := &certReloader{certFile: certFile, keyFile: keyFile, log: log, now: now}
	if err := c.load(); err != nil {
		return nil, fmt.Errorf("loading TLS key pair: %w", err)
	}
	return c, nil
}

// certCheckInterval bounds how often the files are looked at.
const certCheckInterval = time.Second

func (c *certReloader) load() error {
	stamp := fileStamp([]string{c.certFile, c.keyFile})
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return err
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return err
		}
	}
	c.cert, c.stamp, c.checked = &cert, stamp, c.now()
	return nil
}

// current returns the key pair, first reloading it if the files changed
// since they were last looked at (at most once per certCheckInterval).
func (c *certReloader) current() *tls.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.Sub(c.checked) >= certCheckInterval {
		c.checked = now
		if stamp := fileStamp([]string{c.certFile, c.keyFile}); stamp != c.stamp {
			if err := c.load(); err != nil {
				c.stamp = stamp // retried when the files change again
				c.log.Error("reloading TLS key pair failed; serving the previous one", "cert", c.certFile, "key", c.keyFile, "error", err)
			} else {
				c.log.Info("reloaded TLS key pair", "cert", c.certFile, "notAfter", c.cert.Leaf.NotAfter)
			}
		}
	}
	return c.cert
}

func (c *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) { return c.current(), nil }

// certProblem says why the certificate being served is not valid now, or
// "".
func certProblem(cert *tls.Certificate, now time.Time) string {
	switch leaf := cert.Leaf; {
	case leaf == nil:
		return "TLS certificate: no leaf certificate"
	case now.Before(leaf.NotBefore):
		return fmt.Sprintf("TLS certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	case now.After(leaf.NotAfter):
		return fmt.Sprintf("TLS certificate expired at %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return ""
}

// readiness lists what keeps the server from being ready; none means
// ready: the configuration has loaded, the TLS pair being served is valid
// now, and the server is not shutting down.
func (s *server) readiness() []string {
	var problems []string
	if s.stopping.Load() {
		problems = append(problems, "shutting down")
	}
	if s.cur.Load() == nil {
		problems = append(problems, "configuration not loaded")
	}
	if s.certs == nil {
		problems = append(problems, "TLS key pair not loaded")
	} else if p := certProblem(s.certs.current(), s.now()); p != "" {
		problems = append(problems, p)
	}
	return problems
}

func (s *server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if problems := s.readiness(); len(problems) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %s\n", strings.Join(problems, "; "))
		return
	}
	fmt.Fprintln(w, "ok")
}

func (s *server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	g := gauges{ready: len(s.readiness()) == 0}
	if cur := s.cur.Load(); cur != nil {
		st := cur.reviewer.Stats()
		g.cacheHits, g.cacheMisses, g.cacheEntries, g.cacheBytes = st.Hits, st.Misses, int64(st.Entries), st.Bytes
		g.loadedAt = cur.at
	}
	if s.certs != nil {
		if leaf := s.certs.current().Leaf; leaf != nil {
			g.certExpiry = leaf.NotAfter
		}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w, g)
}

// watchConfig reloads the configuration when a SIGHUP arrives on hup or
// when its files change and then hold still for one interval (they are
// looked at every interval), until ctx is done.
func (s *server) watchConfig(ctx context.Context, hup <-chan struct{}, interval time.Duration) {
	var tick <-chan time.Time
	if interval > 0 && len(s.src.paths()) > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	stamp := s.cur.Load().stamp
	pending := "" // a changed stamp seen once: reloaded when the next look sees it again
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			stamp, pending = s.reload("SIGHUP"), ""
		case <-tick:
			// A file being written (an editor saving in place, a copy)
			// changes on every look; it is read once it holds still.
			now := fileStamp(s.src.paths())
			switch {
			case now == stamp:
				pending = ""
			case now == pending:
				stamp, pending = s.reload("file change"), ""
			default:
				pending = now
			}
		}
	}
}

// reload loads the configuration again and serves it if it is valid; if
// not, the previous one goes on being served and the log and the metrics
// say so. It returns the files' stamp, so that a bad file is retried only
// when it changes again (or on SIGHUP).
func (s *server) reload(why string) string {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	next, err := s.src.load(s.now())
	if err != nil {
		s.metrics.reloadFailed.Add(1)
		s.metrics.lastReloadFailed.Store(true)
		s.log.Error("configuration reload failed; serving the previous configuration", "trigger", why, "files", s.src.paths(), "error", err)
		return fileStamp(s.src.paths())
	}
	prev := s.cur.Swap(next)
	st := prev.reviewer.Stats()
	s.metrics.retiredHits.Add(st.Hits)
	s.metrics.retiredMisses.Add(st.Misses)
	s.metrics.reloadOK.Add(1)
	s.metrics.lastReloadFailed.Store(false)
	s.log.Info("configuration reloaded", "trigger", why, "revision", revisionName(next.rev), "tags", next.rev.Tags)
	if revisionName(prev.rev) != revisionName(next.rev) || strings.Join(prev.rev.Tags, ",") != strings.Join(next.rev.Tags, ",") ||
		prev.rev.EnableNamespacesByDefault != next.rev.EnableNamespacesByDefault {
		s.log.Warn("the revision, its tags or enableNamespacesByDefault changed: regenerate the MutatingWebhookConfiguration with `webhook config` so the API server's selectors match",
			"was", revisionName(prev.rev), "now", revisionName(next.rev))
	}
	return next.stamp
}
