package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"eventmap"
)

// schemaHandler serves GET /collections/{collectionId}/schema, the target
// of the collection's describedby link: the features' properties and,
// marked with the draft Part 5's x-ogc-role primary-geometry, their
// geometry with the one format every feature of the collection has
// (geometry-point for events-points), which clients type layers by.
func (s *Server) schemaHandler(c echo.Context) error {
	coll, err := collectionOf(c)
	if err != nil {
		return err
	}
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	if _, err := negotiate(c, formatJSON); err != nil {
		return err
	}
	var schema obj
	if coll.regions {
		schema = obj{"type": "object", "required": []string{"name"}, "properties": regionPropertiesSchema()}
		schema["title"] = "Properties of a region"
	} else {
		schema = toJSONSchema(eventPropertiesSchema()).(obj)
		schema["title"] = "Properties of an event"
	}
	props := schema["properties"].(obj)
	props["geometry"] = obj{"title": "Geometry", "x-ogc-role": "primary-geometry", "format": coll.geometry, "x-ogc-propertySeq": 0}
	schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	schema["$id"] = s.absURL(c, coll.path()+"/schema", nil)
	c.Response().Header().Set(echo.HeaderContentType, "application/schema+json")
	return c.JSON(http.StatusOK, schema)
}

// regionPropertiesSchema describes a region Feature's properties.
func regionPropertiesSchema() obj {
	return obj{
		"name":        obj{"type": "string", "title": "Name", "x-ogc-propertySeq": 1},
		"description": obj{"type": "string", "title": "Description", "x-ogc-propertySeq": 2},
		"approximate": obj{"type": "boolean", "title": "Approximate", "description": "True when the outline is hand-drawn, not surveyed", "x-ogc-propertySeq": 3},
	}
}

// eventPropertiesSchema is the one description of a feature's properties,
// in OpenAPI 3.0 form (nullable), made from eventmap.Properties.
// /collections/events/schema serves it converted to JSON Schema, so the
// two never disagree. Each property carries its label (title), its
// position (x-ogc-propertySeq, OGC API - Features Part 5 draft) and,
// for the facts the map lists in a popup, x-eventmap-popup: the map reads
// property names from here instead of keeping its own list.
func eventPropertiesSchema() obj {
	props := obj{}
	var required []string
	for i := range eventmap.Properties {
		p := &eventmap.Properties[i]
		props[p.Name] = propertySchema(p, i+1)
		if p.Required {
			required = append(required, p.Name)
		}
	}
	return obj{"type": "object", "required": required, "properties": props}
}

// propertySchema is one property's schema, from its kind and rules.
func propertySchema(p *eventmap.Property, seq int) obj {
	var o obj
	switch p.Kind {
	case eventmap.KindText:
		o = obj{"type": "string"}
		if p.MaxLen > 0 {
			o["maxLength"] = p.MaxLen
		}
		if p.Pattern != nil {
			o["pattern"] = p.Pattern.String()
		}
		if p.NullIfEmpty {
			o["nullable"] = true
		}
	case eventmap.KindEnum:
		o = obj{"type": "string", "enum": p.Enum}
		if p.Default != "" {
			o["default"] = p.Default
		}
	case eventmap.KindCount:
		o = obj{"type": "integer", "minimum": 0, "nullable": true}
	case eventmap.KindTime:
		o = obj{"type": "string", "format": "date-time"}
	case eventmap.KindTags:
		o = obj{"type": "array", "items": obj{"type": "string"}}
	case eventmap.KindActors:
		o = obj{"type": "array", "items": obj{
			"type": "object", "required": []string{"name", "role"},
			"properties": obj{"name": obj{"type": "string"}, "role": obj{"type": "string", "enum": eventmap.ActorRoles}},
		}}
	case eventmap.KindSources:
		o = obj{"type": "array", "items": obj{
			"type": "object", "required": []string{"url"},
			"properties": obj{
				"url": obj{"type": "string", "format": "uri"}, "publisher": obj{"type": "string"}, "title": obj{"type": "string"},
				"published_at": obj{"type": "string", "format": "date-time"}, "excerpt": obj{"type": "string"},
			},
		}}
	case eventmap.KindExtra:
		o = obj{"type": "object", "additionalProperties": obj{"type": "string"}}
	case eventmap.KindVersion:
		o = obj{"type": "integer"}
	}
	o["title"] = p.Title
	o["description"] = p.Description
	o["x-ogc-propertySeq"] = seq
	if p.Popup {
		o["x-eventmap-popup"] = true
	}
	if p.ServerOwned {
		o["readOnly"] = true
	}
	for k, v := range p.Schema {
		o[k] = v
	}
	return o
}

// toJSONSchema turns the OpenAPI 3.0 dialect into JSON Schema 2020-12:
// "nullable: true" becomes a "null" member of "type".
func toJSONSchema(v any) any {
	switch t := v.(type) {
	case obj:
		out := obj{}
		for k, val := range t {
			out[k] = toJSONSchema(val)
		}
		if out["nullable"] == true {
			delete(out, "nullable")
			out["type"] = []any{out["type"], "null"}
		}
		if d, ok := out["description"]; ok && d == "" {
			delete(out, "description")
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, val := range t {
			out[i] = toJSONSchema(val)
		}
		return out
	default:
		return v
	}
}
