// Package cliconfig is the command-line face of inject.Config shared by the
// example programs (kube-inject and webhook): the flags for the settings
// Istio takes from its environment or its cluster rather than from its
// ConfigMaps, and the loading of the three ConfigMap dumps with the
// embedded defaults for any file not given.
//
// A program registers the shared flags on its own flag.FlagSet, adds its
// own, parses, then loads and adjusts the configuration:
//
//	var k cliconfig.Knobs
//	k.Register(fs)                 // --revision, --native-sidecars, --env, ...
//	// fs.Parse(args)
//	cfg, err := cliconfig.LoadFiles(injectConfigFile, valuesFile, meshFile)
//	// ...
//	err = k.Apply(cfg)
//
// # What it decides
//
//   - A flag that is not given leaves the Config as the files made it: an
//     empty --cluster-id does not clear values.global.multiCluster.clusterName.
//   - --revision default means the revisionless install (revision ""), as
//     istioctl maps it; --revision "" given explicitly means the same.
//   - The boolean settings (--native-sidecars,
//     --enable-namespaces-by-default) are strings so that "not given" is
//     distinct from false; anything but true or false is an error naming
//     the flag.
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
