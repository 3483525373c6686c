//go:build !kinject_reference

package template

// compiledTemplates says whether templates run compiled (see compiled.go);
// the build tag kinject_reference turns it off.
const compiledTemplates = true
