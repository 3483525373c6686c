// Command kinject-e2e-build builds (or finds in its cache) the kube-apiserver
// and etcd binaries that the end-to-end tests run, and prints their directory.
// run.sh calls it before the tests so that a cold build is logged on its own
// and is not counted against the test timeout.
//
// Usage, from examples/webhook/e2e:
//
//	go run ./cmd/kinject-e2e-build
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/kinject/kinject/examples/webhook/e2e/internal/kubebin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	b, err := kubebin.Ensure(ctx, "kubebuild", os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(b.Dir)
}
