package cql2

import "slices"

// Type is the type of a queryable property, as the queryables document
// advertises it and as literals are checked against.
type Type string

// The queryable types.
const (
	String    Type = "string"
	Integer   Type = "integer"
	Number    Type = "number"
	Timestamp Type = "timestamp"
	Geometry  Type = "geometry"
	Boolean   Type = "boolean"
)

// Queryable is one property a filter may name.
type Queryable struct {
	Name        string
	Type        Type
	Enum        []string // for String: the only values it can hold; nil = any
	Description string
	// Format, for Geometry, is the JSON Schema format naming the geometry
	// type every value has (geometry-point, ...); "" is geometry-any.
	Format string
}

// Queryables is the allow-list of filterable properties, in the order the
// queryables document lists them. A name that is not here is refused, so a
// filter can never reach a column that was not meant to be public.
type Queryables []Queryable

// Lookup finds a queryable by its exact (case-sensitive) name.
func (qs Queryables) Lookup(name string) (Queryable, bool) {
	for _, q := range qs {
		if q.Name == name {
			return q, true
		}
	}
	return Queryable{}, false
}

// Names lists the queryable names, for error messages that say what is
// allowed.
func (qs Queryables) Names() []string {
	names := make([]string, len(qs))
	for i, q := range qs {
		names[i] = q.Name
	}
	return names
}

// JSONSchema is the OGC API - Features Part 3 queryables document: a JSON
// Schema (2020-12) object whose properties are the queryables. id is the
// document's own URL.
func (qs Queryables) JSONSchema(id, title string) map[string]any {
	props := make(map[string]any, len(qs))
	for _, q := range qs {
		p := map[string]any{}
		switch q.Type {
		case Timestamp:
			p["type"], p["format"] = "string", "date-time"
		case Geometry:
			// The draft of Part 5 marks the geometry the features are drawn
			// with; clients type their layer from its format.
			p["format"], p["x-ogc-role"] = "geometry-any", "primary-geometry"
			if q.Format != "" {
				p["format"] = q.Format
			}
		default:
			p["type"] = string(q.Type)
		}
		if len(q.Enum) > 0 {
			p["enum"] = slices.Clone(q.Enum)
		}
		if q.Description != "" {
			p["description"] = q.Description
		}
		props[q.Name] = p
	}
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  id,
		"type":                 "object",
		"title":                title,
		"properties":           props,
		"additionalProperties": false,
	}
}
