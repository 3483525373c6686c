package inject

import (
	"fmt"
	"strings"

	"github.com/kinject/kinject/policy"
	"github.com/kinject/kinject/template"
)

// The rules of injection that changed between Istio releases, each a
// function of the release followed (Config.Release; the zero Release is
// the newest). The table in doc.go lists them; release_test.go tests each
// one on both sides of its boundary. The reading of sidecar.istio.io/inject
// values is policy's (policy.Release.InjectIntent).

// rewritesLifecycleHooks: from Istio 1.25 the HTTP and TCP postStart and
// preStop hooks of application containers are sent through the proxy's
// status port like probes; 1.24 and earlier leave them alone.
func rewritesLifecycleHooks(r policy.Release) bool { return !r.Before(1, 25) }

// validatesCoreDump: up to Istio 1.24 sidecar.istio.io/enableCoreDump must
// be a boolean; from 1.25 it is not validated.
func validatesCoreDump(r policy.Release) bool { return r.Before(1, 25) }

// printsNullCreationTimestamp: Istio up to 1.27 was built with
// k8s.io/apimachinery before v0.34, whose metav1.Time encodes the zero time
// as null, so istioctl kube-inject prints `creationTimestamp: null` in the
// metadata of every object it re-serialises (the object's own, its pod
// template's, a CronJob's job template's, a StatefulSet's claim
// templates'). Later releases omit it (apimachinery's omitzero). kinject
// prints it or not by this rule, whichever apimachinery it is built with.
func printsNullCreationTimestamp(r policy.Release) bool { return r.Before(1, 28) }

// validatesInterfaceNames: from Istio 1.30 the names in
// traffic.sidecar.istio.io/excludeInterfaces must be Linux interface names;
// up to 1.29 any value is written into the init container's arguments.
func validatesInterfaceNames(r policy.Release) bool { return !r.Before(1, 30) }

// prometheusTargets: from Istio 1.31 the Prometheus merge reads
// prometheus.istio.io/scrape-targets (several application endpoints),
// refuses a prometheus.io/port that is not a port number, and adds
// prometheus.istio.io/secure-port when the proxy has
// ENVOY_SECURE_MERGED_METRICS_PORT; 1.30 and earlier leave the
// scrape-targets annotation on the pod and copy the port as it is.
func prometheusTargets(r policy.Release) bool { return !r.Before(1, 31) }

// annotationChecks are the annotation checks of release r.
func annotationChecks(r policy.Release) template.AnnotationChecks {
	name := ""
	if !r.IsNewest() {
		name = "Istio " + r.String()
	}
	return template.AnnotationChecks{
		Release:       name,
		BoolCoreDump:  validatesCoreDump(r),
		LaxInterfaces: !validatesInterfaceNames(r),
	}
}

// envNativeSidecars is the variable Istio's ENABLE_NATIVE_SIDECARS setting
// lives in. istiod's templates read it with env up to 1.26 (and custom
// templates may still); Config.NativeSidecars sets it for them.
const envNativeSidecars = "ENABLE_NATIVE_SIDECARS"

// templateEnv is what the templates' env function reads: Config.Env, plus
// ENABLE_NATIVE_SIDECARS=true when Config.NativeSidecars is set and Env
// does not say otherwise. In istiod the setting and the variable are one
// thing, in every release, so a template of 1.26 or earlier, which reads
// the variable rather than .NativeSidecars, follows the setting too.
func templateEnv(cfg *Config) map[string]string {
	if !cfg.NativeSidecars {
		return cfg.Env
	}
	if _, ok := cfg.Env[envNativeSidecars]; ok {
		return cfg.Env
	}
	env := make(map[string]string, len(cfg.Env)+1)
	for k, v := range cfg.Env {
		env[k] = v
	}
	env[envNativeSidecars] = "true"
	return env
}

// ReleaseFromValues returns the Istio release the injector's values say
// they are from: values.global.tag when it is a version ("1.23.6",
// "1.23.6-distroless", "1.23.3-asm.2"), else the tag of
// values.global.proxy.image when that is a full image reference. It
// returns the zero Release (the newest behaviour) and no error when
// neither is set or the tag is "latest"; a tag that names no release
// ("master", a digest) gives the zero Release and an error matching
// policy.ErrRelease, which a program can print as a note. LoadConfig uses
// it to fill Config.Release.
func ReleaseFromValues(values map[string]any) (policy.Release, error) {
	if tag := valueString(values, "global", "tag"); tag != "" {
		r, err := policy.ParseRelease(tag)
		if err != nil {
			return policy.Release{}, fmt.Errorf("values.global.tag: %w", err)
		}
		return r, nil
	}
	image := valueString(values, "global", "proxy", "image")
	if i := strings.LastIndexByte(image, ':'); i >= 0 && !strings.Contains(image[i:], "/") && !strings.Contains(image, "@") {
		r, err := policy.ParseRelease(image[i+1:])
		if err != nil {
			return policy.Release{}, fmt.Errorf("values.global.proxy.image: %w", err)
		}
		return r, nil
	}
	return policy.Release{}, nil
}
