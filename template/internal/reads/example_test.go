package reads_test

import (
	"fmt"
	"reflect"
	"text/template"

	"github.com/kinject/kinject/template/internal/reads"
)

type meta struct {
	Name   string
	Labels map[string]string
}

type data struct {
	Meta  meta
	Count int
}

// What a template may read, from its parse tree: the variable, the with
// and the defined template are followed to the fields they reach.
func Example() {
	t := template.Must(template.New("t").Parse(
		`{{ define "x" }}{{ .app }}{{ end }}{{ $m := .Meta }}{{ with $m }}{{ template "x" .Labels }}{{ end }}`))
	r := reads.Analyze(t, reflect.TypeFor[data](), nil)
	fmt.Println(r.Paths())
	fmt.Println(r.Covers("Meta", "Name"), r.Covers("Meta", "Labels", "app"), r.Covers("Count"))
	// Output:
	// [.Meta.Labels.app]
	// false true false
}
