package inject

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kinject/kinject/policy"
)

// StaleAction is what a running pod needs for its sidecar to be what the
// cluster would inject now. The values are stable: they appear in
// check-inject's JSON output.
type StaleAction string

// The outcomes of CheckStale.
const (
	// UpToDate: the pod has the sidecar it would get now, or has none and
	// would get none.
	UpToDate StaleAction = "UpToDate"
	// RestartToUpdate: the pod has a sidecar, but another revision injects
	// it now, or the same revision injects a different sidecar (a new proxy
	// image, a changed template or setting).
	RestartToUpdate StaleAction = "RestartToUpdate"
	// RestartToInject: the pod has no sidecar but would get one now (the
	// guides' 1/1 READY where 2/2 is expected).
	RestartToInject StaleAction = "RestartToInject"
	// RestartToRemove: the pod has a sidecar but would get none now.
	RestartToRemove StaleAction = "RestartToRemove"
)

// MaxChanges is how many differing fields Staleness.Changes lists; the
// rest are counted in MoreChanges.
const MaxChanges = 5

// Staleness says whether a running pod's sidecar is out of date, and why.
type Staleness struct {
	// Stale reports that the pod must be restarted (Action is not UpToDate).
	Stale bool `json:"stale"`
	// Action is what the pod needs.
	Action StaleAction `json:"action"`
	// RunningRevision is the revision that injected the running pod's
	// sidecar, as its sidecar.istio.io/status annotation records it
	// ("default" for the revisionless install); "" when it has none.
	RunningRevision string `json:"runningRevision,omitempty"`
	// CurrentRevision is the revision that would inject the pod now, as an
	// istio.io/rev value ("default" for the revisionless install); "" when
	// none would.
	CurrentRevision string `json:"currentRevision,omitempty"`
	// Reason says why, in one sentence; for a changed sidecar it names the
	// first differing fields with both values.
	Reason string `json:"reason"`
	// Changes are the first MaxChanges fields in which the running pod
	// differs from what would be injected now, modulo the API server's
	// defaults (see WithServerDefaults) and admission's service-account
	// token mounts; set for a RestartToUpdate of the same revision.
	Changes []FieldChange `json:"changes,omitempty"`
	// MoreChanges counts the differing fields beyond Changes.
	MoreChanges int `json:"moreChanges,omitempty"`
	// Decision is the policy decision for the pod as it would be created
	// now (from its labels and annotations without what injection added).
	Decision policy.Decision `json:"-"`
}

// FieldChange is one field in which a running pod differs from what would
// be injected now.
type FieldChange struct {
	// Path names the field, for example spec.containers[istio-proxy].image
	// or metadata.annotations[sidecar.istio.io/status]; list elements are
	// named by their name (or mountPath) where they have one, else by index.
	Path string `json:"path"`
	// Running is the field's value in the running pod, as compact JSON;
	// "" when the pod lacks the field.
	Running string `json:"running,omitempty"`
	// Current is the field's value in what would be injected now, as
	// compact JSON; "" when that lacks the field.
	Current string `json:"current,omitempty"`
}

// CheckStale tells, without side effects, whether the sidecar of a running
// pod (req.Pod, as read back from the API server) is what this Injector
// would inject now; see StaleAction for the outcomes. The pod is decided
// as it would be created again: from its labels and annotations without
// those injection added, with req's namespace labels (the full decision,
// as for manual injection, when req.NamespaceLabels is set; the injector's
// own rules otherwise). A sidecar of another revision than this Injector's
// is RestartToUpdate. A sidecar of this revision is compared with what
// InjectPod gives for the pod now, modulo what the API server adds: its
// defaults (WithServerDefaults), status, and admission's service-account
// token mounts; the differing fields are named.
func (i *Injector) CheckStale(ctx context.Context, req PodRequest) (Staleness, error) {
	if i == nil {
		return Staleness{}, fmt.Errorf("inject: CheckStale called on a nil *Injector")
	}
	return checkStale(ctx, req, func(r PodRequest, ns string) (policy.Decision, *Injector) {
		return i.decide(r, ns), i
	})
}

// router decides a pod (as it would be created now) and returns the
// injector of the revision that would inject it.
type router func(req PodRequest, ns string) (policy.Decision, *Injector)

