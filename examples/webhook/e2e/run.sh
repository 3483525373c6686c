#!/usr/bin/env bash
# End-to-end tests of examples/webhook against a real kube-apiserver and etcd.
#
#   bash examples/webhook/e2e/run.sh            # from anywhere in the checkout
#
# 1. builds kube-apiserver v1.34.4 and etcd v3.6.4 from the Go module proxy
#    into ~/.cache/kinject/kube-v1.34.4-etcd-v3.6.4-go<version>/ unless they
#    are there already (cold: about 10 minutes of two cores; warm: instant);
# 2. vets both modules of the suite;
# 3. runs the tests and the pod-create latency benchmark (200 pods through
#    the webhook and 200 without) against one cluster on 127.0.0.1.
#
# Environment: KINJECT_E2E_CACHE moves the binary cache; KINJECT_ISTIO_CORPUS
# points at Istio's injection corpus (default: shared/istio-corpus beside the
# checkout); KINJECT_E2E_KEEP=1 keeps the run's logs and data in /tmp.
set -euo pipefail
cd "$(dirname "$0")"
export KINJECT_E2E=1

t0=$SECONDS
echo "== e2e: kube-apiserver and etcd binaries"
go run ./cmd/kinject-e2e-build
echo "   ready after $((SECONDS - t0)) s"

echo "== e2e: go vet"
go vet ./...
(cd kubebuild && go vet ./...)

echo "== e2e: go test (tests, then BenchmarkPodCreate over 200 pods each)"
go test -count=1 -timeout 30m -v -run . -bench BenchmarkPodCreate -benchtime 200x . 2>&1 |
  grep -v -E '^=== (RUN|PAUSE|CONT)'
echo "== e2e: done in $((SECONDS - t0)) s"
