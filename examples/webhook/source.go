package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/kinject/kinject/examples/internal/cliconfig"
	"github.com/kinject/kinject/inject"
	"github.com/kinject/kinject/policy"
)

// source is where the injection configuration comes from: the three
// ConfigMap dumps (each defaulting to the embedded one), the knobs Istio
// takes from its environment, and namespace metadata. The server and the
// config and configmaps commands read it through the same flags, so the
// webhook configuration they print is the one the server decides with.
type source struct {
	files      cliconfig.Files
	knobs      cliconfig.Knobs
	namespaces map[string]inject.NamespaceMeta
	cacheBytes int64 // --cache-bytes (cache.go)
}

// register defines the configuration flags on fs.
func (s *source) register(fs *flag.FlagSet) {
	s.namespaces = map[string]inject.NamespaceMeta{}
	s.files.Register(fs)
	s.files.RegisterDeprecated(fs)
	s.knobs.Register(fs)
	fs.Func("namespace-label", "NAMESPACE/KEY=VALUE: a label of a namespace, which an AdmissionReview does not carry (repeatable)", func(v string) error {
		return s.namespaceMeta(v, true)
	})
	fs.Func("namespace-annotation", "NAMESPACE/KEY=VALUE: an annotation of a namespace, e.g. OpenShift's openshift.io/sa.scc.uid-range (repeatable)", func(v string) error {
		return s.namespaceMeta(v, false)
	})
}

// namespaceMeta records one NAMESPACE/KEY=VALUE flag.
func (s *source) namespaceMeta(v string, label bool) error {
	ns, kv, ok := strings.Cut(v, "/")
	k, val, ok2 := strings.Cut(kv, "=")
	if !ok || !ok2 || ns == "" || k == "" {
		return fmt.Errorf("%q is not NAMESPACE/KEY=VALUE", v)
	}
	m := s.namespaces[ns]
	if label {
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		m.Labels[k] = val
	} else {
		if m.Annotations == nil {
			m.Annotations = map[string]string{}
		}
		m.Annotations[k] = val
	}
	s.namespaces[ns] = m
	return nil
}

// paths are the configuration files given on the command line (empty ones
// are the embedded defaults), the ones a reload watches.
func (s *source) paths() []string {
	var out []string
	for _, f := range []string{s.files.InjectConfig, s.files.Values, s.files.Mesh} {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// config reads the files and applies the flags: the Config the server
// injects with.
func (s *source) config() (*inject.Config, error) {
	cfg, err := s.files.Load()
	if err != nil {
		return nil, err
	}
	if err := s.knobs.Apply(cfg); err != nil {
		return nil, err
	}
	if len(s.namespaces) > 0 {
		if cfg.Namespaces == nil {
			cfg.Namespaces = map[string]inject.NamespaceMeta{}
		}
		for ns, m := range s.namespaces {
			cfg.Namespaces[ns] = m
		}
	}
	return cfg, nil
}

// loaded is one loaded configuration: what the handler answers with. It is
// never changed; a reload replaces it whole.
type loaded struct {
	reviewer reviewer
	rev      policy.Revision // the injector's policy: its webhooks and its own rules
	stamp    string          // the configuration files' state when read
	at       time.Time
	notes    []string // what to tell the operator about the configuration (cliconfig.Knobs.Notes)
}

// reviewer answers AdmissionReviews: an *inject.Reviewer, or a stand-in in
// tests.
type reviewer interface {
	Review(ctx context.Context, body []byte) ([]byte, error)
	Stats() inject.ReviewerStats
}

// load reads the configuration and builds the injector and its Reviewer.
// Any problem is an error and nothing is built.
func (s *source) load(now time.Time) (*loaded, error) {
	stamp := fileStamp(s.paths())
	cfg, err := s.config()
	if err != nil {
		return nil, err
	}
	injBytes, rvBytes := s.cacheBudgets()
	cfg.CacheBytes = injBytes
	inj, err := inject.New(cfg)
	if err != nil {
		return nil, err
	}
	return &loaded{
		reviewer: inject.NewReviewer(inj, inject.ReviewerOptions{CacheBytes: rvBytes}),
		rev:      inj.Revision(),
		stamp:    stamp,
		at:       now,
		notes:    s.knobs.Notes(cfg),
	}, nil
}

// revisionName is how logs and metrics name a revision: "default" for the
// revisionless install, as its istio.io/rev value does.
func revisionName(r policy.Revision) string {
	if r.Name == "" {
		return "default"
	}
	return r.Name
}

// fileStamp summarises the files' modification times and sizes, so a
// change (the kubelet swapping a ConfigMap volume's contents, an editor
// saving) is noticed without reading them. A file that cannot be read
// stamps as its error.
func fileStamp(files []string) string {
	var b strings.Builder
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			fmt.Fprintf(&b, "%s: %v\n", f, err)
			continue
		}
		fmt.Fprintf(&b, "%s: %d %d\n", f, st.ModTime().UnixNano(), st.Size())
	}
	return b.String()
}
