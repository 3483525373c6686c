// Package texteval executes text/template templates faster than
// text/template, with exactly its output, and computes ahead of time what
// depends only on data fixed for every execution.
//
// Compile turns a parsed template into a Program: a tree of closures in
// which fields and methods are resolved once per receiver type (a chain
// of struct fields, .ObjectMeta.Annotations, is walked by index in one
// step), the functions of the FuncMap whose signatures it knows are
// called without reflect.Value boxing, and strings, bools, ints and
// float64s are held unboxed. Given Options.Data and Options.Static,
// whatever the template computes from those fields alone (a branch on
// .Values, a call of toYaml on a part of them, a lookup of a mesh
// setting) is computed at Compile and becomes constant text; what remains
// reads the other fields when the program runs.
//
// The rules are text/template's, followed one by one: missing map keys
// print "<no value>", a nil interface cannot be walked, pipelines look
// through empty interfaces, and, or short-circuit, constants are typed by
// the parameter they are given to, ranges over maps go in key order,
// templates get their own variables. text/template stays the reference.
// Program.Execute declines (taken == false) wherever text/template would
// fail, and wherever it meets something it does not run itself (a range
// over a channel, a map with keys that are not strings); the caller then
// runs text/template, which reports the error or does the work. A
// function or method that panics when the program runs is such an error:
// Execute recovers the panic and declines. Compile refuses templates
// using html, js, urlquery, slice, call, range assignments, a declaration
// inside parentheses, or a function named in Options.Mutating.
//
// Traps for a caller:
//   - the fixed data, and everything reachable from it, must never
//     change once compiled: results computed from it are shared by every
//     execution, concurrently;
//   - methods of the fixed data are called at Compile, so they must be
//     pure (same result, no side effects), as are the FuncMap's functions;
//   - Execute does not check that its data has the fixed fields' values:
//     the caller keeps one Program per configuration and checks.
package texteval
