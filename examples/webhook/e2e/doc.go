// Package e2e proves examples/webhook the way its users run it: a real
// kube-apiserver (v1.34.4) backed by a real etcd (v3.6.4) calls the webhook
// when pods are created, and the tests read back what was stored.
//
// The package holds only tests. They are opt-in because the two servers are
// compiled from source the first time (several minutes of two cores); run
//
//	bash examples/webhook/e2e/run.sh
//
// or, from this directory, KINJECT_E2E=1 go test -timeout 30m . Without
// KINJECT_E2E every test skips with a message, so go test ./... stays fast;
// under CI=true they never skip, and a binary that cannot be built fails the
// run.
//
// # What runs
//
// TestMain builds (or finds in ~/.cache/kinject) kube-apiserver and etcd
// with internal/kubebin, builds examples/webhook from the repository root
// (so it is compiled against the library's own go.mod), generates a CA, and
// starts one control plane with internal/cluster on 127.0.0.1 with random
// free ports: token authentication, RBAC, a service-account key pair, a
// temporary --cert-dir, the ServiceAccount admission plugin enabled (each
// test namespace gets its "default" service account, as a controller would
// create it), and the HostnameOverride feature gate so that a field newer
// than the library's k8s.io/api can be tested. No controller-manager,
// scheduler or kubelet runs: pods stay Pending, which is all admission needs.
//
// Each test starts its own webhook processes (HTTPS, certificate from the
// run's CA, a plain-HTTP monitoring port for /metrics) and installs the
// MutatingWebhookConfigurations the program itself prints (`webhook config
// --url ... --ca-bundle ...` with the process's own configuration flags:
// policy's Revision.Configurations), so the namespace and object selectors
// the API server evaluates are the library's own. The binary is built with
// the go build line of examples/webhook/Dockerfile and checked to be
// static; examples/webhook/deploy, built with kustomize's library, is
// applied to the API server (its webhook configuration as a dry run). Webhook configurations are cluster-wide, so tests run one at a time
// and each waits until its configuration is in effect (a dry-run probe pod
// comes back injected) and, when it ends, until it is gone.
//
// The webhook runs with Istio's own default injection template, values and
// mesh config, read from the Istio corpus (shared/istio-corpus beside the
// checkout, or $KINJECT_ISTIO_CORPUS); TestEmbeddedDefaultConfig runs it with
// no configuration flags, on kinject's embedded defaults.
//
// # Traps
//
//   - The suite is its own module, so the library never requires
//     k8s.io/kubernetes or client-go; the binaries are built by a second
//     module, kubebuild, which pins every k8s.io staging module to v0.34.4.
//   - client-go's default 5 QPS would measure its rate limiter; the suite
//     raises QPS and Burst.
//   - Everything listens on 127.0.0.1 and proxy variables are removed from
//     the servers' environment; no loop is unbounded.
package e2e
