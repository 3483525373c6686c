package policy_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kinject/kinject/policy"
)

func rel(major, minor, patch int) policy.Release {
	return policy.Release{Major: major, Minor: minor, Patch: patch}
}

func TestParseRelease(t *testing.T) {
	tests := []struct {
		in      string
		want    policy.Release
		wantErr bool
		why     string
	}{
		{"1.23.6", rel(1, 23, 6), false, "a plain release tag"},
		{"1.23", rel(1, 23, 0), false, "major.minor alone"},
		{"v1.26.8", rel(1, 26, 8), false, "a leading v, as Git tags spell it"},
		{"1.23.6-distroless", rel(1, 23, 6), false, "image variant suffix"},
		{"1.23.3-asm.2", rel(1, 23, 3), false, "Anthos Service Mesh tag: the Istio release before -asm"},
		{"1.24.0+build.7", rel(1, 24, 0), false, "build metadata"},
		{" 1.29.6 ", rel(1, 29, 6), false, "surrounding space from a flag or file"},
		{"", policy.Release{}, false, "nothing given means newest"},
		{"latest", policy.Release{}, false, "the tag of builds from Istio's main branch"},
		{"newest", policy.Release{}, false, "String's spelling of the zero Release reads back"},
		{"asm-1233-2", policy.Release{}, true, "a revision name is not a release"},
		{"master-latest-daily", policy.Release{}, true, "a dev tag says nothing about the release"},
		{"1", policy.Release{}, true, "the minor version decides behaviour, so it is required"},
		{"1.23.6.1", policy.Release{}, true, "four numbers"},
		{"1.x", policy.Release{}, true, "not a number"},
		{"1.023", policy.Release{}, true, "leading zeros are not how Istio spells releases"},
		{"0.8.0", policy.Release{}, true, "no Istio release before 1.0 is supported"},
		{"1.-2", policy.Release{}, true, "negative"},
		{"6a112a28410654328342c68f82da48920e34f062", policy.Release{}, true, "a commit"},
	}
	for _, tc := range tests {
		got, err := policy.ParseRelease(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseRelease(%q) error = %v, want error %v (%s)", tc.in, err, tc.wantErr, tc.why)
			continue
		}
		if err != nil && !errors.Is(err, policy.ErrRelease) {
			t.Errorf("ParseRelease(%q) error %v does not match ErrRelease", tc.in, err)
		}
		if got != tc.want {
			t.Errorf("ParseRelease(%q) = %v, want %v (%s)", tc.in, got, tc.want, tc.why)
		}
	}
}

func TestReleaseOrder(t *testing.T) {
	newest := policy.Release{}
	tests := []struct {
		r, o   policy.Release
		cmp    int
		before bool // r.Before(o.Major, o.Minor)
		why    string
	}{
		{rel(1, 26, 8), rel(1, 27, 0), -1, true, "minor decides"},
		{rel(1, 27, 0), rel(1, 27, 0), 0, false, "a release is not before itself"},
		{rel(1, 27, 3), rel(1, 27, 0), 1, false, "the patch orders but does not make it before its own minor"},
		{rel(2, 0, 0), rel(1, 99, 0), 1, false, "major decides first"},
		{rel(1, 23, 6), newest, -1, false, "newest is after every release (Before with 0.0 is never true)"},
		{newest, rel(1, 30, 0), 1, false, "newest is before nothing"},
		{newest, newest, 0, false, "newest equals itself"},
	}
	for _, tc := range tests {
		if got := tc.r.Compare(tc.o); got != tc.cmp {
			t.Errorf("%v.Compare(%v) = %d, want %d (%s)", tc.r, tc.o, got, tc.cmp, tc.why)
		}
		if got := tc.o.Compare(tc.r); got != -tc.cmp {
			t.Errorf("%v.Compare(%v) = %d, want %d (antisymmetry; %s)", tc.o, tc.r, got, -tc.cmp, tc.why)
		}
		if got := tc.r.Before(tc.o.Major, tc.o.Minor); got != tc.before {
			t.Errorf("%v.Before(%d, %d) = %v, want %v (%s)", tc.r, tc.o.Major, tc.o.Minor, got, tc.before, tc.why)
		}
	}
}

