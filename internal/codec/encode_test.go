package codec

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// sidecarSpec is a pod spec shaped like an injected Istio pod's: what
// package patch encodes member by member for a webhook pod (an
// istio-proxy container with many env entries, mounts, quantities, a
// probe and a security context; an init container; the sidecar's
// volumes).
func sidecarSpec() *corev1.PodSpec {
	yes, no := true, false
	uid := int64(1337)
	expiry := int64(43200)
	mode := int32(420)
	var env []corev1.EnvVar
	for i := range 24 {
		env = append(env, corev1.EnvVar{Name: fmt.Sprintf("ISTIO_META_%d", i), Value: fmt.Sprintf("value-%d", i)})
	}
	for _, path := range []string{"metadata.name", "metadata.namespace", "status.podIP", "spec.serviceAccountName"} {
		env = append(env, corev1.EnvVar{Name: "POD_" + path, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}})
	}
	env = append(env, corev1.EnvVar{Name: "ISTIO_META_APP_CONTAINERS", Value: "hello"},
		corev1.EnvVar{Name: "PROXY_CONFIG", Value: `{"discoveryAddress":"istiod.istio-system.svc:15012","tracing":{"zipkin":{"address":"zipkin.istio-system:9411"}}}`})
	var mounts []corev1.VolumeMount
	for _, m := range []string{"workload-socket", "credential-socket", "workload-certs", "istio-envoy", "istio-data", "istio-podinfo", "istio-token", "istiod-ca-cert"} {
		mounts = append(mounts, corev1.VolumeMount{Name: m, MountPath: "/var/run/" + m, ReadOnly: m == "istio-token"})
	}
	resources := corev1.ResourceRequirements{
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("1Gi")},
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
	}
	security := &corev1.SecurityContext{
		AllowPrivilegeEscalation: &no, Privileged: &no, ReadOnlyRootFilesystem: &yes,
		RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid,
		Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
	return &corev1.PodSpec{
		InitContainers: []corev1.Container{{
			Name: "istio-init", Image: "docker.io/istio/proxyv2:1.22.0",
			Args:      []string{"istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020"},
			Resources: resources, SecurityContext: security,
		}},
		Containers: []corev1.Container{
			{Name: "hello", Image: "hello:1", Ports: []corev1.ContainerPort{{ContainerPort: 8080, Protocol: corev1.ProtocolTCP}}},
			{
				Name: "istio-proxy", Image: "docker.io/istio/proxyv2:1.22.0",
				Args:  []string{"proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local", "--proxyLogLevel=warning", "--log_output_level=default:info"},
				Ports: []corev1.ContainerPort{{Name: "http-envoy-prom", ContainerPort: 15090, Protocol: corev1.ProtocolTCP}, {Name: "status-port", ContainerPort: 15021, Protocol: corev1.ProtocolTCP}},
				Env:   env, Resources: resources, VolumeMounts: mounts,
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz/ready", Port: intstr.FromInt32(15021)}},
					InitialDelaySeconds: 1, PeriodSeconds: 2, TimeoutSeconds: 3, FailureThreshold: 30},
				SecurityContext:          security,
				TerminationMessagePath:   "/dev/termination-log",
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
				ImagePullPolicy:          corev1.PullIfNotPresent,
			},
		},
		Volumes: []corev1.Volume{
			{Name: "workload-socket", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "istio-envoy", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
			{Name: "istio-podinfo", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
				{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
				{Path: "annotations", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations"}},
			}}}},
			{Name: "istio-token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: "istio-ca", ExpirationSeconds: &expiry, Path: "istio-token"}},
			}}}},
			{Name: "istiod-ca-cert", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "istio-ca-root-cert"}, DefaultMode: &mode}}},
		},
	}
}

