#!/usr/bin/env bash
# Tests the library against the newest k8s.io/api and k8s.io/apimachinery
# releases, in a scratch copy of the module: go.mod requires the oldest minor
# kinject supports (its users' minimum), which the main test run covers, so a
# break in a newer release (an interface gaining a method, a new struct tag
# option that makes a fast path decline, an encoding that changes a golden)
# would otherwise go unseen until a user upgrades.
set -euo pipefail
cd "$(dirname "$0")/.."
# The tests find ../shared relative to the checkout; the scratch copy is
# elsewhere, so name the folders.
shared="$(cd .. && pwd)/shared"
export KINJECT_ISTIO_CORPUS="${KINJECT_ISTIO_CORPUS:-$shared/istio-corpus}"
export KINJECT_ISTIO_RELEASES="${KINJECT_ISTIO_RELEASES:-$shared/istio-releases}"
export KINJECT_ISTIO_CLUSTER="${KINJECT_ISTIO_CLUSTER:-$shared/istio-cluster}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$scratch"
cd "$scratch"
rm -rf examples/webhook/e2e
go get k8s.io/api@latest k8s.io/apimachinery@latest >/dev/null 2>&1 || go get k8s.io/api@latest k8s.io/apimachinery@latest
go mod tidy >/dev/null
echo "   $(go list -m k8s.io/api k8s.io/apimachinery | tr '\n' ' ')"
go vet ./...
go test -count=1 ./...
