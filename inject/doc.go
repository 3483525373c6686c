// Package inject ties policy, template and patch together. It is being
// written; see issue 5.
package inject