// BenchmarkEncodeContainers encodes what package patch encodes for an
// injected pod: its containers and volumes (the container-heavy values).
func BenchmarkEncodeContainers(b *testing.B) {
	spec := sidecarSpec()
	for _, bb := range []struct {
		name string
		fn   func(buf []byte) ([]byte, bool)
	}{
		{"fast", func(buf []byte) ([]byte, bool) {
			buf, ok := AppendJSON(buf, &spec.Containers)
			if !ok {
				return buf, false
			}
			buf, ok = AppendJSON(buf, &spec.InitContainers)
			if !ok {
				return buf, false
			}
			return AppendJSON(buf, &spec.Volumes)
		}},
		{"encoding-json", func(buf []byte) ([]byte, bool) {
			for _, v := range []any{&spec.Containers, &spec.InitContainers, &spec.Volumes} {
				j, err := json.Marshal(v)
				if err != nil {
					return buf, false
				}
				buf = append(buf, j...)
			}
			return buf, true
		}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			buf := make([]byte, 0, 16<<10)
			b.ReportAllocs()
			for b.Loop() {
				var ok bool
				if buf, ok = bb.fn(buf[:0]); !ok && Fast {
					b.Fatal("declined")
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

func checkBase64(t testing.TB, src []byte) {
	t.Helper()
	want := "x" + base64.StdEncoding.EncodeToString(src)
	if got := string(appendBase64([]byte("x"), src)); got != want {
		t.Fatalf("appendBase64(%x) = %s, base64.StdEncoding %s", src, got, want)
	}
}

func TestAppendBase64(t *testing.T) {
	// Every length around the eight-byte steps and the three-byte tail,
	// with every byte value somewhere.
	src := make([]byte, 300)
	for i := range src {
		src[i] = byte(i*7 + i>>8)
	}
	for n := range src {
		checkBase64(t, src[:n])
		checkBase64(t, src[len(src)-n:])
	}
}

func FuzzAppendBase64(f *testing.F) {
	for _, s := range []string{"", "a", "ab", "abc", "abcdefgh", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) { checkBase64(t, src) })
}

// BenchmarkAppendBase64 writes a patch-sized []byte as a review response
// carries it, with appendBase64 and with encoding/base64.
func BenchmarkAppendBase64(b *testing.B) {
	src := make([]byte, 12<<10)
	for i := range src {
		src[i] = byte(i * 7)
	}
	buf := make([]byte, 0, base64.StdEncoding.EncodedLen(len(src)))
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			buf = appendBase64(buf[:0], src)
		}
	})
	b.Run("encoding-base64", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			buf = base64.StdEncoding.AppendEncode(buf[:0], src)
		}
	})
}

// Types for the encoder's equivalence cases.
type (
	nameStr string
	small   struct{ I8 int8 }
	sizes   struct {
		I8   int8    `json:"i8,omitempty"`
		I16  int16   `json:"i16,omitempty"`
		I32  int32   `json:"i32,omitempty"`
		I64  int64   `json:"i64,omitempty"`
		I    int     `json:"i,omitempty"`
		U8   uint8   `json:"u8,omitempty"`
		U16  uint16  `json:"u16,omitempty"`
		U32  uint32  `json:"u32,omitempty"`
		U64  uint64  `json:"u64,omitempty"`
		UP   uintptr `json:"up,omitempty"`
		B    bool    `json:"b,omitempty"`
		F    float64 `json:"f,omitempty"`
		S    nameStr `json:"s,omitempty"`
		Kind kindOf  `json:"kind"`
	}
	kindOf   int16
	valueZ   struct{ N int }
	pointerZ struct{ N int }
	zeros    struct {
		V    valueZ    `json:"v,omitzero"`
		P    pointerZ  `json:"p,omitzero"`
		PV   *valueZ   `json:"pv,omitzero"`
		T    small     `json:"t,omitzero"`
		F    float64   `json:"f,omitzero"`
		Any  any       `json:"any,omitzero"`
		Z    zeroIface `json:"z,omitzero"`
		Both valueZ    `json:"both,omitempty,omitzero"`
	}
	zeroIface interface{ IsZero() bool }
	level2    struct{ Deep string }
	Level1    struct {
		*level2
		Mid string `json:"mid,omitempty"`
	}
	outer struct {
		*Level1
		Top string
	}
	lower  struct{ Seen string }
	hidden struct {
		lower
		Q int `json:"q,string"`
	}
	lowerOnly struct {
		lower
		X int `json:"x"`
	}
	viaNil struct {
		*hidden
		Kept string
	}
	marshals    struct{ Out string }
	ptrMarshals struct{ Out string }
	withMethods struct {
		M   marshals  `json:"m"`
		MP  *marshals `json:"mp"`
		Nil *marshals `json:"nil"`
		Map map[string]marshals
	}
	list struct {
		V    int   `json:"v"`
		Next *list `json:"next,omitempty"`
	}
	containers struct {
		NilSlice   []string                      `json:"nilSlice"`
		EmptySlice []string                      `json:"emptySlice"`
		NilMap     map[string]string             `json:"nilMap"`
		EmptyMap   map[string]string             `json:"emptyMap"`
		OmitSlice  []int                         `json:"omitSlice,omitempty"`
		OmitMap    map[nameStr]int               `json:"omitMap,omitempty"`
		Structs    map[nameStr]small             `json:"structs"`
		Pointers   map[string]*small             `json:"pointers"`
		Bytes      []byte                        `json:"bytes"`
		NilBytes   []byte                        `json:"nilBytes"`
		Array0     [0]int                        `json:"array0,omitempty"`
		Named      map[nameStr]nameStr           `json:"nameStr"`
		Nested     map[string][]small            `json:"nested"`
		Quantities map[nameStr]resource.Quantity `json:"quantities"`
	}
)

