package template

import (
	"github.com/kinject/kinject/template/meshconfig"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Data is what a sidecar template sees as its dot. Field names are fixed by
// Istio's templates, which address them directly (.ObjectMeta.Annotations,
// .Values.global.proxy.image, .ProxyConfig.InterceptionMode, ...).
//
// Istio's templates read MeshConfig and ProxyConfig without nil checks:
// set both (a nil one makes rendering fail with an error naming the field).
// Values must hold the global and pilot sections Istio's values file has,
// or the template's lookups print "<no value>" (text/template's default).
// Rendering only reads Data; one Data may be shared by concurrent renders.
type Data struct {
	// TypeMeta is the kind and API version of the injected object.
	TypeMeta metav1.TypeMeta
	// DeploymentMeta names the workload that owns the pod (a Deployment for a
	// pod of a ReplicaSet, a CronJob for a pod of its Job).
	DeploymentMeta types.NamespacedName
	// ObjectMeta is the pod's metadata.
	ObjectMeta metav1.ObjectMeta
	// Spec is the pod's spec.
	Spec corev1.PodSpec
	// Values is the injector's values file, decoded from JSON.
	Values map[string]any
	// Revision is the control-plane revision that injects ("" for the
	// revisionless install).
	Revision string
	// NativeSidecars reports whether the sidecar runs as a restartable init
	// container.
	NativeSidecars bool
	// ProxyImage and ProxyInitImage are the resolved proxy images.
	ProxyImage, ProxyInitImage string
	// ProxyUID and ProxyGID are the user and group the proxy runs as.
	ProxyUID, ProxyGID int64
	// InboundTrafficPolicyMode is the mesh's inbound traffic policy mode.
	InboundTrafficPolicyMode string
	// CompliancePolicy is the TLS compliance policy (for example "fips-140-2").
	CompliancePolicy string
	// MeshConfig is the effective mesh configuration.
	MeshConfig *meshconfig.MeshConfig
	// ProxyConfig is the effective proxy configuration of this pod: the
	// mesh's defaultConfig with the pod's proxy.istio.io/config on top.
	ProxyConfig *meshconfig.ProxyConfig
}
