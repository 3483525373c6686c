// Package cluster reads a cluster's whole injection state from what kubectl
// prints and answers from it as that cluster would: which revision injects
// a pod, which running pods have a stale sidecar.
//
// Load takes the dumps (`kubectl get configmap -n istio-system -o yaml`,
// `kubectl get mutatingwebhookconfigurations -o yaml`, `kubectl get
// namespaces -o yaml` and `kubectl get
// pods,replicasets,deployments,statefulsets,daemonsets,jobs,cronjobs -A -o
// yaml`, YAML or JSON, in any order) and returns a State: every revision
// with its injector configuration (the three dumps inject.LoadConfig reads,
// per revision), its tags and its Istio release, Istio's injection
// webhooks as installed, the namespaces and the workloads. Objects it does
// not need are counted and skipped; a malformed object is an *ObjectError
// naming its kind, namespace and name, and the rest still load.
//
// State.Mesh builds an inject.Mesh, the multi-revision injector: the
// installed webhooks pick the revision (selectors a user edited and
// webhooks istioctl deactivated count), then that revision's own policy
// and templates inject. State.Policy gives the same picture as a
// policy.Mesh, for label-only decisions and policy tests pinned to a
// cluster's dumps.
//
// # The guides' migration flow
//
// Workloads resolves owner chains (Pod → ReplicaSet → Deployment,
// StatefulSet, DaemonSet, Job → CronJob, bare pods). ParseChange reads a
// change in the guides' own words (`kubectl label namespace NS
// istio-injection- istio.io/rev=canary --overwrite`, `istioctl tag set
// default --revision canary`), State.Apply makes the state after it, and
// State.Plan tells each workload's revision now and after, its Action
// (Nothing, RestartToUpdate, RestartToInject, RestartToRemove,
// DeleteAndRecreate for bare pods, Wait for running Jobs) and the commands
// in order. State.Verify is the guides' "every pod shows 2/2 READY" check,
// naming each pod that lacks its intended sidecar and why. State.Lint is
// policy.Lint on the state's labels plus what needs the templates
// (CodeInjectionFails: a workload whose next pod its injector refuses).
//
// The package is pure: bytes in, values out; no cluster, files, clock or
// environment.
//
// # Traps
//
//   - A revision is identified by its ConfigMap's name
//     (istio-sidecar-injector-<rev>); a values.revision that disagrees is
//     reported in State.Warnings and the name wins.
//   - Without webhooks in the dumps, the webhooks Istio would install for
//     the revisions (and the tags the dumps show, which without webhooks is
//     none) decide. Give the webhooks dump to answer as the cluster does.
//   - Pods of namespaces missing from the dumps are decided as if the
//     namespace had no labels.
package cluster
