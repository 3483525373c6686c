package texteval_test

import (
	"fmt"
	"strings"
	"text/template"

	"github.com/kinject/kinject/template/internal/texteval"
)

type config struct{ Image string }

type data struct {
	Config *config
	Name   string
}

// Compile a template for data whose Config is fixed: the upper-cased image
// becomes constant text, the name is read when the program runs.
func Example() {
	funcs := template.FuncMap{"upper": strings.ToUpper}
	t := template.Must(template.New("t").Funcs(funcs).Parse(`{{ upper .Config.Image }}/{{ .Name }}`))
	fixed := &config{Image: "proxy"}
	p, err := texteval.Compile(t, texteval.Options{Funcs: funcs, Data: &data{Config: fixed}, Static: []string{"Config"}})
	if err != nil {
		panic(err)
	}
	out, taken := p.Execute(nil, &data{Config: fixed, Name: "web"})
	fmt.Println(string(out), taken)
	// Output: PROXY/web true
}
