package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"eventmap"
	"eventmap/geo"
	"eventmap/store"
)

// shapeDB is the sample data plus two public events stored as neither a
// point nor the sample's region-precision area: an area and a line, both
// said to be exactly placed.
func shapeDB(t *testing.T) (*store.DB, map[string]orb.Geometry) {
	t.Helper()
	db := sampleDB(t)
	ctx := context.Background()
	stored := map[string]orb.Geometry{}
	extra := []*eventmap.Event{
		{Type: "airstrike", Title: "compound", OccurredAt: time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), TimePrecision: "day",
			Geometry:     orb.MultiPolygon{{{{36.70, 34.70}, {36.74, 34.70}, {36.74, 34.74}, {36.70, 34.74}, {36.70, 34.70}}}, {{{36.80, 34.80}, {36.82, 34.80}, {36.82, 34.82}, {36.80, 34.80}}}},
			GeoPrecision: "exact", Country: "SYR", Status: "reported", Visibility: "public"},
		{Type: "clash", Title: "road", OccurredAt: time.Date(2025, 9, 2, 0, 0, 0, 0, time.UTC), TimePrecision: "day",
			Geometry:     orb.LineString{{37.0, 35.0}, {37.2, 35.1}},
			GeoPrecision: "exact", Country: "SYR", Status: "reported", Visibility: "public"},
	}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, ev := range extra {
			w, err := tx.CreateEvent(ctx, ev, eventmap.Revision{Editor: "test", Reason: "shapes"})
			if err != nil {
				return err
			}
			stored[w.ID] = ev.Geometry
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, stored
}

type shapedFeature struct {
	ID       string
	Geometry orb.Geometry
	Props    map[string]any
}

