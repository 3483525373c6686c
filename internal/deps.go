//go:build deps

// Package internal pins the module's agreed dependencies while the packages
// that use them are being written. It is removed once every dependency has a
// real importer.
package internal

import (
	_ "github.com/evanphx/json-patch/v5"
	_ "github.com/google/go-cmp/cmp"
	_ "k8s.io/api/admission/v1"
	_ "k8s.io/api/admissionregistration/v1"
	_ "k8s.io/api/apps/v1"
	_ "k8s.io/api/batch/v1"
	_ "k8s.io/api/core/v1"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1"
	_ "k8s.io/apimachinery/pkg/labels"
	_ "k8s.io/apimachinery/pkg/util/strategicpatch"
	_ "sigs.k8s.io/yaml"
	_ "sigs.k8s.io/yaml/goyaml.v3"
)
