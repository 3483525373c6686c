package inject_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/kinject/kinject/inject"
)

// Bumping the proxy's tag, and reading a value back, without type
// assertions; a typo names the path and what is there.
func ExampleConfig_SetValue() {
	cfg := inject.DefaultConfig()
	if err := cfg.SetValue("global.tag", "1.31.0"); err != nil {
		log.Fatal(err)
	}
	tag, err := cfg.Value("global.tag")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("tag:", tag)

	_, err = cfg.Value("global.tagg")
	fmt.Println(errors.Is(err, inject.ErrNoValue))
	// Output:
	// tag: 1.31.0
	// true
}
