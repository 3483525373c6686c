package inject

import (
	"context"
	"strings"
	"testing"
)

// TestCronJobPodOptOut: manual injection decides a CronJob from its job
// template's metadata, as istioctl does; an opt-out on the pod template is
// not read, and a warning names where it is and where it must go.
func TestCronJobPodOptOut(t *testing.T) {
	inj := newTestInjector(t, nil)
	cron := func(jobMeta, podMeta string) string {
		return `apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: ops}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    metadata: {` + jobMeta + `}
    spec:
      template:
        metadata: {` + podMeta + `}
        spec:
          restartPolicy: OnFailure
          containers: [{name: backup, image: backup}]
`
	}
	const ignored = `sidecar.istio.io/inject: "false" in spec.jobTemplate.spec.template.metadata.`
	cases := []struct {
		name, reason string
		in           string
		wantInjected bool
		wantWarning  string // substring of a warning; "" for none about the opt-out
	}{
		{"pod label", "the issue's case: Istio injects anyway; say so, naming the label's place",
			cron("", `labels: {sidecar.istio.io/inject: "false"}`), true,
			ignored + `labels is ignored: manual injection of a CronJob reads spec.jobTemplate.metadata (as istioctl kube-inject does), so its Jobs get a sidecar and may never complete; to skip injection, set it in spec.jobTemplate.metadata.labels too`},
		{"pod annotation", "the deprecated annotation is named as an annotation",
			cron("", `annotations: {sidecar.istio.io/inject: "false"}`), true, ignored + "annotations is ignored"},
		{"job template label", "where manual injection reads it: skipped, nothing to warn about",
			cron(`labels: {sidecar.istio.io/inject: "false"}`, `labels: {sidecar.istio.io/inject: "false"}`), false, ""},
		{"no opt-out", "an ordinary CronJob draws no warning", cron("", `labels: {app: backup}`), true, ""},
		{"pod opts in", "only an opt-out is worth a warning", cron("", `labels: {sidecar.istio.io/inject: "true"}`), true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := inj.InjectManifests(context.Background(), []byte(c.in), ManifestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Injected == 1; got != c.wantInjected {
				t.Errorf("injected: %v, want %v (%s)", got, c.wantInjected, c.reason)
			}
			var found string
			for _, w := range res.Warnings {
				if strings.Contains(w, ignored) {
					found = w
				}
			}
			switch {
			case c.wantWarning == "" && found != "":
				t.Errorf("unexpected warning %q (%s)", found, c.reason)
			case c.wantWarning != "" && !strings.Contains(found, c.wantWarning):
				t.Errorf("warnings %q lack %q (%s)", res.Warnings, c.wantWarning, c.reason)
			case found != "" && !strings.HasPrefix(found, `document 0 (cronjob "ops/backup"): `):
				t.Errorf("warning %q does not name the document", found)
			}
		})
	}
}
