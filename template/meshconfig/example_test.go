package meshconfig_test

import (
	"fmt"
	"log"

	"github.com/kinject/kinject/template/meshconfig"
)

// ParseMeshConfig layers the istio ConfigMap's mesh over Istio's defaults;
// a pod's proxy.istio.io/config is layered over the mesh's defaultConfig;
// ProtoJSON is what the proxy receives in PROXY_CONFIG.
func ExampleParseMeshConfig() {
	mesh, err := meshconfig.ParseMeshConfig([]byte(`
defaultConfig:
  drainDuration: 23s
  proxyMetadata:
    DNS_CAPTURE: "true"
`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("status port:", mesh.DefaultConfig.StatusPort, "trust domain:", mesh.TrustDomain)

	pc, err := meshconfig.MergeProxyConfig(mesh.DefaultConfig, []byte(`{"interceptionMode": "TPROXY", "proxyMetadata": {"A": "1"}}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("interception:", pc.InterceptionMode)
	js, err := pc.ProtoJSON()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(js))

	_, err = meshconfig.MergeProxyConfig(mesh.DefaultConfig, []byte("drainDuraton: 5s"))
	fmt.Println(err)
	// Output:
	// status port: 15020 trust domain: cluster.local
	// interception: TPROXY
	// {"drainDuration":"23s","interceptionMode":"TPROXY","proxyMetadata":{"A":"1","DNS_CAPTURE":"true"}}
	// invalid proxy config: unknown field "drainDuraton"
}
