package inject

import (
	"errors"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kinject/kinject/patch"
	"github.com/kinject/kinject/policy"
)

// Config is the injector's whole configuration: the three dumps Istio keeps
// in its ConfigMaps plus the settings Istio takes from its environment.
//
// TODO(issue 5): fields.
type Config struct{}

// LoadConfig reads the injector's configuration from the three dumps.
//
// TODO(issue 5).
func LoadConfig(injectConfig, values, mesh []byte) (*Config, error) {
	return nil, errors.New("inject: LoadConfig is not written yet")
}

// Injector injects pods. It is immutable and safe for concurrent use.
type Injector struct{}

// New prepares an Injector from cfg.
//
// TODO(issue 5).
func New(cfg *Config) (*Injector, error) {
	return nil, errors.New("inject: New is not written yet")
}

// PodRequest is one pod to inject and what surrounds it.
type PodRequest struct {
	// Pod is the pod (or a workload's pod template as a pod). It is not modified.
	Pod *corev1.Pod
	// TypeMeta is the kind of the object the pod came from (a Deployment's
	// for its pod template in manual injection, Pod in a webhook).
	TypeMeta metav1.TypeMeta
	// DeploymentMeta names the owning workload. When zero it is derived from
	// the pod's owner references and name.
	DeploymentMeta types.NamespacedName
	// Namespace is used when the pod's own namespace is empty (a webhook's
	// AdmissionRequest.namespace).
	Namespace string
	// NamespaceLabels and NamespaceAnnotations describe the pod's namespace.
	NamespaceLabels, NamespaceAnnotations map[string]string
	// Manual selects manual injection (kube-inject): the full policy decision
	// is taken, including what a webhook's selectors would do.
	Manual bool
}

// Result is the outcome of injecting one pod.
type Result struct {
	// Pod is the injected pod, or a copy of the input when not injected.
	Pod *corev1.Pod
	// Patch turns the input pod into Pod.
	Patch patch.Patch
	// Decision says whether and why the pod was injected.
	Decision policy.Decision
	// Warnings are non-fatal findings (deprecated or ambiguous settings,
	// unbounded resources).
	Warnings []string
}

// InjectPod injects one pod.
//
// TODO(issue 5).
func (i *Injector) InjectPod(req PodRequest) (*Result, error) {
	return nil, errors.New("inject: InjectPod is not written yet")
}
