// Package codec is kinject's one model of how encoding/json sees a Go type,
// shared by package template (strict output checks, merges, trees), patch
// (diff schemas) and inject (pod and review encoding), in the way Go's
// encoding/json/v2 serves every encoder from internal/jsonwire.
//
// # What it decides
//
//   - Plan (PlanOf, PlanFor): a type's JSON shape, built once per type on
//     first use and only read afterwards. Struct members follow
//     encoding/json's documented rules (tag names, "-", omitempty,
//     omitzero with IsZero, the string option, embedded structs and
//     embedded pointers flattened, the shallower or tagged member winning
//     a name and equally good ones annihilating), and carry the Kubernetes
//     strategic-merge tags patchMergeKey and patchStrategy. A Plan also
//     says which of its own methods encoding/json calls (MarshalJSON,
//     UnmarshalJSON, text marshalling). This is the only struct-tag walk in
//     kinject.
//   - AppendQuote and QuotedLen: the only JSON string escaper, byte for
//     byte encoding/json's, with its HTML escaping as an option; and
//     AppendUnquote, the only JSON string decoder (patch's and yamlout's
//     parsers use it).
//   - Tree, DecodeTree, DecodeJSON and AppendJSON: fast paths that walk
//     plans instead of reflecting per value (below).
//
// # Fast paths
//
// A fast path gives exactly its reference's result or declines; every one
// says which the same way, by returning false (or (T, false)), never by
// panicking. Built with the kinject_reference tag, Fast is false and every
// fast path declines, so
//
//	go test -tags kinject_reference ./...
//
// proves that the references alone pass the same goldens and conformance;
// CI runs both builds. A fast path whose gain is below a tenth of the path
// it sits on is removed rather than kept (issue 11's figures).
//
//	fast path                       reference                               equivalence test; taken test              fuzz target
//	codec.Tree (template.toMap)     json.Marshal, then json.Unmarshal       codec TestPodMatchesJSON, TestFieldsMatch-  codec FuzzPod
//	                                into an any                             JSON; template TestFastPathsTaken
//	codec.DecodeTree                json.Marshal of the tree, then          codec TestDecodeTree, TestPodMatchesJSON;   codec FuzzPod
//	(template.fromMap)              json.Unmarshal into the type            template TestFastPathsTaken
//	codec.AppendJSON, AppendValue   json.Marshal (base64.StdEncoding        codec TestPodMatchesJSON, TestAppendJSON-   codec FuzzPod,
//	(inject: pod encoding for       for []byte, json.Valid for what a       Matches, TestAppendBase64, TestAppend-      FuzzAppendBase64,
//	patches and cache keys, review  MarshalJSON writes: appendMarshaled's   Quote; inject TestEncodeReviewMatchesJSON,  FuzzAppendQuote; patch
//	responses; patch: changed       slow branch); compiled encoders per     patch TestDiffPodValues; inject TestFast-   FuzzDiffPodValues
//	members)                        plan (encoder.go)                       PathsTaken, patch TestDiffPodValuesCorpus
//	template fastYAML (rendered     sigs.k8s.io/yaml.YAMLToJSONStrict,      template TestFastYAML; TestFastPathsTaken  template FuzzFastYAML
//	template output)                then json.Unmarshal (slowYAML)
//	template section memo           fastYAML of the whole document          template TestSectionMemo; TestFastPaths-    template FuzzSectionMemo
//	(sectionMemo: top-level         (each entry checked both ways before    Taken (every corpus output, parsed three
//	entries by their text)          it is kept)                             times through the Set's memo)
//	template section facts (what    checkTree, scanTree, withoutNulls and   template TestSectionFactsMatch (every       template FuzzSectionFacts
//	Apply derives from a remembered fromMap of the whole tree (Apply with    corpus case; facts taken required),
//	entry once: checks, trees       applyPaths.facts false)                 TestWithoutNulls
//	without nulls, typed containers
//	and volumes)
//	template fastMerge,             apimachinery strategicpatch             template TestFastMergeMatchesStrategic;     template FuzzFastMerge
//	fastMergeMap (strategic merge)  (strategicMerge)                        TestFastPathsTaken
//	template compiled programs      text/template                           template TestCompiledMatchesReference       template FuzzCompiledTemplates,
//	(internal/texteval, Specialize)                                         (taken required), texteval TestMatches-     texteval FuzzMatchesTextTemplate
//	                                                                        TextTemplate
//	codec.DecodeJSON (inject:       json.Unmarshal                          codec TestDecodeJSON, TestDecodeJSONReview; codec FuzzDecodeJSON
//	DecodePod, decodeReview)                                                inject TestFastPathsTaken (every corpus
//	                                                                        webhook pod and its review)
//	inject decodePodReview (the     decodeReview, then DecodePod            inject TestDecodePodReview; TestDecode-     inject FuzzDecodePod-
//	review and its pod in one                                               PodReviewTaken (every corpus webhook        Review
//	pass; Injector.Review)                                                  pod's review)
//	inject decodeStrictJSON         sigs.k8s.io/yaml.Unmarshal              inject TestFastPathsTaken, manifest         inject FuzzDecodeStrictJSON
//	(manifest documents)            (decodeTyped)                           goldens
//	inject yamlDocument (manifest   decodeYAMLDocument (sigs.k8s.io/        inject TestYAMLDocumentMatches (every       inject FuzzYAMLDocument
//	YAML documents: template.       yaml.YAMLToJSONStrict, the head,        golden and corpus document), TestExact-
//	DecodeYAMLTree, then codec.     then decodeTyped)                       Numbers; TestYAMLDocumentTaken
//	DecodeTree)
//	inject listYAML (a List's       emitYAML (yaml.v2 Marshal of the        inject TestListYAMLMatches; TestListYAML-   inject FuzzListYAML
//	output: the tree as JSON, then  tree, placeholders for kept             Taken (every golden and corpus List,
//	yamlout.Append)                 numbers and deep nodes)                 injected)
//	template untouched containers   the merge of the whole pod              template TestUntouchedContainersMatch      template FuzzFastMerge
//	(BigContainer ones no template  (applyTemplates, untouched false)       (every corpus pod)
//	names, merged as name stubs)
//	inject elided patch (equal      patch.DiffPod of the whole pods         inject TestElidedPatchMatches              patch FuzzDiff
//	BigContainer ones as stubs)
//	patch DiffPodValues (inject:    patch.DiffPod of the two pods'          patch TestDiffPodValues; TestDiffPod-       patch FuzzDiffPodValues
//	finishPatch; typed members      json.Marshal encodings, then            ValuesCorpus (taken on every corpus
//	compared, changed ones encoded) Patch.MarshalJSON                       webhook pod and its wanted pod)
//	inject Reviewer hit (the UID    respond of a fresh response             inject TestReviewerAnswerUIDs,             inject FuzzReviewerMatch-
//	spliced into the stored         (reviewAnswer.response)                 TestReviewerMatchesReview                  esReview
//	encoded answer)
//	template fast name checks        apimachinery's validation functions     template TestNameRulesMatchReference;       template FuzzNameRules
//	(nameRule.fast, portNameOK,     (NameIsDNSLabel, NameIsDNSSubdomain,    TestFastPathsTaken (every corpus pod's
//	apiVersionOK: ValidateNames;    IsDNS1035Label, IsValidPortName,        names and labels)
//	qualifiedNameOK, labelValueOK:  IsQualifiedName, IsValidLabelValue)
//	ValidateLabels, finalizers)
//	inject identityStable (cache    the JSON round trip of the identity     inject TestIdentityStable;                  inject FuzzIdentityStable
//	hits: identityThroughJSON)      fields (json.Marshal, json.Unmarshal)   TestFastPathsTaken (every webhook pod)
//	internal/yamlout Append         yamlout.Reference (yaml.v2 Marshal of   yamlout TestMatchesReference, TestMatches-  yamlout FuzzAppend,
//	(manifest output YAML)          the decoded JSON, sigs.k8s.io/yaml's    SigsYAML; TestGoldensAndCorpus (taken on    FuzzDocuments
//	                                JSONToYAML)                             every golden and corpus document)
//
// The taken tests run every corpus pod, document and template output
// (../shared/istio-corpus; they skip when it is absent) and fail when a
// fast path declines there, so a k8s.io upgrade that makes one decline (a
// new tag option, a method) fails loudly instead of getting slower. CI runs
// them against the oldest supported and the newest k8s.io release.
//
// # Traps
//
//   - A plan describes encoding/json, not sigs.k8s.io/json (which
//     apimachinery's decoders use, matching keys case-sensitively):
//     DecodeTree declines a key that matches no member exactly, and the
//     reference, encoding/json, then matches it case-insensitively.
//   - omitzero (k8s.io v0.34 and later put it on
//     ObjectMeta.CreationTimestamp) leaves a zero creationTimestamp out of
//     the JSON where older releases print null; plans follow the release
//     kinject is built with, as encoding/json does. Output that must not
//     depend on it (manual injection) decides itself (package inject).
//   - Plans are cached for the life of the process, one per Go type: a
//     program that makes types at run time (reflect.StructOf) grows the
//     cache.
package codec