func checkStale(ctx context.Context, req PodRequest, route router) (Staleness, error) {
	if req.Pod == nil {
		return Staleness{}, fmt.Errorf("inject: CheckStale: nil pod")
	}
	if err := ctx.Err(); err != nil {
		return Staleness{}, err
	}
	running := req.Pod
	ns := podNamespace(req)
	v, injected := running.Annotations[annStatus]
	var st sidecarStatus
	fresh := req
	if injected {
		if err := json.Unmarshal([]byte(v), &st); err != nil {
			return Staleness{}, fmt.Errorf("%s: %w %s: %w", podLabel(req), ErrInvalidAnnotation, annStatus, err)
		}
		base, err := uninjectPod(running, true)
		if err != nil {
			return Staleness{}, fmt.Errorf("%s: %w", podLabel(req), err)
		}
		fresh.Pod = base
	}
	dec, inj := route(fresh, ns)
	s := Staleness{Decision: dec, RunningRevision: st.Revision}
	if dec.Inject {
		s.CurrentRevision = revisionLabel(dec.Revision)
	}
	switch {
	case !injected && !dec.Inject:
		s.Action, s.Reason = UpToDate, "no sidecar, and none would be injected now: "+dec.Reason
	case !injected:
		s.Action = RestartToInject
		s.Reason = fmt.Sprintf("no sidecar, but revision %q would inject one now: %s", s.CurrentRevision, dec.Reason)
	case !dec.Inject:
		s.Action = RestartToRemove
		s.Reason = fmt.Sprintf("a sidecar of revision %q, but none would be injected now: %s", st.Revision, dec.Reason)
	case st.Revision != s.CurrentRevision:
		s.Action = RestartToUpdate
		s.Reason = fmt.Sprintf("injected by revision %q; revision %q injects it now: %s", st.Revision, s.CurrentRevision, dec.Reason)
	default:
		if inj == nil {
			return Staleness{}, fmt.Errorf("%s: no injector for revision %q", podLabel(req), s.CurrentRevision)
		}
		res, err := inj.injectDecided(ctx, req, ns, dec)
		if err != nil {
			return Staleness{}, fmt.Errorf("%s: %w", podLabel(req), err)
		}
		changes, err := sidecarChanges(running, res.Pod)
		if err != nil {
			return Staleness{}, fmt.Errorf("%s: comparing sidecars: %w", podLabel(req), err)
		}
		if len(changes) == 0 {
			s.Action = UpToDate
			s.Reason = fmt.Sprintf("the sidecar is what revision %q injects now", s.CurrentRevision)
			break
		}
		s.Action = RestartToUpdate
		s.Changes = changes
		if len(changes) > MaxChanges {
			s.Changes, s.MoreChanges = changes[:MaxChanges:MaxChanges], len(changes)-MaxChanges
		}
		s.Reason = fmt.Sprintf("revision %q now injects a different sidecar: %s", s.CurrentRevision, describeChanges(s.Changes, s.MoreChanges))
	}
	s.Stale = s.Action != UpToDate
	return s, nil
}

// revisionLabel is the istio.io/rev value of a policy revision name.
func revisionLabel(name string) string {
	if name == "" {
		return "default"
	}
	return name
}

// describeChanges words the first changes for a Reason: at most three,
// each value cut to 60 characters, then a count.
func describeChanges(changes []FieldChange, more int) string {
	shown := changes
	if len(shown) > 3 {
		shown = shown[:3]
	}
	parts := make([]string, 0, len(shown)+1)
	for _, c := range shown {
		parts = append(parts, fmt.Sprintf("%s %s → %s", c.Path, cut(c.Running), cut(c.Current)))
	}
	if rest := len(changes) - len(shown) + more; rest > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", rest))
	}
	return strings.Join(parts, "; ")
}

func cut(v string) string {
	if v == "" {
		return "(absent)"
	}
	if r := []rune(v); len(r) > 60 {
		return string(r[:57]) + "..."
	}
	return v
}

// sidecarChanges lists the fields in which running differs from want,
// comparing their labels, annotations and spec after applying the API
// server's defaults to both and removing the service-account token mounts
// that admission adds to containers (want comes from a render, running
// from a cluster).
//
// Both views are encoded by encoding/json (map keys sorted), so equal
// bytes mean equal trees: the field walk runs only when they differ.
func sidecarChanges(running, want *corev1.Pod) ([]FieldChange, error) {
	ja, err := staleView(running)
	if err != nil {
		return nil, err
	}
	jb, err := staleView(want)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(ja, jb) {
		return nil, nil
	}
	a, err := staleTree(ja)
	if err != nil {
		return nil, err
	}
	b, err := staleTree(jb)
	if err != nil {
		return nil, err
	}
	var out []FieldChange
	diffValues("", a, b, &out)
	return out, nil
}

