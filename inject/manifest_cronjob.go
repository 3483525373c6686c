package inject

import "fmt"

// annInject is the pod label (and deprecated annotation) that opts a pod in
// or out of injection.
const annInject = "sidecar.istio.io/inject"

// ignoredPodOptOut warns about a CronJob that manual injection gave a
// sidecar although its pod template opts out. Istio's kube-inject decides a
// CronJob from spec.jobTemplate.metadata (and writes its annotations
// there), so sidecar.istio.io/inject: "false" on
// spec.jobTemplate.spec.template.metadata is not read; kinject keeps that,
// to give istioctl's output, and says so, because a Job's pod whose sidecar
// keeps running never completes, while the webhook, which sees the pods,
// would have skipped them. It returns "" when there is nothing to say.
func ignoredPodOptOut(t podTemplate) string {
	if t.podMeta == nil {
		return ""
	}
	field, v := "labels", ""
	if l, ok := t.podMeta.Labels[annInject]; ok {
		v = l
	} else if a, ok := t.podMeta.Annotations[annInject]; ok {
		field, v = "annotations", a
	}
	if v != "false" {
		return ""
	}
	return fmt.Sprintf("%s: %q in spec.jobTemplate.spec.template.metadata.%s is ignored: manual injection of a CronJob reads "+
		"spec.jobTemplate.metadata (as istioctl kube-inject does), so its Jobs get a sidecar and may never complete; "+
		"to skip injection, set it in spec.jobTemplate.metadata.%s too (the webhook, which sees the pods, skips them already)",
		annInject, v, field, field)
}
