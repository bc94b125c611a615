package capi

import (
	"runtime"
	"strings"
	"unsafe"
)

// Arena holds the Go memory that an options struct points to for the length of one C call.
// Everything is pinned (runtime.Pinner), so storing these pointers in memory passed to C follows
// the cgo pointer rules even though no cgo is involved. Free unpins; the C side copies every
// string it keeps (the header says so for each options struct).
type Arena struct {
	p runtime.Pinner
}

// Pin pins an object whose address goes to C inside another object.
func (a *Arena) Pin(ptr any) { a.p.Pin(ptr) }

// Str returns a pinned NUL-terminated copy of s.
func (a *Arena) Str(s string) *byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	a.p.Pin(&b[0])
	return &b[0]
}

// OptStr is Str, with "" mapped to NULL (the header's "NULL = default").
func (a *Arena) OptStr(s string) *byte {
	if s == "" {
		return nil
	}
	return a.Str(s)
}

// StrList returns a pinned NULL-terminated array of C strings (NULL for an empty list).
func (a *Arena) StrList(items []string) **byte {
	if len(items) == 0 {
		return nil
	}
	arr := make([]*byte, len(items)+1)
	for i, s := range items {
		if strings.IndexByte(s, 0) >= 0 {
			s = s[:strings.IndexByte(s, 0)]
		}
		arr[i] = a.Str(s)
	}
	a.p.Pin(&arr[0])
	return &arr[0]
}

// KVList renders a map as "key=value" strings (the header's metadata/envs form).
func (a *Arena) KVList(m map[string]string) **byte {
	if len(m) == 0 {
		return nil
	}
	items := make([]string, 0, len(m))
	for k, v := range m {
		items = append(items, k+"="+v)
	}
	return a.StrList(items)
}

// Data returns a pinned pointer to b's bytes (nil for empty).
func (a *Arena) Data(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	a.p.Pin(&b[0])
	return unsafe.Pointer(&b[0])
}

// Free unpins everything. A nil arena is a no-op.
func (a *Arena) Free() {
	if a != nil {
		a.p.Unpin()
	}
}
