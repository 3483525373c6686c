package codec

import (
	"encoding/json"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestAppendQuantity holds appendQuantity (AppendJSON's Quantity writer) to
// json.Marshal on quantities in every state MarshalJSON distinguishes.
func TestAppendQuantity(t *testing.T) {
	cached := resource.MustParse("1500m")
	_ = cached.String() // sets the cached string MarshalJSON writes
	for _, tc := range []struct {
		name, reason string
		q            resource.Quantity
	}{
		{"decimal", "parsed, no cached string: the canonical form", resource.MustParse("100m")},
		{"binary", "BinarySI, rounded through AsScale", resource.MustParse("128Mi")},
		{"binary small", "BinarySI below 1024 printed as DecimalSI", resource.MustParse("1000Ki")},
		{"binary inexact", "BinarySI that would round: DecimalSI", resource.MustParse("1.5Ki")},
		{"exponent", "DecimalExponent", resource.MustParse("1e3")},
		{"huge", "an inf.Dec amount", resource.MustParse("123456789012345678901234567890")},
		{"negative", "a sign", resource.MustParse("-2")},
		{"zero", "the zero value", resource.Quantity{}},
		{"cached", "the cached string", cached},
		{"new", "NewMilliQuantity", *resource.NewMilliQuantity(2500, resource.DecimalSI)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := corev1.Container{Name: "c", Resources: corev1.ResourceRequirements{
				Limits: corev1.ResourceList{corev1.ResourceCPU: tc.q, corev1.ResourceMemory: tc.q},
			}}
			want, err := json.Marshal(&c)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := AppendJSON(nil, &c)
			if ok != Fast {
				t.Fatalf("AppendJSON taken = %v", ok)
			}
			if ok && string(got) != string(want) {
				t.Errorf("AppendJSON = %s, json.Marshal = %s", got, want)
			}
			if v, ok := appendQuantity(nil, addressable(tc.q)); ok {
				mj, _ := tc.q.MarshalJSON()
				if string(v) != string(mj) {
					t.Errorf("appendQuantity = %s, MarshalJSON = %s", v, mj)
				}
			} else if quantityCache() != nil {
				t.Errorf("appendQuantity declined on %v", &tc.q)
			}
		})
	}
}

func addressable(q resource.Quantity) reflect.Value { return reflect.ValueOf(&q).Elem() }
