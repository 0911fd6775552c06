package domain

import (
	"reflect"
	"testing"
)

// TestQueryKeyTellsEveryFieldApart: setting any one field of a query, at
// any depth, to a value other than its zero (and a list or map from nil to
// empty) gives another key, so two queries sharing a key ask the same.
func TestQueryKeyTellsEveryFieldApart(t *testing.T) {
	var base Query
	baseKey := string(base.AppendKey(nil))
	seen := map[string]string{baseKey: "zero query"}
	fields := leafFields(reflect.TypeOf(base), nil)
	if len(fields) != 26 {
		t.Errorf("Query has %d fields at its leaves, AppendKey was written for 26: encode the new ones", len(fields))
	}
	for _, idx := range fields {
		for variant := range 2 {
			q := Query{}
			f := reflect.ValueOf(&q).Elem().FieldByIndex(idx)
			if !setField(f, variant) {
				continue
			}
			name := reflect.TypeOf(q).FieldByIndex(idx).Name
			key := string(q.AppendKey(nil))
			if prev, ok := seen[key]; ok {
				t.Errorf("%s (variant %d) gives the key of %s: %s", name, variant, prev, key)
			}
			seen[key] = name
		}
	}
}

// leafFields lists the index paths of the non-struct fields of typ.
func leafFields(typ reflect.Type, prefix []int) [][]int {
	var out [][]int
	for i := range typ.NumField() {
		idx := append(append([]int(nil), prefix...), i)
		if f := typ.Field(i); f.Type.Kind() == reflect.Struct {
			out = append(out, leafFields(f.Type, idx)...)
		} else {
			out = append(out, idx)
		}
	}
	return out
}

// setField sets f to a value other than its zero: variant 0 a value, and
// for lists and maps variant 1 an empty one. It reports whether it set one.
func setField(f reflect.Value, variant int) bool {
	switch f.Kind() {
	case reflect.String:
		if variant == 1 {
			return false
		}
		f.SetString("x")
	case reflect.Int, reflect.Int32, reflect.Int64:
		if variant == 1 {
			return false
		}
		f.SetInt(1)
	case reflect.Bool:
		if variant == 1 {
			return false
		}
		f.SetBool(true)
	case reflect.Slice:
		s := reflect.MakeSlice(f.Type(), 0, 1)
		if variant == 0 {
			e := reflect.New(f.Type().Elem()).Elem()
			setField(e, 0)
			s = reflect.Append(s, e)
		}
		f.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(f.Type())
		if variant == 0 {
			k := reflect.New(f.Type().Key()).Elem()
			setField(k, 0)
			v := reflect.New(f.Type().Elem()).Elem()
			setField(v, 0)
			m.SetMapIndex(k, v)
		}
		f.Set(m)
	default:
		panic("field kind not covered: " + f.Kind().String())
	}
	return true
}
