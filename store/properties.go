package store

import (
	"strings"
	"time"

	"github.com/lib/pq"

	"eventmap"
	"eventmap/cql2"
)

// The SQL for event properties, made from eventmap.Properties: no other
// file in store names a property column. Column names come from that
// table, never from a request.

// writtenProperties are the properties a write stores in a column of
// events: what INSERT, UPDATE, the import staging table and the import's
// change test list.
var writtenProperties = func() []*eventmap.Property {
	var out []*eventmap.Property
	for i := range eventmap.Properties {
		p := &eventmap.Properties[i]
		if p.Column != "" && !p.ServerOwned {
			out = append(out, p)
		}
	}
	return out
}()

// writtenColumns lists writtenProperties' columns, each with prefix
// ("e." or "r."): "e.type, e.title, ...".
func writtenColumns(prefix string) string {
	cols := make([]string, len(writtenProperties))
	for i, p := range writtenProperties {
		cols[i] = prefix + p.Column
	}
	return strings.Join(cols, ", ")
}

// columnValue is ev's value of p as a statement argument or COPY value.
func columnValue(p *eventmap.Property, ev *eventmap.Event) any {
	switch v := p.Field(ev).(type) {
	case *string:
		if p.NullIfEmpty && *v == "" {
			return nil
		}
		return *v
	case **int:
		if *v == nil {
			return nil
		}
		return int64(**v)
	case *time.Time:
		return *v
	case *[]string:
		return pq.Array(nonNil(*v))
	case *map[string]string:
		return string(extraJSON(*v))
	case *int64:
		return *v
	}
	panic("store: no column value for property " + p.Name)
}

// writtenValues are ev's values of writtenProperties, in their order.
func writtenValues(ev *eventmap.Event) []any {
	vals := make([]any, len(writtenProperties))
	for i, p := range writtenProperties {
		vals[i] = columnValue(p, ev)
	}
	return vals
}

// featurePropsSQL is the member list of a Feature's properties object
// for json_build_object, over the events row e, with the actors and
// sources arrays written by the given expressions.
func featurePropsSQL(actors, sources string) string {
	var b strings.Builder
	for i, p := range eventmap.Properties {
		if i > 0 {
			b.WriteString(",\n\t\t")
		}
		b.WriteString("'" + p.Name + "', ")
		switch p.Kind {
		case eventmap.KindActors:
			b.WriteString(actors)
		case eventmap.KindSources:
			b.WriteString(sources)
		case eventmap.KindTags:
			b.WriteString("to_json(e." + p.Column + ")")
		default:
			b.WriteString("e." + p.Column)
		}
	}
	return b.String()
}

// asOfColumns are the columns of events rebuilt from a revision's
// snapshot, for "as of" reads: every scalar property a filter, sort or
// cursor may read. Visibility is the exception asof.go writes itself.
func asOfColumns() string {
	var b strings.Builder
	for _, p := range eventmap.Properties {
		switch {
		case p.Column == "" || p.Name == "visibility":
			continue
		case p.Kind == eventmap.KindText || p.Kind == eventmap.KindEnum:
			b.WriteString("\t\tr.snapshot#>>'{properties," + p.Name + "}' AS " + p.Column + ",\n")
		case p.Kind == eventmap.KindCount || p.Kind == eventmap.KindTime || p.Kind == eventmap.KindVersion:
			b.WriteString("\t\t(r.snapshot#>>'{properties," + p.Name + "}')::" + p.Kind.SQLType() + " AS " + p.Column + ",\n")
		}
	}
	return b.String()
}

// propertyQueryables are the queryables made from the property table;
// cql.go adds the two that are not columns (actor, geometry).
func propertyQueryables() []queryable {
	var out []queryable
	for _, p := range eventmap.Properties {
		if !p.Queryable {
			continue
		}
		t := cql2.String
		switch p.Kind {
		case eventmap.KindCount, eventmap.KindVersion:
			t = cql2.Integer
		case eventmap.KindTime:
			t = cql2.Timestamp
		}
		out = append(out, queryable{Queryable: cql2.Queryable{Name: p.Name, Type: t, Enum: p.Enum, Description: p.Description}, column: "e." + p.Column})
	}
	return out
}

// propertySortKeys are the sortby allow-list made from the property table.
func propertySortKeys() map[string]sortKey {
	out := map[string]sortKey{}
	for _, p := range eventmap.Properties {
		if !p.Sortable {
			continue
		}
		k := sortKey{col: "e." + p.Column, kind: kindText}
		switch p.Kind {
		case eventmap.KindTime:
			k.kind = kindTime
		case eventmap.KindCount, eventmap.KindVersion:
			k.kind, k.nullable = kindInt, p.Kind == eventmap.KindCount
		}
		out[p.Name] = k
	}
	return out
}
