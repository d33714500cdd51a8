package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Diff compares two values the way callers of a store see them and
// describes every difference, one per line ("" when they match):
//   - a nil slice or map equals an empty one;
//   - times are equal when both are zero, or when they name instants less
//     than a microsecond apart (stores keep microseconds and may round or
//     truncate), whatever their location;
//   - json.RawMessage values are equal when they decode to the same value
//     (an engine may re-encode JSON);
//   - struct fields named in ignore are skipped at any depth.
//
// Unexported fields are not compared.
func Diff(want, got any, ignore ...string) string {
	d := differ{ignore: ignore}
	d.walk("", reflect.ValueOf(want), reflect.ValueOf(got))
	return strings.Join(d.lines, "\n")
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

type differ struct {
	ignore []string
	lines  []string
}

func (d *differ) add(path string, got, want any) {
	if path == "" {
		path = "value"
	}
	d.lines = append(d.lines, fmt.Sprintf("%s: got %v, want %v", path, got, want))
}

func (d *differ) walk(path string, w, g reflect.Value) {
	if !w.IsValid() || !g.IsValid() {
		if w.IsValid() != g.IsValid() {
			d.add(path, g, w)
		}
		return
	}
	if w.Type() != g.Type() {
		d.add(path, g.Type(), w.Type())
		return
	}
	switch w.Type() {
	case timeType:
		wt, gt := w.Interface().(time.Time), g.Interface().(time.Time)
		if !sameInstant(wt, gt) {
			d.add(path, gt.Format(time.RFC3339Nano), wt.Format(time.RFC3339Nano))
		}
		return
	case rawType:
		if !sameJSON(w.Bytes(), g.Bytes()) {
			d.add(path, string(g.Bytes()), string(w.Bytes()))
		}
		return
	}
	switch w.Kind() {
	case reflect.Pointer, reflect.Interface:
		if w.IsNil() || g.IsNil() {
			if w.IsNil() != g.IsNil() {
				d.add(path, describeNil(g), describeNil(w))
			}
			return
		}
		d.walk(path, w.Elem(), g.Elem())
	case reflect.Struct:
		for i := range w.NumField() {
			f := w.Type().Field(i)
			if !f.IsExported() || slices.Contains(d.ignore, f.Name) {
				continue
			}
			d.walk(join(path, f.Name), w.Field(i), g.Field(i))
		}
	case reflect.Slice, reflect.Array:
		if w.Type().Elem().Kind() == reflect.Uint8 && w.Kind() == reflect.Slice {
			if !bytes.Equal(w.Bytes(), g.Bytes()) {
				d.add(path, fmt.Sprintf("%x", g.Bytes()), fmt.Sprintf("%x", w.Bytes()))
			}
			return
		}
		if w.Len() != g.Len() {
			d.add(path+" length", g.Len(), w.Len())
			return
		}
		for i := range w.Len() {
			d.walk(fmt.Sprintf("%s[%d]", path, i), w.Index(i), g.Index(i))
		}
	case reflect.Map:
		for _, k := range w.MapKeys() {
			gv := g.MapIndex(k)
			if !gv.IsValid() {
				d.add(fmt.Sprintf("%s[%v]", path, k), "missing", w.MapIndex(k))
				continue
			}
			d.walk(fmt.Sprintf("%s[%v]", path, k), w.MapIndex(k), gv)
		}
		for _, k := range g.MapKeys() {
			if !w.MapIndex(k).IsValid() {
				d.add(fmt.Sprintf("%s[%v]", path, k), g.MapIndex(k), "missing")
			}
		}
	default:
		if !reflect.DeepEqual(w.Interface(), g.Interface()) {
			d.add(path, fmt.Sprintf("%#v", g.Interface()), fmt.Sprintf("%#v", w.Interface()))
		}
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func describeNil(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	return "non-nil"
}

// sameInstant reports whether two times are both zero or less than a
// microsecond apart.
func sameInstant(a, b time.Time) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() == b.IsZero()
	}
	d := a.Sub(b)
	return d > -time.Microsecond && d < time.Microsecond
}

// sameJSON reports whether two JSON texts (empty meaning absent) decode to
// the same value.
func sameJSON(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}
