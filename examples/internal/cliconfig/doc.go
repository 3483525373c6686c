// Package cliconfig is the command-line face of inject.Config shared by the
// example programs (kube-inject and webhook): the flags for the settings
// Istio takes from its environment or its cluster rather than from its
// ConfigMaps, and the loading of the three ConfigMap dumps with the
// embedded defaults for any file not given.
//
// A program registers the shared flags on its own flag.FlagSet, adds its
// own, parses, then loads and adjusts the configuration:
//
//	var files cliconfig.Files
//	var k cliconfig.Knobs
//	files.Register(fs)             // --injectConfigFile, --valuesFile, --meshConfigFile
//	k.Register(fs)                 // --revision/-r, --native-sidecars, --env, ...
//	// fs.Parse(args)
//	cfg, err := files.Load()
//	// ...
//	err = k.Apply(cfg)
//
// Every program that loads a configuration therefore takes the same flags,
// with istioctl kube-inject's names.
//
// # What it decides
//
//   - A flag that is not given leaves the Config as the files made it: an
//     empty --cluster-id does not clear values.global.multiCluster.clusterName.
//   - --revision default means the revisionless install (revision ""), as
//     istioctl maps it; --revision "" given explicitly means the same.
//   - The boolean settings (--native-sidecars,
//     --enable-namespaces-by-default) are boolean flags, as in istioctl:
//     given alone they mean true, and false is written --flag=false
//     (--flag false would leave "false" as an argument). They are kept as
//     strings so that "not given" is distinct from false; a value other
//     than true or false is an error naming the flag.
//   - The webhook's former names for the files (--inject-config, --values,
//     --mesh) remain as deprecated aliases where a program registers them
//     (Files.RegisterDeprecated).
//   - --env and --tag add to what the files set, never replace it.
//
// # Traps
//
//   - Namespace metadata is not here: kube-inject describes the one target
//     namespace (KEY=VALUE), the webhook every namespace it may see
//     (NAMESPACE/KEY=VALUE), so each program keeps its own flags for it.
//   - LoadFiles reads the file system; it belongs to programs, never to the
//     library, which takes its inputs as bytes.
package cliconfig
