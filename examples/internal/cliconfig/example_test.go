package cliconfig_test

import (
	"flag"
	"fmt"
	"io"

	"github.com/kinject/kinject/examples/internal/cliconfig"
)

// A program registers the shared flags next to its own, loads the
// ConfigMap dumps (here none: the embedded defaults) and applies the flags.
func Example() {
	fs := flag.NewFlagSet("tool", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var files cliconfig.Files
	var k cliconfig.Knobs
	files.Register(fs)
	k.Register(fs)
	if err := fs.Parse([]string{"-r", "canary", "--native-sidecars", "--env", "PILOT_X=1"}); err != nil {
		fmt.Println(err)
		return
	}
	cfg, err := files.Load() // no file given: the embedded defaults
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := k.Apply(cfg); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.Revision, cfg.NativeSidecars, cfg.Env["PILOT_X"])
	// Output: canary true 1
}
