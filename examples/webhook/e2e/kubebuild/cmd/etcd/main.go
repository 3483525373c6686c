// Command etcd is etcd 3.6 built from go.etcd.io/etcd/server/v3, so that the
// end-to-end tests can run a real etcd without downloading a release binary.
// It accepts etcd's own flags unchanged.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
