//go:build kinject_reference

package template

// compiledTemplates is off: every template runs on text/template.
const compiledTemplates = false
