// Package template renders Istio-style sidecar templates and merges their
// output into a pod.
//
// A sidecar template is a Go text/template whose output is a fragment of a
// pod in YAML: the containers, init containers, volumes, labels and
// annotations to add. The package runs the templates a real Istio cluster
// holds in its istio-sidecar-injector ConfigMap (sidecar, gateway,
// grpc-simple, grpc-agent, and custom ones) unmodified, and your own.
//
// # The model
//
// Parse a set of named templates once; a *Set is immutable and safe for
// concurrent use:
//
//	set, err := template.Parse(cfg.Templates, template.Options{Aliases: cfg.Aliases, Env: env})
//
// For each pod, build a Data (its metadata and spec, the values file, the
// mesh and proxy configuration, the resolved images) and apply the templates
// the pod asks for:
//
//	if err := template.ValidateAnnotations(pod.Annotations); err != nil { ... }
//	res, err := set.Apply(pod, []string{"sidecar"}, data, template.ApplyOptions{})
//	warnings, err := template.ValidateResources(res.Pod)
//
// Apply renders each template in order and strategic-merges the output onto
// the pod with corev1.Pod's merge keys (containers by name, env by name,
// volumes by name...) and $patch directives, exactly as Istio does with
// apimachinery's strategicpatch, so list order is strategicpatch's too (it
// interleaves the template's order with the pod's; it does not simply
// append). It also merges the output
// onto an empty pod: Applied.Injected is what the templates alone produce,
// which tells the caller which containers and volumes were injected.
//
// Apply then merges the pod's own containers of the same names back on top
// (Applied.Overrides lists them, for the proxy.istio.io/overrides
// annotation), so a user who declares istio-proxy in the pod to change its
// resources or lifecycle wins; an image of "auto" keeps the template's
// image. In native-sidecar mode the template puts istio-proxy in
// initContainers; a user's istio-proxy in containers is moved there and
// merged, not duplicated.
//
// ValidateResources reports, for every container, a request above its
// limit or a negative quantity as an error and a request without a limit
// (or a limit without a request) as a warning. An injector usually wants
// the warnings only for what it injected: ValidateResourcesFor takes the
// containers to warn about, and still returns the errors of all of them.
//
// What Apply does not do is Istio's post-processing: ordering the proxy
// container first or last, rewriting probes, adding the
// sidecar.istio.io/status annotation. That is package inject's job.
//
// # Data and functions
//
// Data carries the field names Istio's templates address (.ObjectMeta,
// .Spec, .Values, .ProxyConfig, .MeshConfig, .DeploymentMeta, ...).
// Their types, MeshConfig and ProxyConfig, are Istio's configuration model
// and live in package meshconfig, with Istio's defaults, its protobuf-style
// JSON and the proxy.istio.io/config overlay; they have Istio's
// protobuf-style accessors
// (.ProxyConfig.InterceptionMode.String,
// .ProxyConfig.HoldApplicationUntilProxyStarts.GetValue,
// .ProxyConfig.GetTracing.GetTlsSettings.GetCaCertificates), which the
// shipped templates call. Missing map keys behave as in Istio (text/template's
// default: a missing key is the zero value, printed as "<no value>").
//
// FuncMap documents every function: Istio's set (annotation, isset,
// valueOrDefault, excludeInboundPort, protoToJSON, toYaml, Istio's indent
// that skips the first line, ...) and the Helm/sprig functions custom
// templates use (default, quote, list, append, join, trunc, trimAll, dict,
// ...), written for this package. env reads Options.Env, never the process
// environment.
//
// # Templates that are not sidecar templates
//
// Istio's injection config also carries waypoint, kube-gateway,
// agentgateway and agentgateway-waypoint. Those are for Istio's gateway
// deployment controller and expect its data (.DeploymentName,
// .InfrastructureLabels, ...), not a pod's. Parse accepts them (all their
// functions exist), so a whole config parses; rendering them with Data
// fails with an error naming the missing field. Do not list them in
// defaultTemplates or inject.istio.io/templates.
//
// # Strictness
//
// Each rendered document is decoded strictly: a duplicate key, a field
// corev1.Pod does not have, a value of the wrong type or a quantity that
// does not parse is an error wrapping ErrBadOutput that names the template,
// the field path, the line of the rendered output and, when the key appears
// in the template source, its line there. Istio drops unknown fields
// silently.
//
// # Values are data
//
// Annotation and label values reach the templates as strings. The quote and
// squote functions produce YAML-safe scalars whatever the value holds
// (newlines, quotes, "}}", ": ", "#", "&anchor", "- "); a template that
// writes every user value through quote, toYaml or toJson cannot be made to
// add a field. Istio's shipped sidecar template does not quote everything:
// it writes some annotations raw, inside double quotes or bare. Call
// ValidateAnnotations (and, for manual injection, ValidateLabels) before
// rendering: it checks what Istio checks (interception mode, CIDR and port
// lists, ports, probe settings, booleans, proxy.istio.io/config) and,
// beyond Istio, the quantities of the proxyCPU/proxyMemory annotations and
// every annotation the shipped templates write unquoted (interface lists,
// user volumes, Datadog env, Multus networks, proxy metadata inside
// proxy.istio.io/config). Each error names the annotation key.
// ValidateAnnotations checks as the newest Istio does; two checks changed
// between releases (enableCoreDump a boolean up to 1.24, excludeInterfaces
// interface names from 1.30), and ValidateAnnotationsFor with an
// AnnotationChecks checks as an older release does, still refusing a value
// that could leave its place in the template, with an error naming the
// release that would have accepted it.
//
// Object names are written raw too (Istio's template puts the workload's
// name into ISTIO_META_OWNER unquoted): call ValidateNames on the Data
// before rendering. It checks every name the Data holds with Kubernetes'
// syntax for it, so a name that passes cannot leave its scalar.
//
// # Speed
//
// Apply parses each rendered document once, with a small parser for the
// YAML templates produce (block and flow collections, quoted and plain
// scalars, literal blocks) that hands anything else to sigs.k8s.io/yaml,
// merges with strategicpatch on the decoded trees, and builds the typed
// pods without JSON text. Istio converts between typed pods, JSON and YAML
// around every merge. On the corpus hello pod with Istio's sidecar template
// (BenchmarkApplySidecar and BenchmarkApplySidecarIstioPath, same machine)
// that is about 3 times less CPU and 4 times fewer allocations. Tests check
// that both ways give the same pods for every corpus case.
//
// Templates do not run on text/template's reflection: each is compiled, on
// its first render, into a program that gives the same bytes (text/template
// remains the reference, and runs whatever a program declines, errors
// included). Specialize goes further for an injector, whose configuration
// (values, mesh and proxy config, revision) is the same for every pod: it
// compiles the templates once for that configuration, computing ahead
// everything that depends on it alone, so that per pod only what reads the
// pod runs. Istio's sidecar template then renders in about a sixth of
// text/template's instructions and a sixteenth of its allocations. Build
// with the tag kinject_reference to run text/template alone.
//
// # Traps
//
//   - strategicpatch does not append new list items: a container the
//     template lists before the pod's may land first. Reorder after merging
//     if order matters (Istio's injector moves istio-proxy last).
//   - A template that writes a value with {{ .X }} inside "..." instead of
//     {{ .X | quote }} is only as safe as the validation of .X.
//   - indent is Istio's (every line but the first); nindent is Helm's.
//   - Line numbers in ErrBadOutput errors count lines of the rendered
//     output, which differ from the template source when blocks are skipped.
//   - "Unknown field" means unknown to the k8s.io/api version kinject is
//     built with; a template using a newer Kubernetes field needs a newer
//     kinject, where Istio would drop the field silently.
//   - Rendered YAML is read with the same YAML 1.1 rules as Istio
//     (sigs.k8s.io/yaml): an unquoted yes, on or off is a boolean.
package template
