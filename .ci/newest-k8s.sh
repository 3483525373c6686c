#!/usr/bin/env bash
# Builds and vets the library against the newest k8s.io/api and
# k8s.io/apimachinery releases, in a scratch copy of the module: go.mod
# requires the oldest minor kinject supports (its users' minimum), so a break
# in a newer release (an interface gaining a method, say) would otherwise go
# unseen until a user upgrades.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
git ls-files -z | xargs -0 cp --parents -t "$scratch"
cd "$scratch"
rm -rf examples/webhook/e2e
go get k8s.io/api@latest k8s.io/apimachinery@latest >/dev/null 2>&1 || go get k8s.io/api@latest k8s.io/apimachinery@latest
go mod tidy >/dev/null
echo "   $(go list -m k8s.io/api k8s.io/apimachinery | tr '\n' ' ')"
go build ./...
go vet ./...
