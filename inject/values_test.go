package inject

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func testValues() map[string]any {
	return map[string]any{
		"revision": "",
		"global": map[string]any{
			"hub": "docker.io/istio",
			"tag": "1.27.1",
			"proxy": map[string]any{
				"resources": map[string]any{"requests": map[string]any{"cpu": "100m"}},
			},
		},
		"sidecarInjectorWebhook": map[string]any{
			"injectedAnnotations": map[string]any{"example.com/a": "x"},
		},
	}
}

func TestValue(t *testing.T) {
	cfg := &Config{Values: testValues()}
	cases := []struct {
		name, reason string
		path         string
		want         any
		wantErr      string
		noValue      bool
	}{
		{"leaf", "the proxy tag, the issue's example", "global.tag", "1.27.1", "", false},
		{"deep", "several levels", "global.proxy.resources.requests.cpu", "100m", "", false},
		{"object", "an object is returned as decoded", "global.proxy.resources.requests", map[string]any{"cpu": "100m"}, "", false},
		{"escaped dot", "a key with a dot (an annotation name) is written with a backslash", `sidecarInjectorWebhook.injectedAnnotations.example\.com/a`, "x", "", false},
		{"missing", "the error names the path, where it stopped and what is there", "global.tagg", nil,
			`values: global.tagg: no such value: global has no key "tagg" (it has: hub, proxy, tag)`, true},
		{"missing top", "the top level is named too", "globl.tag", nil,
			`values: globl.tag: no such value: the values has no key "globl" (it has: global, revision, sidecarInjectorWebhook)`, true},
		{"through a string", "a path through a leaf names the leaf and its type", "global.tag.major", nil,
			`values: global.tag.major: global.tag is a string ("1.27.1"), not an object`, false},
		{"empty key", "a doubled dot is a typo, not a key", "global..tag", nil, `values: path "global..tag": empty key (keys are joined by single dots)`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := cfg.Value(c.path)
			if c.wantErr != "" {
				if err == nil || err.Error() != c.wantErr {
					t.Fatalf("error = %v, want %q (%s)", err, c.wantErr, c.reason)
				}
				if errors.Is(err, ErrNoValue) != c.noValue {
					t.Errorf("errors.Is(ErrNoValue) = %v, want %v (%s)", !c.noValue, c.noValue, c.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (%s)", err, c.reason)
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("(-want +got) (%s):\n%s", c.reason, d)
			}
		})
	}
	if _, err := (&Config{}).Value("global.tag"); !errors.Is(err, ErrNoValue) || !strings.Contains(err.Error(), "(it is empty)") {
		t.Errorf("no values at all: %v", err)
	}
}

func TestSetValue(t *testing.T) {
	cases := []struct {
		name, reason string
		path         string
		v            any
		want         func(v map[string]any)
		wantErr      string
	}{
		{"bump tag", "the issue's case: no type assertions for the caller", "global.tag", "1.31.0",
			func(v map[string]any) { v["global"].(map[string]any)["tag"] = "1.31.0" }, ""},
		{"create path", "missing objects on the way are created", "global.proxy.resources.limits.cpu", "2",
			func(v map[string]any) {
				v["global"].(map[string]any)["proxy"].(map[string]any)["resources"].(map[string]any)["limits"] = map[string]any{"cpu": "2"}
			}, ""},
		{"number", "numbers are stored as values.json would give them (float64), so templates compare them alike", "global.proxy.statusPort", 15021,
			func(v map[string]any) {
				v["global"].(map[string]any)["proxy"].(map[string]any)["statusPort"] = float64(15021)
			}, ""},
		{"struct", "a struct is stored as its JSON object", "global.proxy.resources.requests",
			struct {
				CPU    string `json:"cpu"`
				Memory string `json:"memory,omitempty"`
			}{CPU: "50m"},
			func(v map[string]any) {
				v["global"].(map[string]any)["proxy"].(map[string]any)["resources"].(map[string]any)["requests"] = map[string]any{"cpu": "50m"}
			}, ""},
		{"escaped", "a key with a dot", `sidecarInjectorWebhook.injectedAnnotations.example\.com/b`, "y",
			func(v map[string]any) {
				v["sidecarInjectorWebhook"].(map[string]any)["injectedAnnotations"].(map[string]any)["example.com/b"] = "y"
			}, ""},
		{"through a string", "nothing is replaced silently: the leaf is named", "global.tag.major", "1", nil,
			`values: global.tag.major: global.tag is a string ("1.27.1"), not an object`},
		{"not json", "a value JSON cannot hold is refused, naming the path", "global.tag", func() {}, nil,
			"values: global.tag: json: unsupported type: func()"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			shared := testValues()
			cfg := &Config{Values: shared}
			err := cfg.SetValue(c.path, c.v)
			if d := cmp.Diff(testValues(), shared); d != "" {
				t.Errorf("the shared Values map was written (-want +got) (%s):\n%s", c.reason, d)
			}
			if c.wantErr != "" {
				if err == nil || err.Error() != c.wantErr {
					t.Fatalf("error = %v, want %q (%s)", err, c.wantErr, c.reason)
				}
				if d := cmp.Diff(testValues(), cfg.Values); d != "" {
					t.Errorf("a failed SetValue changed the Config (%s):\n%s", c.reason, d)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v (%s)", err, c.reason)
			}
			want := testValues()
			c.want(want)
			if d := cmp.Diff(want, cfg.Values); d != "" {
				t.Errorf("values (-want +got) (%s):\n%s", c.reason, d)
			}
			if got, err := cfg.Value(c.path); err != nil {
				t.Errorf("Value after SetValue: %v", err)
			} else if _, isMap := got.(map[string]any); !isMap && got == nil {
				t.Errorf("Value after SetValue is nil")
			}
		})
	}
	var empty Config
	if err := empty.SetValue("global.tag", "x"); err != nil || empty.Values["global"].(map[string]any)["tag"] != "x" {
		t.Errorf("SetValue on a Config without values: %v, %v", err, empty.Values)
	}
}

// TestSetValueInjects: a bumped tag reaches the injected proxy.
func TestSetValueInjects(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.SetValue("global.tag", "1.31.0"); err != nil {
		t.Fatal(err)
	}
	inj, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := inj.InjectPod(context.Background(), PodRequest{Pod: helloPod()})
	if err != nil {
		t.Fatal(err)
	}
	proxy := findProxy(&res.Pod.Spec)
	if proxy == nil || !strings.HasSuffix(proxy.Image, ":1.31.0") {
		t.Errorf("proxy image %v, want tag 1.31.0", proxy)
	}
	if _, err := DefaultConfig().Value("global.tag"); err != nil {
		t.Errorf("the embedded values have no global.tag: %v", err)
	}
}

// FuzzValuePath: any path either is refused or, once set, reads back the
// value it was given; nothing panics and a shared Values map is never
// written.
func FuzzValuePath(f *testing.F) {
	for _, s := range []string{"global.tag", `a\.b.c`, "global..tag", ".", `\`, "global.tag.x", "revision"} {
		f.Add(s, "v")
	}
	f.Fuzz(func(t *testing.T, path, v string) {
		shared := testValues()
		cfg := &Config{Values: shared}
		_, _ = cfg.Value(path)
		err := cfg.SetValue(path, v)
		if d := cmp.Diff(testValues(), shared); d != "" {
			t.Fatalf("SetValue(%q) wrote the shared map:\n%s", path, d)
		}
		if err != nil {
			return
		}
		// Stored as values.json would hold it: invalid UTF-8 becomes U+FFFD.
		b, _ := json.Marshal(v)
		var want string
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		got, err := cfg.Value(path)
		if err != nil || got != want {
			t.Fatalf("SetValue(%q, %q) then Value = %v, %v", path, v, got, err)
		}
	})
}
