package kubebin_test

import (
	"fmt"
	"os"

	"github.com/kinject/kinject/examples/webhook/e2e/internal/kubebin"
)

// The cache directory is keyed by every version that changes the binaries.
func ExampleDir() {
	old, had := os.LookupEnv(kubebin.EnvCacheDir)
	os.Setenv(kubebin.EnvCacheDir, "/var/cache/kinject")
	defer func() {
		if had {
			os.Setenv(kubebin.EnvCacheDir, old)
		} else {
			os.Unsetenv(kubebin.EnvCacheDir)
		}
	}()
	dir, err := kubebin.Dir("go1.26.8")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(dir)
	// Output: /var/cache/kinject/kube-v1.34.4-etcd-v3.6.4-go1.26.8
}
