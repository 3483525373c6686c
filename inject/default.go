package inject

import (
	_ "embed" // the default configuration files
	"fmt"

	"github.com/kinject/kinject/policy"
)

// The default configuration, in the formats of Istio's three dumps, so a user
// can print them, edit them and load them back with LoadConfig.
var (
	//go:embed defaults/inject-config.yaml
	defaultInjectConfig []byte
	//go:embed defaults/values.json
	defaultValues []byte
	//go:embed defaults/mesh.yaml
	defaultMesh []byte
)

// DefaultConfig returns kinject's embedded default configuration: its own
// "sidecar" and "gateway" templates (written in Istio's template language),
// values and mesh config. A pod injected with it gets what an Istio user
// expects: an istio-init init container (istio-validation when
// values.pilot.cni.enabled is true) and an istio-proxy sidecar with its
// volumes, images docker.io/istio/proxyv2 at a pinned tag, requests of 100m
// CPU and 128Mi memory and limits of 2 CPU and 1Gi, each overridable with the
// sidecar.istio.io/proxyCPU, proxyMemory, proxyCPULimit and proxyMemoryLimit
// annotations.
//
// It follows the newest Istio behaviour (Release is the zero Release): the
// tag its values pin is the proxy image's, and its templates are kinject's
// own, not a release's. Set Release to follow another.
//
// Every call returns a new *Config that the caller may change (for example
// set Revision or NativeSidecars) before passing it to New.
func DefaultConfig() *Config {
	cfg, err := LoadConfig(defaultInjectConfig, defaultValues, defaultMesh)
	if err != nil {
		// The embedded files are constant and tested; this is a build defect.
		panic(fmt.Sprintf("inject: embedded default configuration is invalid: %v", err))
	}
	cfg.Release = policy.Release{}
	return cfg
}

// DefaultConfigFiles returns copies of the three embedded files behind
// DefaultConfig: the inject config (YAML), the values (JSON) and the mesh
// config (YAML), in the formats LoadConfig reads. Edit them to start a
// configuration of your own.
func DefaultConfigFiles() (injectConfig, values, mesh []byte) {
	return clone(defaultInjectConfig), clone(defaultValues), clone(defaultMesh)
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