func staleTree(b []byte) (any, error) {
	var tree any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return tree, nil
}

// saTokenVolume matches the volume the ServiceAccount admission plugin adds
// (kube-api-access-<random>).
var saTokenVolume = regexp.MustCompile(`^kube-api-access-[a-z0-9]+$`)

// staleView is the part of a pod CheckStale compares, normalised, as
// JSON.
func staleView(p *corev1.Pod) ([]byte, error) {
	d := WithServerDefaults(p)
	tokens := map[string]bool{}
	for _, v := range d.Spec.Volumes {
		if saTokenVolume.MatchString(v.Name) && v.Projected != nil {
			tokens[v.Name] = true
		}
	}
	for _, cs := range [][]corev1.Container{d.Spec.InitContainers, d.Spec.Containers} {
		for k := range cs {
			mounts := cs[k].VolumeMounts[:0:0]
			for _, m := range cs[k].VolumeMounts {
				if !tokens[m.Name] {
					mounts = append(mounts, m)
				}
			}
			if len(mounts) == 0 {
				mounts = nil
			}
			cs[k].VolumeMounts = mounts
		}
	}
	view := struct {
		Metadata struct {
			Labels      map[string]string `json:"labels,omitempty"`
			Annotations map[string]string `json:"annotations,omitempty"`
		} `json:"metadata"`
		Spec corev1.PodSpec `json:"spec"`
	}{Spec: d.Spec}
	view.Metadata.Labels, view.Metadata.Annotations = d.Labels, d.Annotations
	return json.Marshal(view)
}

// diffValues appends to out every leaf or subtree in which a and b differ.
func diffValues(path string, a, b any, out *[]FieldChange) {
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			keys := make([]string, 0, len(av)+len(bv))
			for k := range av {
				keys = append(keys, k)
			}
			for k := range bv {
				if _, ok := av[k]; !ok {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				x, inA := av[k]
				y, inB := bv[k]
				child := joinPath(path, k)
				switch {
				case !inA:
					*out = append(*out, FieldChange{Path: child, Current: jsonText(y)})
				case !inB:
					*out = append(*out, FieldChange{Path: child, Running: jsonText(x)})
				default:
					diffValues(child, x, y, out)
				}
			}
			return
		}
	case []any:
		if bv, ok := b.([]any); ok {
			diffLists(path, av, bv, out)
			return
		}
	default:
		if jsonText(a) == jsonText(b) {
			return
		}
	}
	*out = append(*out, FieldChange{Path: path, Running: jsonText(a), Current: jsonText(b)})
}

// diffLists aligns two lists by their elements' name (or mountPath) when
// every element has a distinct one, else by position.
func diffLists(path string, a, b []any, out *[]FieldChange) {
	for _, key := range []string{"name", "mountPath"} {
		ka, okA := listKeys(a, key)
		kb, okB := listKeys(b, key)
		if !okA || !okB {
			continue
		}
		inB := map[string]int{}
		for i, k := range kb {
			inB[k] = i
		}
		inA := map[string]bool{}
		for i, k := range ka {
			inA[k] = true
			child := path + "[" + k + "]"
			if j, ok := inB[k]; ok {
				diffValues(child, a[i], b[j], out)
			} else {
				*out = append(*out, FieldChange{Path: child, Running: jsonText(a[i])})
			}
		}
		for j, k := range kb {
			if !inA[k] {
				*out = append(*out, FieldChange{Path: path + "[" + k + "]", Current: jsonText(b[j])})
			}
		}
		return
	}
	for i := 0; i < len(a) || i < len(b); i++ {
		child := path + "[" + strconv.Itoa(i) + "]"
		switch {
		case i >= len(a):
			*out = append(*out, FieldChange{Path: child, Current: jsonText(b[i])})
		case i >= len(b):
			*out = append(*out, FieldChange{Path: child, Running: jsonText(a[i])})
		default:
			diffValues(child, a[i], b[i], out)
		}
	}
}

// listKeys returns each element's string field key, when every element is
// an object with a distinct, non-empty one.
func listKeys(list []any, key string) ([]string, bool) {
	if len(list) == 0 {
		return nil, true
	}
	keys := make([]string, len(list))
	seen := map[string]bool{}
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		k, ok := m[key].(string)
		if !ok || k == "" || seen[k] {
			return nil, false
		}
		seen[k] = true
		keys[i] = k
	}
	return keys, true
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func joinPath(path, key string) string {
	if plainKey.MatchString(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	return path + "[" + key + "]"
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
