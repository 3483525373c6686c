package policy

// Decision is the outcome of Mesh.Decide.
//
// TODO(issue 2): the rest of the API.
type Decision struct {
	Inject   bool
	Revision string
	Webhook  string
	Reason   string
	Trace    []string
	Warnings []string
}
