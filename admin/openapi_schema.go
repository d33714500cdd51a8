package admin

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/gatehouse-id/gatehouse"
)

// JSON Schemas (the 2020-12 dialect of OpenAPI 3.1) derived from the Go
// types the API decodes and encodes, so the document cannot drift from
// them. A struct field's json tag gives its name; a field without
// omitempty or omitzero is always written, so it is required. Other tags
// add to the schema: doc (a description), enum (comma-separated values),
// readonly and writeonly. Structs are objects without additional
// properties: the API refuses unknown fields and writes no others.

// schemaNames renames types whose Go names would read poorly in the
// document.
var schemaNames = map[reflect.Type]string{
	reflect.TypeFor[ClientDoc]():            "Client",
	reflect.TypeFor[ClientConfigDoc]():      "ClientConfig",
	reflect.TypeFor[CredentialDoc]():        "Credential",
	reflect.TypeFor[IssuedCredentialDoc]():  "IssuedCredential",
	reflect.TypeFor[UserDoc]():              "User",
	reflect.TypeFor[TenantDoc]():            "Tenant",
	reflect.TypeFor[TenantSettingsDoc]():    "TenantSettings",
	reflect.TypeFor[AuditEventDoc]():        "AuditEvent",
	reflect.TypeFor[APIKeyDoc]():            "APIKey",
	reflect.TypeFor[InstallKeyDoc]():        "InstallKey",
	reflect.TypeFor[RuntimeTokenDoc]():      "RuntimeToken",
	reflect.TypeFor[PasswordLinkDoc]():      "PasswordLink",
	reflect.TypeFor[InvitationDoc]():        "Invitation",
	reflect.TypeFor[errorDoc]():             "Error",
	reflect.TypeFor[errorBody]():            "ErrorBody",
	reflect.TypeFor[gatehouse.FieldError](): "FieldError",
	reflect.TypeFor[emptyBody]():            "Empty",
}

// schemaGen collects the named schemas of components/schemas.
type schemaGen struct {
	defs map[string]any
}

func schemaName(t reflect.Type) string {
	if n, ok := schemaNames[t]; ok {
		return n
	}
	return t.Name()
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// of returns the schema of values of type t: a reference for a named
// struct, whose schema it adds to the components.
func (g *schemaGen) of(t reflect.Type) map[string]any {
	switch t {
	case reflect.TypeFor[time.Time]():
		return map[string]any{"type": "string", "format": "date-time"}
	case reflect.TypeFor[json.RawMessage]():
		return map[string]any{}
	case reflect.TypeFor[patchTime]():
		return map[string]any{"type": []any{"string", "null"}}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.of(t.Elem())
		if _, isRef := s["$ref"]; isRef {
			return map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
		}
		s["type"] = []any{s["type"], "null"}
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Struct:
		name := schemaName(t)
		if _, done := g.defs[name]; !done {
			g.defs[name] = nil // a placeholder, in case the type refers to itself
			g.defs[name] = g.object(t)
		}
		return ref(name)
	}
	// A type the document cannot describe is a programming error; the
	// tests look for this marker.
	return map[string]any{"description": "no schema for " + t.String()}
}

// object returns the schema of a struct type.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []any
	g.fields(t, props, &required)
	s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// fields adds the JSON members of struct t, embedded structs flattened.
func (g *schemaGen) fields(t reflect.Type, props map[string]any, required *[]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup("json")
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && !hasTag && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required)
			continue
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.of(f.Type)
		if _, isRef := s["$ref"]; isRef && (f.Tag.Get("doc") != "" || f.Tag.Get("readonly") != "") {
			// Siblings of $ref are allowed in 3.1, but kept apart for
			// readers that predate it.
			s = map[string]any{"allOf": []any{s}}
		}
		if d := f.Tag.Get("doc"); d != "" {
			s["description"] = d
		}
		if e := f.Tag.Get("enum"); e != "" {
			var values []any
			for _, v := range strings.Split(e, ",") {
				values = append(values, v)
			}
			s["enum"] = values
		}
		if fm := f.Tag.Get("format"); fm != "" {
			s["format"] = fm
		}
		if f.Tag.Get("readonly") == "true" {
			s["readOnly"] = true
			s["description"] = "Read-only: accepted as read and ignored."
		}
		if f.Tag.Get("writeonly") == "true" {
			s["writeOnly"] = true
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}

// listSchema returns the schema of a page of items of type t, adding it
// to the components as <Item>List.
func (g *schemaGen) listSchema(t reflect.Type) map[string]any {
	item := g.of(t)
	name := schemaName(t) + "List"
	if _, done := g.defs[name]; !done {
		g.defs[name] = map[string]any{
			"type": "object",
			"properties": map[string]any{
				"items": map[string]any{"type": "array", "items": item},
				"next_cursor": map[string]any{"type": "string",
					"description": "Pass as cursor to read the next page; empty on the last page."},
			},
			"required":             []any{"items", "next_cursor"},
			"additionalProperties": false,
		}
	}
	return ref(name)
}
