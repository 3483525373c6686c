package inject

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadConfig(t *testing.T) {
	const tmpl = "spec:\n  containers:\n  - name: istio-proxy\n    image: proxy\n"
	tests := []struct {
		name, reason         string
		inject, values, mesh string
		check                func(*Config) string
		wantErr              string
	}{
		{
			name: "all nil", reason: "every dump may be missing; the mesh gets Istio's defaults",
			check: func(c *Config) string {
				return cmp.Diff("cluster.local", c.Mesh.TrustDomain) + cmp.Diff(0, len(c.Templates))
			},
		},
		{
			name: "bare template", reason: "a legacy bare template is the sidecar template",
			inject: "template: |\n  " + strings.ReplaceAll(tmpl, "\n", "\n  "),
			check: func(c *Config) string {
				return cmp.Diff([]string{"sidecar"}, sortedKeys(c.Templates))
			},
		},
		{
			name: "istio sentinel", reason: "Istio's sentinel under template is not a template",
			inject: "template: \"{{ Template_Version_And_Istio_Version_Mismatched_Check_Installation }}\"\ntemplates:\n  sidecar: x\n",
			check: func(c *Config) string {
				return cmp.Diff(map[string]string{"sidecar": "x"}, c.Templates)
			},
		},
		{
			name: "values revision", reason: "the revision and enableNamespacesByDefault come from values",
			values: `{"revision":"canary","sidecarInjectorWebhook":{"enableNamespacesByDefault":true}}`,
			check: func(c *Config) string {
				return cmp.Diff("canary", c.Revision) + cmp.Diff(true, c.EnableNamespacesByDefault)
			},
		},
		{
			name: "mesh over defaults", reason: "the mesh dump is layered on Istio's defaults",
			mesh: "trustDomain: example.org\n",
			check: func(c *Config) string {
				return cmp.Diff("example.org", c.Mesh.TrustDomain) + cmp.Diff(int32(15020), c.Mesh.DefaultConfig.StatusPort)
			},
		},
		{name: "unknown field", reason: "typos name the file and the field", inject: "polcy: enabled\n", wantErr: `inject config: unknown field "polcy"`},
		{name: "bad policy", reason: "policy is enabled or disabled", inject: "policy: maybe\n", wantErr: `inject config: policy: "maybe"`},
		{name: "bad selector", reason: "selectors are validated up front",
			inject: "neverInjectSelector:\n- matchExpressions:\n  - {key: a, operator: Foo}\n", wantErr: "inject config: neverInjectSelector[0]"},
		{name: "unknown default template", reason: "defaultTemplates must name known templates",
			inject: "defaultTemplates: [sidcar]\ntemplates:\n  sidecar: x\n", wantErr: `unknown template "sidcar" (known: sidecar)`},
		{name: "unknown alias target", reason: "aliases must name known templates",
			inject: "aliases:\n  both: [sidecar, nope]\ntemplates:\n  sidecar: x\n", wantErr: `aliases.both: unknown template "nope"`},
		{name: "bad values", reason: "values must be a JSON object", values: `[1,2]`, wantErr: "values:"},
		{name: "bad mesh", reason: "mesh errors name the file and field", mesh: "defaultConfig:\n  statusPrt: 1\n", wantErr: `mesh config: unknown field "defaultConfig.statusPrt"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(bytesOrNil(tt.inject), bytesOrNil(tt.values), bytesOrNil(tt.mesh))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrConfig) {
					t.Fatalf("error = %v, want ErrConfig containing %q (%s)", err, tt.wantErr, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadConfig: %v (%s)", err, tt.reason)
			}
			if d := tt.check(c); d != "" {
				t.Errorf("%s:\n%s", tt.reason, d)
			}
		})
	}
}

func bytesOrNil(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name, reason string
		cfg          *Config
		wantErr      string
	}{
		{"nil", "a nil config is an error", nil, "nil Config"},
		{"no templates", "an injector needs a template", &Config{}, "no templates"},
		{"parse error", "a template that does not parse is named", &Config{Templates: map[string]string{"sidecar": "{{ .Foo "}}, `template "sidecar"`},
		{"platform", "only openshift is a known platform", &Config{Templates: map[string]string{"sidecar": ""}, Platform: "mars"}, `platform: "mars"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrConfig) {
				t.Fatalf("error = %v, want ErrConfig containing %q (%s)", err, tt.wantErr, tt.reason)
			}
		})
	}
}