func (z valueZ) IsZero() bool    { return z.N == 7 }
func (z *pointerZ) IsZero() bool { return z.N == 7 }

func (m marshals) MarshalJSON() ([]byte, error) {
	if m.Out == "error" {
		return nil, fmt.Errorf("refused")
	}
	return []byte(m.Out), nil
}

func (m *ptrMarshals) MarshalJSON() ([]byte, error) { return []byte(`"p"`), nil }

// TestAppendJSONMatches encodes values of what the compiled encoders
// specialise with AppendJSON (by value and through a pointer) and
// AppendValue (addressable), against json.Marshal.
func TestAppendJSONMatches(t *testing.T) {
	seven := valueZ{7}
	long := "a long string of plain bytes, then <html> & \"quotes\" \\ \n\t\x01 and \u2028 日本 \xff at odd offsets"
	for _, tt := range []struct {
		name, reason string
		v            any
		fast         bool
	}{
		{"sizes zero", "omitempty per kind and size leaves every zero out; a named int16 without omitempty is written", sizes{}, true},
		{"sizes set", "a value with a zero low byte or word is not empty (each size loaded whole); negative ints",
			sizes{I8: -1, I16: 256, I32: 1 << 16, I64: 1 << 32, I: -1 << 40, U8: 255, U16: 1 << 8, U32: 1 << 24, U64: 1 << 63, UP: 1 << 40, B: true, F: -0.5, S: "<s>", Kind: -3}, true},
		{"negative zero", "omitempty on a float compares with 0: -0 is empty", sizes{F: math.Copysign(0, -1)}, true},
		{"floats", "encoding/json's float formatting: exponents below 1e-6 and from 1e21", []float64{0, 1, -1.5, 1e-7, 1e21, 123456789.125, 1e20, 5e-324}, true},
		{"nan", "NaN is for encoding/json to refuse", []float64{math.NaN()}, false},
		{"float32", "float32 is not modelled", []float32{1.5}, false},
		{"omitzero", "IsZero by value and by pointer receiver, on a pointer, reflect's test without a method (-0 is not zero), interfaces",
			zeros{V: seven, P: pointerZ{7}, PV: &seven, F: math.Copysign(0, -1), Both: seven}, true},
		{"omitzero kept", "values their IsZero says are not zero are written; a zero struct without IsZero is left out",
			zeros{V: valueZ{0}, P: pointerZ{1}, PV: &valueZ{1}, T: small{1}}, true},
		{"omitzero nil interface", "a nil interface is left out by omitzero", zeros{Z: nil, Any: nil}, true},
		{"omitzero set interface", "a set interface is not modelled", zeros{Any: 1}, false},
		{"embedded pointers nil", "a nil embedded pointer leaves out its members, and those of the pointers it holds", outer{Top: "t"}, true},
		{"embedded pointers half", "members through a set pointer are written, through a nil one below it not", outer{Level1: &Level1{Mid: "m"}}, true},
		{"embedded pointers set", "two embedded pointers deep", outer{Level1: &Level1{level2: &level2{Deep: "d"}, Mid: "m"}, Top: "t"}, true},
		{"string option behind nil pointer", "a member with the string option is not reached through a nil embedded pointer: taken", viaNil{Kept: "k"}, true},
		{"string option reached", "a reached member with the string option declines", viaNil{hidden: &hidden{lower: lower{"s"}, Q: 1}}, false},
		{"unexported embedded", "an unexported embedded struct's exported members are written", lowerOnly{lower{"s"}, 1}, true},
		{"marshal plain", "a MarshalJSON writing a plain string is copied", withMethods{M: marshals{`"plain"`}, MP: &marshals{`12`}, Map: map[string]marshals{"b": {`null`}, "a": {`true`}}}, true},
		{"marshal compacted", "spaces are compacted, <, > and & escaped, as encoding/json does",
			withMethods{M: marshals{` { "a" : [1, 2] , "h":"<&>" } `}, MP: &marshals{"\"\u2028\""}, Map: map[string]marshals{"x": {`-0`}, "y": {`"日本"`}}}, true},
		{"marshal numbers", "numbers beyond integers are validated", withMethods{M: marshals{`1.5e3`}, MP: &marshals{`-0.0`}, Map: map[string]marshals{"x": {`0`}}}, true},
		{"marshal invalid", "output that is not JSON is for encoding/json to refuse", withMethods{M: marshals{`{`}, MP: &marshals{`1`}}, false},
		{"marshal leading zero", "01 is not JSON", withMethods{M: marshals{`01`}, MP: &marshals{`1`}}, false},
		{"marshal error", "a failing MarshalJSON is for encoding/json to report", withMethods{M: marshals{"error"}, MP: &marshals{`1`}}, false},
		{"marshal empty", "empty output is not JSON", withMethods{M: marshals{""}, MP: &marshals{`1`}}, false},
		{"pointer receiver", "a pointer-receiver MarshalJSON is not modelled", []ptrMarshals{{}}, false},
		{"pointer receiver through pointer", "a pointer to a type with a pointer-receiver MarshalJSON calls it", []*ptrMarshals{{}, nil}, true},
		{"recursive", "a type that reaches itself", &list{1, &list{2, &list{3, nil}}}, true},
		{"containers nil and empty", "nil slices and maps are null, empty ones [] and {}; omitempty leaves both out",
			containers{EmptySlice: []string{}, EmptyMap: map[string]string{}, OmitSlice: []int{}, OmitMap: map[nameStr]int{}}, true},
		{"containers set", "maps of structs, pointers, slices and Quantity by sorted named keys, HTML in keys, []byte in base64",
			containers{
				NilSlice: []string{"<a>", long}, OmitSlice: []int{1, -2}, OmitMap: map[nameStr]int{"b": 1, "a": 2, "<": 3},
				Structs: map[nameStr]small{"z": {1}, "y": {-2}}, Pointers: map[string]*small{"nil": nil, "set": {3}},
				Bytes: []byte("any bytes \x00\xff, more than eight"), Named: map[nameStr]nameStr{"k&": "v>"},
				Nested:     map[string][]small{"n": {{1}, {2}}, "e": {}, "z": nil},
				Quantities: map[nameStr]resource.Quantity{"cpu": resource.MustParse("100m"), "mem": resource.MustParse("1Gi")},
			}, true},
		{"bytes", "[]byte of every length around the six-byte step", [][]byte{nil, {}, {1}, {1, 2}, {1, 2, 3}, []byte("12345678"), []byte("123456789abcdefgh")}, true},
		{"html strings", "HTML, control characters, U+2028, invalid UTF-8, at offsets across eight-byte words", []string{long, long[3:], long[9:], "12345678<", "1234567\xe6\x97\xa5"}, true},
		{"array", "arrays are not modelled", [2]int{1, 2}, false},
		{"interface", "interfaces are not modelled", []any{1}, false},
		{"map int keys", "keys of other kinds are not modelled", map[int]string{1: "a"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.v)
			if err != nil && tt.fast {
				t.Fatalf("encoding/json: %v (%s)", err, tt.reason)
			}
			ptr := reflect.New(reflect.TypeOf(tt.v))
			ptr.Elem().Set(reflect.ValueOf(tt.v))
			for _, way := range []struct {
				name string
				fn   func() ([]byte, bool)
			}{
				{"value", func() ([]byte, bool) { return AppendJSON([]byte("x"), tt.v) }},
				{"pointer", func() ([]byte, bool) { return AppendJSON([]byte("x"), ptr.Interface()) }},
				{"addressable", func() ([]byte, bool) { return AppendValue([]byte("x"), PlanOf(ptr.Elem().Type()), ptr.Elem()) }},
			} {
				got, ok := way.fn()
				if ok != (tt.fast && Fast) {
					t.Fatalf("%s: taken = %v, want %v (%s)", way.name, ok, tt.fast && Fast, tt.reason)
				}
				if !ok && string(got) != "x" {
					t.Fatalf("%s: declined but changed dst: %q", way.name, got)
				}
				if ok && string(got) != "x"+string(want) {
					t.Errorf("%s: AppendJSON = %s\nencoding/json  %s\n(%s)", way.name, got[1:], want, tt.reason)
				}
			}
		})
	}
}

// TestEncodeConcurrent compiles the encoders of a type made here (so none
// exists yet) from several goroutines at once (with -race: compiling and
// publishing are safe), each writing encoding/json's bytes.
func TestEncodeConcurrent(t *testing.T) {
	typ := reflect.StructOf([]reflect.StructField{
		{Name: "Self", Type: reflect.TypeFor[*list](), Tag: `json:"self"`},
		{Name: "Spec", Type: reflect.TypeFor[corev1.PodSpec](), Tag: `json:"spec"`},
	})
	v := reflect.New(typ)
	v.Elem().Field(0).Set(reflect.ValueOf(&list{1, &list{2, nil}}))
	v.Elem().Field(1).Set(reflect.ValueOf(*sidecarSpec()))
	want, err := json.Marshal(v.Interface())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]string, 8)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, ok := AppendJSON(nil, v.Interface()); Fast && (!ok || string(got) != string(want)) {
				errs[g] = fmt.Sprintf("goroutine %d: %v %s", g, ok, got)
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
}