func listShaped(t *testing.T, db *store.DB, f store.EventFilter, p store.Page) []shapedFeature {
	t.Helper()
	var out []shapedFeature
	_, err := db.ListEvents(context.Background(), f, p, func(b []byte) error {
		gf, err := geojson.UnmarshalFeature(b)
		if err != nil {
			return err
		}
		out = append(out, shapedFeature{ID: gf.ID.(string), Geometry: gf.Geometry, Props: gf.Properties})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// events-points shows every visible event as one point inside its stored
// geometry, never claiming exact placement for a point that stands for an
// area or a line; events-areas shows only areas, each as a MultiPolygon.
func TestCollectionShapes(t *testing.T) {
	t.Parallel()
	db, extra := shapeDB(t)
	all := listShaped(t, db, store.EventFilter{}, store.Page{Limit: 100})
	storedGeom := map[string]orb.Geometry{}
	for _, f := range all {
		storedGeom[f.ID] = f.Geometry
	}
	if len(all) != 9 {
		t.Fatalf("%d events in the mixed collection, want 7 sample + 2", len(all))
	}

	points := listShaped(t, db, store.EventFilter{Shape: store.AsPoint}, store.Page{Limit: 100})
	if len(points) != len(all) {
		t.Fatalf("events-points holds %d events, want all %d", len(points), len(all))
	}
	for _, f := range points {
		pt, ok := f.Geometry.(orb.Point)
		if !ok {
			t.Errorf("%s: geometry %T in events-points", f.ID, f.Geometry)
			continue
		}
		g := storedGeom[f.ID]
		inside := false
		switch g := g.(type) {
		case orb.Point:
			inside = g == pt
		case orb.Polygon:
			inside = planar.PolygonContains(g, pt)
		case orb.MultiPolygon:
			inside = planar.MultiPolygonContains(g, pt)
		case orb.LineString:
			inside = g.Bound().Pad(1e-6).Contains(pt)
		}
		if !inside {
			t.Errorf("%s: point %v is not on its stored %s", f.ID, pt, g.GeoJSONType())
		}
		wantPrecision := map[string]string{"6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01": "exact", "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e02": "region"}[f.ID]
		if _, ok := extra[f.ID]; ok {
			wantPrecision = "region" // stored as exact, shown by a point that is not where it happened
		}
		if wantPrecision != "" && f.Props["geo_precision"] != wantPrecision {
			t.Errorf("%s: geo_precision %v in events-points, want %s", f.ID, f.Props["geo_precision"], wantPrecision)
		}
	}
	// The other properties are the stored document's, unchanged.
	for i, f := range points {
		p, a := f.Props, all[i].Props
		if f.ID != all[i].ID || p["title"] != a["title"] || p["version"] != a["version"] {
			t.Errorf("events-points %d: %v %v, events: %v %v", i, f.ID, p["title"], all[i].ID, a["title"])
		}
	}

	areas := listShaped(t, db, store.EventFilter{Shape: store.AreasOnly}, store.Page{Limit: 100})
	var areaIDs []string
	for _, f := range areas {
		if _, ok := f.Geometry.(orb.MultiPolygon); !ok {
			t.Errorf("%s: geometry %T in events-areas, want MultiPolygon", f.ID, f.Geometry)
		}
		areaIDs = append(areaIDs, f.ID)
	}
	var compound string
	for id, g := range extra {
		if _, ok := g.(orb.MultiPolygon); ok {
			compound = id
		}
	}
	if want := []string{compound, "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e02"}; !slices.Equal(sortedCopy(areaIDs), sortedCopy(want)) {
		t.Errorf("events-areas holds %v, want the caches and the compound %v", areaIDs, want)
	}
	if p := areas[0].Props["geo_precision"]; p == nil {
		t.Errorf("events-areas lost the properties")
	}

	// Every CRS works on both shapes.
	for _, crs := range []geo.CRS{geo.EPSG4326, geo.EPSG3857} {
		for _, shape := range []store.Shape{store.AsPoint, store.AreasOnly} {
			for _, f := range listShaped(t, db, store.EventFilter{Shape: shape}, store.Page{Limit: 100, CRS: crs}) {
				if _, isPoint := f.Geometry.(orb.Point); isPoint != (shape == store.AsPoint) {
					t.Errorf("%s shape %d: geometry %T", crs.URI, shape, f.Geometry)
				}
			}
		}
	}

	// One item: a point event is not in events-areas.
	ctx := context.Background()
	raid := "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01"
	if _, _, err := db.GetEventIn(ctx, raid, store.EventFilter{Shape: store.AreasOnly}, geo.CRS84); eventmap.ErrorCode(err) != eventmap.ENOTFOUND {
		t.Errorf("the raid from events-areas: %v, want not found", err)
	}
	b, _, err := db.GetEventIn(ctx, "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e02", store.EventFilter{Shape: store.AsPoint}, geo.CRS84)
	if err != nil {
		t.Fatal(err)
	}
	if gf, err := geojson.UnmarshalFeature(b); err != nil || gf.Geometry.GeoJSONType() != "Point" {
		t.Errorf("the caches from events-points: %s (%v)", b, err)
	}
	// And as it was served before: the past state, as a point.
	b, _, err = db.GetEventIn(ctx, compound, store.EventFilter{Shape: store.AsPoint, AsOf: time.Now().Add(time.Hour)}, geo.CRS84)
	if err != nil {
		t.Fatal(err)
	}
	if gf, err := geojson.UnmarshalFeature(b); err != nil || gf.Geometry.GeoJSONType() != "Point" || gf.Properties["geo_precision"] != "region" {
		t.Errorf("the compound as_of from events-points: %s (%v)", b, err)
	}
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// In events-points the spatial filters test the point that is served: a
// box over a corner of the caches' area that misses its point selects it
// in events but not in events-points, and a box around the point selects
// it in both.
func TestPointShapeFiltersByThePoint(t *testing.T) {
	t.Parallel()
	db := sampleDB(t)
	caches := "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e02"
	var pt orb.Point
	for _, f := range listShaped(t, db, store.EventFilter{Shape: store.AsPoint}, store.Page{Limit: 100}) {
		if f.ID == caches {
			pt = f.Geometry.(orb.Point)
		}
	}
	ids := func(f store.EventFilter) []string {
		var out []string
		for _, sf := range listShaped(t, db, f, store.Page{Limit: 100}) {
			out = append(out, sf.ID)
		}
		return out
	}
	around := &geo.BBox{West: pt[0] - 0.01, South: pt[1] - 0.01, East: pt[0] + 0.01, North: pt[1] + 0.01}
	// (36.5, 32.8) lies inside the caches' area, far from any point event.
	corner := &geo.BBox{West: 36.49, South: 32.79, East: 36.51, North: 32.81}
	if around.West < corner.East && corner.West < around.East && around.South < corner.North && corner.South < around.North {
		t.Fatalf("the caches' point %v lies in the corner box; pick another", pt)
	}
	for _, tt := range []struct {
		name  string
		f     store.EventFilter
		wants bool
	}{
		{"bbox around the point, events", store.EventFilter{BBox: around}, true},
		{"bbox around the point, events-points", store.EventFilter{BBox: around, Shape: store.AsPoint}, true},
		{"bbox over the corner, events", store.EventFilter{BBox: corner}, true},
		{"bbox over the corner, events-points", store.EventFilter{BBox: corner, Shape: store.AsPoint}, false},
	} {
		if got := slices.Contains(ids(tt.f), caches); got != tt.wants {
			t.Errorf("%s: caches selected %v, want %v", tt.name, got, tt.wants)
		}
	}
	for _, tt := range []struct {
		shape store.Shape
		wants bool
	}{{store.AsStored, true}, {store.AsPoint, false}, {store.AreasOnly, true}} {
		where, err := store.ParseFilterFor(tt.shape, "cql2-text", "S_INTERSECTS(geometry, POINT(36.5 32.8))")
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Contains(ids(store.EventFilter{Shape: tt.shape, Where: where}), caches); got != tt.wants {
			t.Errorf("shape %d: S_INTERSECTS at the corner selects the caches: %v, want %v", tt.shape, got, tt.wants)
		}
	}
}

// offset reaches the same events as walking the next links does, and is
// read by keyset from the row before it.
func TestListEventsOffset(t *testing.T) {
	t.Parallel()
	db := sampleDB(t)
	var walked []string
	p := store.Page{Limit: 2, CountLimit: 100}
	for {
		var page []string
		res, err := db.ListEvents(context.Background(), store.EventFilter{}, p, func(b []byte) error {
			var v struct{ ID string }
			err := json.Unmarshal(b, &v)
			page = append(page, v.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, page...)
		if res.Next == nil {
			break
		}
		p.Cursor = res.Next
	}
	for offset := 1; offset <= len(walked)+1; offset++ {
		var got []string
		res, err := db.ListEvents(context.Background(), store.EventFilter{}, store.Page{Limit: 2, Offset: offset, CountLimit: 100}, func(b []byte) error {
			var v struct{ ID string }
			err := json.Unmarshal(b, &v)
			got = append(got, v.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := walked[min(offset, len(walked)):min(offset+2, len(walked))]
		if !slices.Equal(got, want) {
			t.Errorf("offset %d: %v, want %v", offset, got, want)
		}
		if res.Matched == nil || *res.Matched != int64(len(walked)) {
			t.Errorf("offset %d: numberMatched %v, want %d", offset, res.Matched, len(walked))
		}
		if hasNext := res.Next != nil; hasNext != (offset+2 < len(walked)) {
			t.Errorf("offset %d: next link %v", offset, hasNext)
		}
		if hasPrev := res.Prev != nil; hasPrev != (offset < len(walked)) {
			t.Errorf("offset %d: prev link %v", offset, hasPrev)
		}
	}
}

// The dataset version a page is read at changes with every committed
// write, and only then; a write to restricted events alone leaves the
// anonymous version as it was; a write that commits after a later one
// still changes it (max(event_revisions.id) would not); and the page's
// callback can end the read before any event is read (a 304).
func TestListEventsVersion(t *testing.T) {
	t.Parallel()
	db := sampleDB(t)
	ctx := context.Background()
	version := func(restricted bool) string {
		var v string
		_, err := db.ListEvents(ctx, store.EventFilter{IncludeRestricted: restricted},
			store.Page{Limit: 1, Version: func(s string) error { v = s; return nil }}, func([]byte) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if direct, err := db.DatasetVersion(ctx, restricted); err != nil || direct != v {
			t.Fatalf("DatasetVersion %q (%v), the page's %q", direct, err, v)
		}
		return v
	}
	anon, all := version(false), version(true)
	if anon == "" || anon == all || anon != version(false) {
		t.Fatalf("versions %q (anonymous) and %q (token), twice %q", anon, all, version(false))
	}
	create := func(tx *store.Tx, visibility string) error {
		_, err := tx.CreateEvent(ctx, &eventmap.Event{Type: "raid", Title: "new", OccurredAt: time.Now(), TimePrecision: "day",
			Geometry: orb.Point{36, 33}, GeoPrecision: "exact", Country: "SYR", Status: "reported", Visibility: visibility},
			eventmap.Revision{Editor: "test", Reason: "version"})
		return err
	}
	if err := db.InTx(ctx, func(tx *store.Tx) error { return create(tx, "restricted") }); err != nil {
		t.Fatal(err)
	}
	if a, b := version(false), version(true); a != anon || b == all {
		t.Errorf("after a restricted write: anonymous %q (was %q), token %q (was %q)", a, anon, b, all)
	}
	anon, all = version(false), version(true)

	// A public write moves the anonymous version. (Two writes committing
	// out of the order of their revision ids cannot be staged here any
	// more: the map aggregates' triggers serialise writers under one
	// advisory lock, see migrations/00010_map_aggregates.sql.)
	if err := db.InTx(ctx, func(tx *store.Tx) error { return create(tx, "public") }); err != nil {
		t.Fatal(err)
	}
	if after := version(false); after == anon {
		t.Errorf("a committed public write left the version at %q", after)
	}

	stop := errors.New("not modified")
	emitted := 0
	_, err := db.ListEvents(ctx, store.EventFilter{}, store.Page{Limit: 5, Version: func(string) error { return stop }}, func([]byte) error { emitted++; return nil })
	if !errors.Is(err, stop) || emitted != 0 {
		t.Errorf("a refusing callback: err %v after %d events, want its error before any", err, emitted)
	}
}

// The regions collection: filters, paging, CRS and single items.
func TestRegions(t *testing.T) {
	t.Parallel()
	db := sampleDB(t)
	ctx := context.Background()
	if err := db.InTx(ctx, func(tx *store.Tx) error {
		return tx.PutRegion(ctx, eventmap.Region{ID: "ghouta", Name: "Eastern Ghouta", Geometry: orb.Polygon{{{36.3, 33.4}, {36.6, 33.4}, {36.6, 33.6}, {36.3, 33.4}}}})
	}); err != nil {
		t.Fatal(err)
	}
	ids := func(l store.RegionList) []string {
		var out []string
		for _, f := range l.Features {
			var v struct{ ID string }
			if err := json.Unmarshal(f, &v); err != nil {
				t.Fatal(err)
			}
			out = append(out, v.ID)
		}
		return out
	}
	list := func(f store.RegionFilter, p store.RegionPage) store.RegionList {
		t.Helper()
		l, err := db.ListRegions(ctx, f, p)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if l := list(store.RegionFilter{}, store.RegionPage{Limit: 10}); !slices.Equal(ids(l), []string{"badiya", "ghouta"}) || l.Matched != 2 || l.More {
		t.Errorf("all regions: %v matched %d more %v", ids(l), l.Matched, l.More)
	}
	if l := list(store.RegionFilter{}, store.RegionPage{Limit: 1}); !slices.Equal(ids(l), []string{"badiya"}) || !l.More {
		t.Errorf("first of two: %v more %v", ids(l), l.More)
	}
	if l := list(store.RegionFilter{}, store.RegionPage{Limit: 1, Offset: 1}); !slices.Equal(ids(l), []string{"ghouta"}) || l.More {
		t.Errorf("second of two: %v more %v", ids(l), l.More)
	}
	if l := list(store.RegionFilter{}, store.RegionPage{Limit: 1, Offset: 5}); len(l.Features) != 0 || l.Matched != 2 {
		t.Errorf("past the end: %v matched %d", ids(l), l.Matched)
	}
	if l := list(store.RegionFilter{BBox: &geo.BBox{West: 36.4, South: 33.45, East: 36.45, North: 33.5}}, store.RegionPage{Limit: 10}); !slices.Equal(ids(l), []string{"ghouta"}) {
		t.Errorf("bbox near Damascus: %v", ids(l))
	}
	for text, want := range map[string][]string{
		"approximate = TRUE":                           {"badiya"},
		"name LIKE 'Eastern%'":                         {"ghouta"},
		"S_INTERSECTS(geometry, POINT(38.3 34.5))":     {"badiya"},
		"id IN ('ghouta', 'nowhere') OR name = 'x'":    {"ghouta"},
		"description = name":                           nil,
		"NOT approximate = TRUE AND id <> 'badiya'":    {"ghouta"},
		"S_INTERSECTS(geometry, BBOX(-10, -10, 0, 0))": nil,
	} {
		where, err := store.ParseRegionFilter("", text)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if got := ids(list(store.RegionFilter{Where: where}, store.RegionPage{Limit: 10})); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", text, got, want)
		}
	}
	if _, err := store.ParseRegionFilter("", "fatalities > 1"); err == nil {
		t.Error("a regions filter accepted an events property")
	}
	b, err := db.GetRegion(ctx, "ghouta", geo.EPSG4326)
	if err != nil {
		t.Fatal(err)
	}
	gf, err := geojson.UnmarshalFeature(b)
	if err != nil || gf.Geometry.GeoJSONType() != "MultiPolygon" || gf.Properties["name"] != "Eastern Ghouta" {
		t.Fatalf("ghouta: %s (%v)", b, err)
	}
	// EPSG:4326 is latitude first.
	if first := gf.Geometry.(orb.MultiPolygon)[0][0][0]; first[0] < 33 || first[0] > 34 {
		t.Errorf("ghouta in EPSG:4326 starts at %v, want latitude first", first)
	}
	if _, err := db.GetRegion(ctx, "atlantis", geo.CRS84); eventmap.ErrorCode(err) != eventmap.ENOTFOUND {
		t.Errorf("unknown region: %v", err)
	}
	if ext, err := db.RegionExtent(ctx); err != nil || ext == nil || ext[0] > 36.3 {
		t.Errorf("extent %v (%v)", ext, err)
	}
}
