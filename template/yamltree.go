package template

// DecodeYAMLTree is the fast YAML reader the templates' output goes
// through, for other packages of kinject (inject's manifest documents):
// the tree (map[string]any, []any, string, float64, bool, nil) that
// sigs.k8s.io/yaml.YAMLToJSONStrict followed by json.Unmarshal into an
// any gives for doc, or ok false where it is not sure to give it (see
// fastYAML: anchors, tags, folded scalars, non-integer numbers,
// duplicate keys, errors and the like). An empty document is (nil, true).
// With the kinject_reference build tag it always declines.
func DecodeYAMLTree(doc []byte) (tree any, ok bool) { return fastYAML(doc) }