func TestReleaseText(t *testing.T) {
	for _, r := range []policy.Release{{}, rel(1, 23, 6), rel(1, 30, 0)} {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var back policy.Release
		if err := json.Unmarshal(b, &back); err != nil || back != r {
			t.Errorf("JSON round trip of %v: %s gives %v, %v", r, b, back, err)
		}
	}
	// A revision in a mesh file: a quoted release is read, a bare number
	// (which YAML turns 1.30 into 1.3) is refused, and the newest release
	// is left out when written.
	var m policy.Mesh
	if err := yaml.UnmarshalStrict([]byte("revisions:\n- revision: old\n  istioVersion: \"1.26.8\"\n"), &m); err != nil || m.Revisions[0].Release != rel(1, 26, 8) {
		t.Errorf("mesh file with istioVersion \"1.26.8\": %+v, %v", m, err)
	}
	err := yaml.UnmarshalStrict([]byte("revisions:\n- istioVersion: 1.30\n"), &m)
	if err == nil || !strings.Contains(err.Error(), "quoted") {
		t.Errorf("bare YAML number 1.30: error %v, want one asking for a quoted string", err)
	}
	b, _ := json.Marshal(policy.Revision{Name: "x"})
	if strings.Contains(string(b), "istioVersion") {
		t.Errorf("newest release is written: %s", b)
	}
}

func TestInjectIntent(t *testing.T) {
	v126, v127 := rel(1, 26, 8), rel(1, 27, 0)
	tests := []struct {
		value      string
		old, newer policy.InjectIntent // under 1.26 and under 1.27 (and newest)
		why        string
	}{
		{"", policy.IntentDefault, policy.IntentDefault, "empty never decides"},
		{"true", policy.IntentInject, policy.IntentInject, "every release"},
		{"false", policy.IntentSkip, policy.IntentSkip, "every release"},
		{"True", policy.IntentInject, policy.IntentDefault, "1.26 lower-cases"},
		{"yes", policy.IntentInject, policy.IntentDefault, "YAML 1.1 spelling"},
		{"Y", policy.IntentInject, policy.IntentDefault, "y, any case"},
		{"on", policy.IntentInject, policy.IntentDefault, "on"},
		{"False", policy.IntentSkip, policy.IntentDefault, "the migration trap: 1.26 opts out, 1.27 ignores"},
		{"no", policy.IntentSkip, policy.IntentDefault, "anything else opts out under 1.26"},
		{"off", policy.IntentSkip, policy.IntentDefault, "off"},
		{"1", policy.IntentSkip, policy.IntentDefault, "1 is not in 1.26's list, so it opts out"},
		{"enabled", policy.IntentSkip, policy.IntentDefault, "a namespace-label value on a pod"},
	}
	for _, tc := range tests {
		if got := v126.InjectIntent(tc.value); got != tc.old {
			t.Errorf("1.26 InjectIntent(%q) = %v, want %v (%s)", tc.value, got, tc.old, tc.why)
		}
		for _, r := range []policy.Release{v127, {}} {
			if got := r.InjectIntent(tc.value); got != tc.newer {
				t.Errorf("%v InjectIntent(%q) = %v, want %v (%s)", r, tc.value, got, tc.newer, tc.why)
			}
		}
		note := policy.InjectValueNote(tc.value)
		if (note != "") != (tc.old != tc.newer) {
			t.Errorf("InjectValueNote(%q) = %q; want a note exactly when the releases disagree (%s)", tc.value, note, tc.why)
		}
	}
	if got := policy.InjectValueNote("False"); !strings.Contains(got, `"False"`) || !strings.Contains(got, "1.26 and earlier") || !strings.Contains(got, "opt the pod out") || !strings.Contains(got, "1.27 and later ignore it") {
		t.Errorf("InjectValueNote(False) = %q", got)
	}
}

