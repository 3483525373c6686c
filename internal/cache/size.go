package cache

import (
	"math/bits"
	"reflect"
	"sort"
)

// SizeOf returns about how many bytes v holds (within about a tenth of what
// the heap measures, TestSizeOfMatchesHeap): its own size and
// everything its pointers, slices, strings, maps and interfaces reach,
// each allocation rounded up to a size the Go allocator hands out. A
// pointer reached twice is counted once; strings and slices that share
// memory are counted each time (an overestimate, which keeps a budget
// safe). Channels and functions count as their header only.
//
// It reads unexported fields too (through reflection, without calling
// any method), so it sees what a type keeps privately, such as a
// resource.Quantity's cached string.
func SizeOf(v any) int64 {
	if v == nil {
		return 0
	}
	rv := reflect.ValueOf(v)
	s := sizer{seen: map[seenKey]bool{}, flat: map[reflect.Type]bool{}}
	n := int64(0)
	if !pointerShaped(rv.Kind()) {
		n = allocSize(int64(rv.Type().Size())) // the interface's box
	}
	return n + s.deep(rv)
}

type seenKey struct {
	addr uintptr
	typ  reflect.Type
}

type sizer struct {
	seen map[seenKey]bool
	flat map[reflect.Type]bool // types that reach no other memory
}

// deep returns the bytes reachable from v, not counting v's own (inline)
// size, which its container counts.
func (s *sizer) deep(v reflect.Value) int64 {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return 0
		}
		k := seenKey{v.Pointer(), v.Type()}
		if s.seen[k] {
			return 0
		}
		s.seen[k] = true
		e := v.Elem()
		return allocSize(int64(e.Type().Size())) + s.deep(e)
	case reflect.Interface:
		if v.IsNil() {
			return 0
		}
		e := v.Elem()
		n := int64(0)
		if !pointerShaped(e.Kind()) {
			n = allocSize(int64(e.Type().Size()))
		}
		return n + s.deep(e)
	case reflect.String:
		return allocSize(int64(v.Len()))
	case reflect.Slice:
		if v.IsNil() {
			return 0
		}
		n := allocSize(int64(v.Cap()) * int64(v.Type().Elem().Size()))
		if !s.isFlat(v.Type().Elem()) {
			for i := 0; i < v.Len(); i++ {
				n += s.deep(v.Index(i))
			}
		}
		return n
	case reflect.Array:
		n := int64(0)
		if !s.isFlat(v.Type().Elem()) {
			for i := 0; i < v.Len(); i++ {
				n += s.deep(v.Index(i))
			}
		}
		return n
	case reflect.Struct:
		if s.isFlat(v.Type()) {
			return 0
		}
		n := int64(0)
		for i := 0; i < v.NumField(); i++ {
			n += s.deep(v.Field(i))
		}
		return n
	case reflect.Map:
		if v.IsNil() {
			return 0
		}
		t := v.Type()
		n := mapSize(v.Len(), int64(t.Key().Size()+t.Elem().Size()))
		if !s.isFlat(t.Key()) || !s.isFlat(t.Elem()) {
			it := v.MapRange()
			for it.Next() {
				n += s.deep(it.Key()) + s.deep(it.Value())
			}
		}
		return n
	}
	return 0
}

// isFlat reports whether values of t reach no memory beyond their own.
func (s *sizer) isFlat(t reflect.Type) bool {
	if f, ok := s.flat[t]; ok {
		return f
	}
	s.flat[t] = false // a recursive type is not flat
	f := false
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		f = true
	case reflect.Array:
		f = s.isFlat(t.Elem())
	case reflect.Struct:
		f = true
		for i := 0; i < t.NumField() && f; i++ {
			f = s.isFlat(t.Field(i).Type)
		}
	}
	s.flat[t] = f
	return f
}

func pointerShaped(k reflect.Kind) bool {
	switch k {
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	}
	return false
}

// allocSize rounds n up to the size the allocator hands out: its size
// classes up to 32 KiB (runtime/sizeclasses.go), whole 8 KiB pages beyond.
func allocSize(n int64) int64 {
	if n <= 0 {
		return 0
	}
	if n > sizeClasses[len(sizeClasses)-1] {
		return (n + 8<<10 - 1) &^ (8<<10 - 1)
	}
	i := sort.Search(len(sizeClasses), func(i int) bool { return sizeClasses[i] >= n })
	return sizeClasses[i]
}

// sizeClasses are the Go allocator's small object sizes.
var sizeClasses = [...]int64{
	8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280,
	1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528,
	6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072,
	20480, 21760, 24576, 27264, 28672, 32768,
}

// mapSize estimates a map of n entries of slot bytes each: its header and
// groups of eight slots with a control word, at a load of 7/8, the group
// count a power of two.
func mapSize(n int, slot int64) int64 {
	const header = 48
	if n == 0 {
		return header
	}
	groups := int64(1) // up to eight entries fit one group
	if n > 8 {
		groups = ((int64(n)*8+6)/7 + 7) / 8
	}
	if groups > 1 {
		groups = 1 << bits.Len64(uint64(groups-1))
	}
	tables := int64(0)
	if groups > 1 {
		tables = 64
	}
	return header + tables + allocSize(groups*(8+8*slot))
}
