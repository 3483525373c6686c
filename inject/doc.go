// Package inject adds a service-mesh sidecar to Kubernetes pods the way
// Istio's injector does, as a library: no server, no cluster, no process
// environment. It composes the other kinject packages: policy decides whether
// a pod is injected, template renders and merges the sidecar templates, and
// patch turns the result into an RFC 6902 patch.
//
// # Configuration
//
// An Istio user already has the three inputs the injector needs, as dumps of
// two ConfigMaps:
//
//	kubectl -n istio-system get configmap istio-sidecar-injector -o=jsonpath='{.data.config}' > inject-config.yaml
//	kubectl -n istio-system get configmap istio-sidecar-injector -o=jsonpath='{.data.values}' > values.json
//	kubectl -n istio-system get configmap istio -o=jsonpath='{.data.mesh}' > mesh.yaml
//
// LoadConfig reads them (any may be nil) strictly: an unknown field is an
// error naming the file and the field. What Istio takes from istiod's
// environment or from the cluster (ENABLE_NATIVE_SIDECARS, REVISION,
// PLATFORM, COMPLIANCE_POLICY, the cluster ID, namespace labels and
// annotations) are plain fields of Config that the caller sets. DefaultConfig
// returns kinject's own embedded configuration, so the package works out of
// the box.
//
// New validates a Config once and prepares everything (parsed templates,
// compiled selectors). The resulting *Injector is immutable and safe for
// concurrent use; its one piece of internal state is a cache of recent
// results, which never changes what a call returns.
//
// # Caches and memory
//
// The Injector remembers results by everything that can reach them: the
// request, and the pod less the identity fields (name, generateName, uid,
// resourceVersion, creationTimestamp, managedFields) its templates cannot
// read, which is decided from the templates' parse trees
// (template.Set.Reads), never from their text. A workload's replicas then
// share one result; a template that reads the pod's name gets each pod its
// own. Manifest streams (InjectManifests, InjectManifestStream) neither
// read nor fill it: a workload's name is part of its key and a stream
// names each workload once. The Reviewer remembers answers by the raw request less
// metadata.managedFields, found by the JSON's structure. Both caches are
// bounded by bytes, evicting the least recently used entries first and
// never keeping an entry above a sixteenth of their budget:
// Config.CacheBytes (DefaultCacheBytes, 32 MiB) and
// ReviewerOptions.CacheBytes (DefaultReviewerCacheBytes, 16 MiB). Their
// worst case is those budgets, counted from what the entries hold (the
// cached pods, patches, JSON and warnings, plus about 160 bytes each), so a
// webhook with a Reviewer holds at most 48 MiB of cached answers however
// many distinct pods it is sent (a Mesh holds one Injector, so one result
// cache, per revision); a request in flight needs memory of its own,
// proportional to the pod.
//
// # Entry points
//
//   - InjectPod injects one pod (or a workload's pod template) and returns the
//     injected pod, the patch from the original, the policy decision with its
//     reason, and warnings.
//   - InjectManifests and InjectManifestStream inject every workload of a
//     multi-document YAML stream (Pod, Deployment, StatefulSet, DaemonSet,
//     ReplicaSet, ReplicationController, Job, CronJob, OpenShift
//     DeploymentConfig, List) and copy every other document unchanged; their
//     output is byte-for-byte what istioctl kube-inject prints for the same
//     configuration. A bad document is reported by index, kind and name, in
//     fail-fast or keep-going mode. Memory is bounded by the largest
//     document, not the number of documents: each document's result goes to
//     ManifestOptions.OnDocument, and the result keeps counts. Nothing
//     changes silently: what the typed objects cannot hold (an unknown
//     field, a duplicate key's earlier value, a quantity Kubernetes clamps)
//     is named in a warning; a List's other items keep what istioctl would
//     lose (numbers beyond float64, a custom resource's null fields), and
//     what lies deeper than 64 levels (some 30 nested Lists) is printed in
//     flow style, so time and output stay linear in its size. Every name
//     the templates see is checked with Kubernetes' syntax first
//     (ErrInvalidName).
//   - Review answers an admission.k8s.io AdmissionReview; Reviewer adds a
//     cache of raw requests so the next replica of a pod template is answered
//     without decoding it. The patch is computed so that fields the typed
//     corev1.Pod does not know survive in the API server's raw object.
//   - ReviewerOptions.Mutate is a custom webhook's own change on top of the
//     injection (add a label, refuse a pod with a *Denial): the hook sees
//     the request, the decoded pod, the decision and the injected pod, and
//     the patch is computed from the request's pod to what it leaves. Its
//     answers are never cached; the injection under it is. For a review
//     built entirely by hand, DecodeReview, DecodePod, InjectPod, PodPatch
//     and Respond are the steps Review takes.
//   - Uninject returns the pod its author wrote, and CheckStale tells whether a
//     running pod's sidecar is what would be injected now: UpToDate,
//     RestartToUpdate (another revision, or changed fields, named with both
//     values), RestartToInject or RestartToRemove. The comparison is modulo
//     what the API server adds to a stored pod: its defaults
//     (WithServerDefaults, one documented model), status and the
//     service-account token mounts.
//   - Mesh is the multi-revision injector: the webhook the API server would
//     call (from the installed MutatingWebhookConfigurations, or the ones
//     Istio installs for the revisions and tags) picks the revision, whose
//     own Injector then injects. It offers InjectPod, Review, the manifest
//     stream and CheckStale; inject/cluster builds one from kubectl's dumps.
//
// # What injection does
//
// In order: decide (policy); strip a sidecar injected earlier, keeping the
// user's recorded overrides; validate the annotations and labels the
// templates read (see below); resolve images, the proxy's user and group
// (OpenShift ranges included) and the owning workload; render the selected
// templates (inject.istio.io/templates, else the configuration's
// defaultTemplates) and strategic-merge them onto the pod; merge the pod's
// own same-named containers back on top (image "auto" keeps the template's
// image); then rewrite probes to the proxy's status port, merge Prometheus
// scrape annotations, order containers (istio-proxy last, first with
// holdApplicationUntilProxyStarts, native sidecars among the init
// containers), record the sidecar.istio.io/status annotation, and validate
// resources: a request above its limit is an error in any container (the API
// server would refuse the pod), while a request without a limit or a limit
// without a request is a warning only for the containers the injection
// added or changed, so an application container the user left without
// limits does not draw a warning on every pod. Injecting an injected pod
// gives the same pod.
//
// # Annotation and label values are data
//
// Annotations and labels come from whoever writes the pod, and templates
// paste some of them into YAML unquoted (Istio's shipped sidecar template
// does so for interface lists, user volumes, Datadog env, Multus networks,
// proxy metadata). Before rendering, InjectPod runs the template package's
// validators: template.ValidateAnnotations (every check Istio makes, with
// Istio's wording, plus those unquoted values) and template.ValidateLabels
// (Kubernetes' label syntax, which the API server enforces anyway but
// manual injection's files do not). A refused value is an error wrapping
// ErrInvalidAnnotation or ErrInvalidLabel that names the key and the pod;
// Review answers it with a 400 denial carrying that message. A value that
// passes changes only the fields its key is meant to drive
// (hostile_test.go checks this with both the embedded and Istio's template).
//
// # Istio releases
//
// Config.Release is the Istio release whose behaviour the injector follows
// where Istio changed it; LoadConfig reads it from values.global.tag when
// that is a version (ReleaseFromValues), a program sets it with
// --istio-version, and the zero Release, also what an unreadable tag gives,
// is the newest behaviour (Istio at the corpus commit, newer than 1.29).
// The templates come from the dumps, so they are already the release's;
// these are the rules kinject applies around them:
//
//   - sidecar.istio.io/inject values (policy.Release.InjectIntent): up to
//     1.26 lower-cased, "y", "yes", "true" and "on" inject and any other
//     value opts out; from 1.27 only "true" and "false" count and any other
//     value falls back to the policy.
//   - HTTP and TCP lifecycle hooks (postStart, preStop) go through the
//     proxy's status port from 1.25; up to 1.24 they are left alone.
//   - sidecar.istio.io/enableCoreDump is validated as a boolean up to 1.24;
//     from 1.25 it is not ("yes" is injected as it is).
//   - Manual-injection output prints creationTimestamp: null in every
//     object metadata up to 1.27 (built with apimachinery before v0.34) and
//     omits it from 1.28, whichever apimachinery kinject is built with.
//   - traffic.sidecar.istio.io/excludeInterfaces must list Linux interface
//     names from 1.30; up to 1.29 any value is written.
//   - From 1.31 the Prometheus merge reads prometheus.istio.io/scrape-targets
//     (PORT[:PATH],..., the path defaulting to /metrics), refuses a
//     prometheus.io/port or target port that is not a port number, and sets
//     prometheus.istio.io/secure-port from the proxy's
//     ENVOY_SECURE_MERGED_METRICS_PORT; up to 1.30 the scrape-targets
//     annotation stays on the pod and the port is copied as it is.
//   - In every release ISTIO_PROMETHEUS_ANNOTATIONS carries scrape, path and
//     port, empty or not, and Config.NativeSidecars also sets
//     ENABLE_NATIVE_SIDECARS=true in the templates' env (Config.Env wins),
//     which the templates of 1.26 and earlier read instead of
//     .NativeSidecars.
//
// Security does not follow the release: where a release accepted any value
// (excludeInterfaces up to 1.29, enableCoreDump from 1.25), a value that
// could leave its place in the template (a quote, a backslash, a line
// break) is still refused, and the error names the release that would have
// accepted it. A value that is merely malformed follows the release.
// release_probes_test.go checks all of this against three releases' own
// istioctl output (../shared/istio-releases): 23 probes × 3 releases, and
// the newest code with each release's dumps.
//
// # Conformance
//
// Istio's own injection test suite, kept as data beside the repository, runs
// in conformance_test.go through both paths (kube-inject and webhook); the
// few known differences are listed there with their reasons.
//
// # Traps
//
//   - LoadConfig follows the release values.global.tag names, so a dump of
//     an old cluster behaves as that cluster did; DefaultConfig, whose tag
//     only pins kinject's proxy image, follows the newest. Changing the tag
//     with SetValue does not change Release.
//   - Manual injection takes the full policy decision (what the API server's
//     webhook selectors would do) only when namespace labels are given;
//     without them only the injector's own rules decide, as istioctl
//     kube-inject does.
//   - Config.Values and Config.Mesh are read, never written; share one Config
//     between Injectors only if nothing else changes it. Config.SetValue
//     (SetValue("global.tag", "1.31.0")) copies the maps it writes, so a
//     Values map shared with another Config stays as it was; Config.Value
//     reads one back, with errors naming the path.
package inject
