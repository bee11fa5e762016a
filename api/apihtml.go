package api

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

// apiOperation is one row of the HTML API page.
type apiOperation struct {
	Method, Path, Summary string
	Parameters            []apiParameter
	Responses             []apiResponse
}

type apiParameter struct{ Name, In, Schema, Description string }

type apiResponse struct{ Status, Description, Types string }

// apiHTMLHandler serves /api.html, made from the same document as /api so
// the page cannot drift from the definition.
func (s *Server) apiHTMLHandler(c echo.Context) error {
	if err := checkParams(c.QueryParams(), "f"); err != nil {
		return err
	}
	doc := s.openAPIDocument(c)
	comps := doc["components"].(obj)
	resolve := func(v any) obj {
		o := v.(obj)
		if r, ok := o["$ref"].(string); ok {
			parts := strings.Split(strings.TrimPrefix(r, "#/components/"), "/")
			return comps[parts[0]].(obj)[parts[1]].(obj)
		}
		return o
	}
	paths := doc["paths"].(obj)
	names := make([]string, 0, len(paths))
	for p := range paths {
		names = append(names, p)
	}
	sort.Strings(names)
	var ops []apiOperation
	for _, p := range names {
		for _, method := range []string{"get", "post", "put", "patch", "delete"} {
			get, ok := paths[p].(obj)[method].(obj)
			if !ok {
				continue
			}
			o := apiOperation{Method: strings.ToUpper(method), Path: p, Summary: get["summary"].(string)}
			if ps, ok := get["parameters"].([]any); ok {
				for _, raw := range ps {
					prm := resolve(raw)
					o.Parameters = append(o.Parameters, apiParameter{
						Name: prm["name"].(string), In: prm["in"].(string),
						Schema: describeSchema(prm["schema"].(obj)), Description: str(prm["description"]),
					})
				}
			}
			resp := get["responses"].(obj)
			codes := make([]string, 0, len(resp))
			for code := range resp {
				codes = append(codes, code)
			}
			sort.Strings(codes)
			for _, code := range codes {
				r := resolve(resp[code])
				var types []string
				if ct, ok := r["content"].(obj); ok {
					for t := range ct {
						types = append(types, t)
					}
					slices.Sort(types)
				}
				o.Responses = append(o.Responses, apiResponse{Status: code, Description: str(r["description"]), Types: strings.Join(types, ", ")})
			}
			ops = append(ops, o)
		}
	}
	return s.renderHTML(c, "api", "API", map[string]any{"Operations": ops, "Info": doc["info"]},
		link{Href: s.absURL(c, "/api", nil), Rel: "service-desc", Type: openAPIType, Title: "OpenAPI 3.0 JSON"})
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// describeSchema is a one-line summary of a parameter schema for people.
func describeSchema(sc obj) string {
	var b strings.Builder
	b.WriteString(str(sc["type"]))
	if e, ok := sc["enum"].([]string); ok {
		b.WriteString(" (" + strings.Join(e, " | ") + ")")
	}
	for _, k := range []string{"minimum", "maximum", "default", "minItems", "maxItems"} {
		if v, ok := sc[k]; ok {
			b.WriteString(fmt.Sprintf(", %s %v", k, v))
		}
	}
	return b.String()
}
