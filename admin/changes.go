package admin

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
)

// changedFields names the JSON fields whose values differ between two
// documents of one type, for the audit log: "name", and "config.logo_uri"
// for a field of a nested object. Fields in skip are not compared.
func changedFields(before, after any, skip ...string) []string {
	a, b := jsonObject(before), jsonObject(after)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if slices.Contains(skip, k) || bytes.Equal(a[k], b[k]) {
			continue
		}
		na, nb := jsonObject(a[k]), jsonObject(b[k])
		if na == nil || nb == nil {
			out = append(out, k)
			continue
		}
		for _, sub := range changedFields(na, nb) {
			out = append(out, k+"."+sub)
		}
	}
	return out
}

// jsonObject returns v's JSON members, or nil when v is not an object.
func jsonObject(v any) map[string]json.RawMessage {
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		raw = x
	case map[string]json.RawMessage:
		return x
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil
		}
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}