// The injector of each revision reads values by its own release, in
// Required and in Decide, and the Reason says which release read it.
func TestDecideByRelease(t *testing.T) {
	old := policy.Revision{Name: "old", Release: rel(1, 26, 8)}
	cur := policy.Revision{Name: "cur", Release: rel(1, 29, 6)}
	nsOld := m("istio.io/rev", "old")
	nsCur := m("istio.io/rev", "cur")
	tests := []struct {
		name   string
		why    string
		mesh   policy.Mesh
		target policy.Target
		want   want
	}{
		{"1.26 honours False", "the value opts out under a release up to 1.26",
			policy.Mesh{Revisions: []policy.Revision{old, cur}}, target("shop", nsOld, "sidecar.istio.io/inject", "False"),
			want{revision: "old", webhook: "rev.namespace.sidecar-injector.istio.io", reason: `pod label sidecar.istio.io/inject="False" opts out (Istio 1.26.8 lower-cases the value`,
				warnings: []string{"Istio 1.26 and earlier lower-case the value and opt the pod out; 1.27 and later ignore it"}}},
		{"1.29 ignores False", "the same pod moved to a 1.29 revision falls back to the policy",
			policy.Mesh{Revisions: []policy.Revision{old, cur}}, target("shop", nsCur, "sidecar.istio.io/inject", "False"),
			want{inject: true, revision: "cur", webhook: "rev.namespace.sidecar-injector.istio.io", reason: "policy is enabled",
				warnings: []string{"1.27 and later ignore it"}}},
		{"newest mesh words as before", "without an old revision the warning does not mention old releases",
			policy.Mesh{Revisions: []policy.Revision{cur}}, target("shop", nsCur, "sidecar.istio.io/inject", "False"),
			want{inject: true, revision: "cur", webhook: "rev.namespace.sidecar-injector.istio.io", reason: "policy is enabled",
				warnings: []string{"webhook selectors compare it exactly and the injector ignores it"}}},
		{"1.26 injects on yes", "yes is true under 1.26 even with policy disabled",
			policy.Mesh{Revisions: []policy.Revision{{Name: "old", Release: rel(1, 26, 8), Policy: "disabled"}}},
			target("shop", nsOld, "sidecar.istio.io/inject", "yes"),
			want{inject: true, revision: "old", webhook: "rev.namespace.sidecar-injector.istio.io", reason: `"yes" asks for injection (Istio 1.26.8`,
				warnings: []string{`"yes" is neither`}}},
		{"1.23 annotation off", "the deprecated annotation is read the same way when the label is absent",
			policy.Mesh{Revisions: []policy.Revision{{Release: rel(1, 23, 6)}}},
			annotated(target("shop", m("istio-injection", "enabled")), "sidecar.istio.io/inject", "off"),
			want{webhook: "namespace.sidecar-injector.istio.io", reason: `pod annotation sidecar.istio.io/inject="off" opts out`,
				warnings: []string{"deprecated", `"off" is neither "true" nor "false": Istio 1.26 and earlier`}}},
		{"empty label under 1.26", "an empty label falls back in every release and hides the annotation",
			policy.Mesh{Revisions: []policy.Revision{{Release: rel(1, 26, 8)}}},
			annotated(target("shop", m("istio-injection", "enabled"), "sidecar.istio.io/inject", ""), "sidecar.istio.io/inject", "false"),
			want{inject: true, webhook: "namespace.sidecar-injector.istio.io", reason: "policy is enabled",
				warnings: []string{`"" is neither`, "takes precedence"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.why, tc.mesh.Decide(tc.target), tc.want)
			// Stage B alone, with the revision the webhook chose, agrees.
			for _, r := range tc.mesh.Revisions {
				if r.Name == tc.want.revision {
					got := r.Required(tc.target)
					if got.Inject != tc.want.inject {
						t.Errorf("%s: Required inject = %v, want %v (%s)", tc.name, got.Inject, tc.want.inject, got.Reason)
					}
				}
			}
		})
	}
}

// FuzzParseRelease: any text parses without a panic; a release read back
// from its String is the same release, and text that is not one matches
// ErrRelease.
func FuzzParseRelease(f *testing.F) {
	for _, s := range []string{"1.23.6", "v1.26.8", "1.23.3-asm.2", "latest", "", "asm-1233-2", "1.30", "01.2", "1.2.3.4", "1..2", "9999.9999.9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := policy.ParseRelease(s)
		if err != nil {
			if !errors.Is(err, policy.ErrRelease) {
				t.Fatalf("%q: error %v does not match ErrRelease", s, err)
			}
			return
		}
		again, err := policy.ParseRelease(r.String())
		if err != nil || again != r {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, r, r.String(), again, err)
		}
	})
}
