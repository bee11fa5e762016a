package store_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"eventmap"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// row is what the ordering tests read back from each streamed feature.
type row struct {
	ID         string `json:"id"`
	Properties struct {
		OccurredAt         time.Time `json:"occurred_at"`
		UpdatedAt          time.Time `json:"updated_at"`
		Fatalities         *int64    `json:"fatalities"`
		CivilianFatalities *int64    `json:"civilian_fatalities"`
		Title              string    `json:"title"`
		Type               string    `json:"type"`
		Country            string    `json:"country"`
		Status             string    `json:"status"`
	} `json:"properties"`
}

// seedTies stores n public events whose sort keys repeat a lot (so the id
// tie-break matters) and include unknown fatalities, plus one restricted
// event that must never show.
func seedTies(t *testing.T, db *store.DB, n int) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)
	types := []string{"raid", "clash", "airstrike"}
	statuses := []string{"reported", "confirmed"}
	titles := []string{"alpha", "beta", "gamma", "alpha"}
	fatal := []*int{nil, ptr(0), ptr(2), nil, ptr(1)}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := 0; i <= n; i++ {
			vis := "public"
			if i == n {
				vis = "restricted"
			}
			var civ *int
			if f := fatal[i%len(fatal)]; f != nil && i%2 == 0 {
				civ = ptr(min(*f, 1))
			}
			ev := &eventmap.Event{
				Type: types[i%len(types)], Title: titles[i%len(titles)],
				OccurredAt:    base.Add(time.Duration(i%4) * 24 * time.Hour),
				TimePrecision: "day", Geometry: orb.Point{36 + float64(i)/100, 33}, GeoPrecision: "exact",
				Place: fmt.Sprintf("p%02d", i), Country: []string{"SYR", "IRQ"}[i%2],
				Fatalities: fatal[i%len(fatal)], CivilianFatalities: civ,
				Status: statuses[i%len(statuses)], Visibility: vis,
			}
			rev := eventmap.Revision{Editor: "test", Reason: "fixture", RecordedAt: base.Add(time.Duration(i%3) * time.Hour)}
			if _, err := tx.CreateEvent(ctx, ev, rev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func ptr(n int) *int { return &n }

// list runs one ListEvents call and decodes what it streamed.
func list(t *testing.T, db *store.DB, f store.EventFilter, p store.Page) ([]row, store.ListResult) {
	t.Helper()
	var rows []row
	res, err := db.ListEvents(context.Background(), f, p, func(b []byte) error {
		var r row
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		t.Fatalf("ListEvents(%+v, sort %s): %v", f, p.Sort, err)
	}
	if res.Returned != len(rows) {
		t.Fatalf("Returned = %d, streamed %d", res.Returned, len(rows))
	}
	return rows, res
}

func ids(rows []row) string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.ID[len(r.ID)-4:]
	}
	return strings.Join(out, " ")
}

// compareBy orders two rows the way sortby promises, written
// independently of the SQL: NULLs last in both directions, then the id in
// the direction of the last key.
func compareBy(s store.Sort, a, b row) int {
	for _, k := range s {
		var c int
		switch k.Name {
		case "occurred_at":
			c = a.Properties.OccurredAt.Compare(b.Properties.OccurredAt)
		case "updated_at":
			c = a.Properties.UpdatedAt.Compare(b.Properties.UpdatedAt)
		case "title":
			c = cmp.Compare(a.Properties.Title, b.Properties.Title)
		case "type":
			c = cmp.Compare(a.Properties.Type, b.Properties.Type)
		case "country":
			c = cmp.Compare(a.Properties.Country, b.Properties.Country)
		case "status":
			c = cmp.Compare(a.Properties.Status, b.Properties.Status)
		case "fatalities", "civilian_fatalities":
			x, y := a.Properties.Fatalities, b.Properties.Fatalities
			if k.Name == "civilian_fatalities" {
				x, y = a.Properties.CivilianFatalities, b.Properties.CivilianFatalities
			}
			switch {
			case x == nil && y == nil:
			case x == nil:
				c = 1 // NULL last, whatever the direction
			case y == nil:
				c = -1
			default:
				c = cmp.Compare(*x, *y)
				if k.Desc {
					c = -c
				}
			}
			if c != 0 {
				return c
			}
			continue
		}
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	c := cmp.Compare(a.ID, b.ID)
	if s[len(s)-1].Desc {
		c = -c
	}
	return c
}

// Every sortby, walked page by page forwards with next cursors and back
// with prev cursors, yields exactly the rows of one unpaged query, in an
// order that matches the sort: nothing skipped or repeated at ties or
// NULLs.
func TestListEventsKeysetPagingEverySort(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t)
	const n = 23
	seedTies(t, db, n)

	sorts := []string{"", "occurred_at"}
	for _, k := range store.SortKeys() {
		sorts = append(sorts, k, "-"+k)
	}
	sorts = append(sorts, "+occurred_at,-fatalities", "-fatalities,title", "civilian_fatalities,-fatalities",
		"status,-civilian_fatalities,updated_at", "-type,country,-title")
	for _, sortby := range sorts {
		t.Run("sortby="+sortby, func(t *testing.T) {
			t.Parallel()
			var s store.Sort
			if sortby != "" {
				var err error
				if s, err = store.ParseSort(sortby); err != nil {
					t.Fatal(err)
				}
			}
			all, res := list(t, db, store.EventFilter{}, store.Page{Limit: 1000, Sort: s})
			if len(all) != n || res.Next != nil || res.Prev != nil {
				t.Fatalf("unpaged: %d rows (want %d), next %v, prev %v", len(all), n, res.Next, res.Prev)
			}
			eff := s
			if len(eff) == 0 {
				eff = store.DefaultSort
			}
			for i := 1; i < len(all); i++ {
				if compareBy(eff, all[i-1], all[i]) >= 0 {
					t.Fatalf("rows %d and %d are out of %s order: %+v then %+v", i-1, i, eff, all[i-1], all[i])
				}
			}

			// Forwards with next.
			var pages [][]row
			var cur *store.Cursor
			for {
				rows, res := list(t, db, store.EventFilter{}, store.Page{Limit: 4, Sort: s, Cursor: cur})
				pages = append(pages, rows)
				if len(pages) > 1 && res.Prev == nil {
					t.Errorf("page %d has no prev cursor", len(pages))
				}
				if res.Next == nil {
					break
				}
				if len(pages) > n {
					t.Fatal("next cursors never end")
				}
				// Through the token, as a client would send it back.
				c, err := store.DecodeCursor(res.Next.Encode(), s)
				if err != nil {
					t.Fatal(err)
				}
				cur = &c
			}
			var walked []row
			for _, p := range pages {
				walked = append(walked, p...)
			}
			if got, want := ids(walked), ids(all); got != want {
				t.Fatalf("next pages gave\n%s\nwant\n%s", got, want)
			}
			if want := (n + 3) / 4; len(pages) != want {
				t.Errorf("%d pages, want %d", len(pages), want)
			}

			// Back again with prev, from the last page.
			_, last := list(t, db, store.EventFilter{}, store.Page{Limit: 4, Sort: s, Cursor: cur})
			prev := last.Prev
			for i := len(pages) - 2; i >= 0; i-- {
				if prev == nil {
					t.Fatalf("no prev cursor before page %d", i+1)
				}
				c, err := store.DecodeCursor(prev.Encode(), s)
				if err != nil {
					t.Fatal(err)
				}
				rows, res := list(t, db, store.EventFilter{}, store.Page{Limit: 4, Sort: s, Cursor: &c})
				if got, want := ids(rows), ids(pages[i]); got != want {
					t.Fatalf("prev to page %d gave %s, want %s", i+1, got, want)
				}
				if res.Next == nil {
					t.Errorf("page %d reached by prev has no next cursor", i+1)
				}
				prev = res.Prev
			}
			if prev != nil {
				t.Errorf("the first page reached by prev still has a prev cursor")
			}
		})
	}
}

// numberMatched counts exactly what the filter selects, never restricted
// events for callers who cannot see them, and is left out above the cap.
func TestListEventsCount(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t)
	const n = 23
	seedTies(t, db, n)

	matched := func(f store.EventFilter, p store.Page) *int64 {
		_, res := list(t, db, f, p)
		return res.Matched
	}
	if got := matched(store.EventFilter{}, store.Page{Limit: 2, CountLimit: 1000}); got == nil || *got != n {
		t.Errorf("public count = %v, want %d", got, n)
	}
	if got := matched(store.EventFilter{IncludeRestricted: true}, store.Page{Limit: 2, CountLimit: 1000}); got == nil || *got != n+1 {
		t.Errorf("count with restricted = %v, want %d", got, n+1)
	}
	if got := matched(store.EventFilter{Types: []string{"raid"}}, store.Page{Limit: 2, CountLimit: 1000}); got == nil || *got != 8 {
		t.Errorf("raid count = %v, want 8", got)
	}
	if got := matched(store.EventFilter{}, store.Page{Limit: 2, CountLimit: n}); got == nil || *got != n {
		t.Errorf("count at exactly the cap = %v, want %d", got, n)
	}
	// The cap stops a count of events; the map aggregates answer the
	// filters they hold exactly, whatever the number.
	if got := matched(store.EventFilter{}, store.Page{Limit: 2, CountLimit: n - 1}); got == nil || *got != n {
		t.Errorf("count from the aggregates above the cap = %v, want %d", got, n)
	}
	both := []string{"SYR", "IRQ"}
	if got := matched(store.EventFilter{Countries: both}, store.Page{Limit: 2, CountLimit: n}); got == nil || *got != n {
		t.Errorf("counted at exactly the cap = %v, want %d", got, n)
	}
	if got := matched(store.EventFilter{Countries: both}, store.Page{Limit: 2, CountLimit: n - 1}); got != nil {
		t.Errorf("counted above the cap = %d, want none", *got)
	}
	if got := matched(store.EventFilter{}, store.Page{Limit: 2}); got != nil {
		t.Errorf("count without CountLimit = %d, want none", *got)
	}
}

// A client paging through every event (GDAL, QGIS) gets the same exact
// numberMatched on every page, counted once; a write between pages is
// counted again, and a token holder's count (restricted events included)
// is not reused by an anonymous reader following the same link.
func TestListEventsCountCarriedByCursor(t *testing.T) {
	db := testdb.Open(t)
	const n = 23
	seedTies(t, db, n)
	page := store.Page{Limit: 5, CountLimit: 1000}

	before := db.CountQueries()
	var pages int
	for p := page; ; pages++ {
		_, res := list(t, db, store.EventFilter{}, p)
		if res.Matched == nil || *res.Matched != n {
			t.Fatalf("page %d: numberMatched %v, want %d", pages, res.Matched, n)
		}
		if res.Next == nil {
			break
		}
		p.Cursor = res.Next
	}
	if got := db.CountQueries() - before; got != 1 {
		t.Errorf("a walk of %d pages counted %d times, want once", pages+1, got)
	}

	_, first := list(t, db, store.EventFilter{IncludeRestricted: true}, page)
	if *first.Matched != n+1 {
		t.Fatalf("token holder's count %d, want %d", *first.Matched, n+1)
	}
	anon := page
	anon.Cursor = first.Next
	if _, res := list(t, db, store.EventFilter{}, anon); res.Matched == nil || *res.Matched != n {
		t.Errorf("anonymous reader on a token holder's link: numberMatched %v, want %d", res.Matched, n)
	}

	_, res := list(t, db, store.EventFilter{}, page)
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.CreateEvent(context.Background(), &eventmap.Event{Type: "raid", Title: "late", OccurredAt: time.Now(),
			TimePrecision: "day", Geometry: orb.Point{36, 33}, GeoPrecision: "exact", Country: "SYR", Status: "reported", Visibility: "public"},
			eventmap.Revision{Editor: "test", Reason: "between pages"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	next := page
	next.Cursor = res.Next
	if _, res := list(t, db, store.EventFilter{}, next); res.Matched == nil || *res.Matched != n+1 {
		t.Errorf("after a write between pages: numberMatched %v, want %d", res.Matched, n+1)
	}
}

// A first page asked again (a map's list, many readers of one link) is
// counted once per version of the data: the second asking reads the
// count kept for that version, a write makes the next one count again,
// and a count over one cap is not taken for a count under another.
func TestListEventsCountKeptPerVersion(t *testing.T) {
	db := testdb.Open(t)
	const n = 23
	seedTies(t, db, n)
	box := store.EventFilter{Countries: []string{"SYR", "IRQ"}} // counted event by event
	page := store.Page{Limit: 5, CountLimit: 1000}
	before := db.CountQueries()
	for range 3 {
		if _, res := list(t, db, box, page); res.Matched == nil || *res.Matched != n {
			t.Fatalf("numberMatched %v, want %d", res.Matched, n)
		}
	}
	if got := db.CountQueries() - before; got != 1 {
		t.Errorf("the same first page three times counted %d times, want once", got)
	}
	capped := page
	capped.CountLimit = n - 1
	if _, res := list(t, db, box, capped); res.Matched != nil {
		t.Errorf("under a cap of %d: numberMatched %d, want none", n-1, *res.Matched)
	}
	if _, res := list(t, db, box, page); res.Matched == nil || *res.Matched != n {
		t.Errorf("after a capped count: numberMatched %v, want %d", res.Matched, n)
	}

	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.CreateEvent(context.Background(), &eventmap.Event{Type: "raid", Title: "late", OccurredAt: time.Now(),
			TimePrecision: "day", Geometry: orb.Point{36, 33}, GeoPrecision: "exact", Country: "SYR", Status: "reported", Visibility: "public"},
			eventmap.Revision{Editor: "test", Reason: "between two askings"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	before = db.CountQueries()
	if _, res := list(t, db, box, page); res.Matched == nil || *res.Matched != n+1 {
		t.Errorf("after a write: numberMatched %v, want %d", res.Matched, n+1)
	}
	if got := db.CountQueries() - before; got != 1 {
		t.Errorf("after a write the page counted %d times, want once", got)
	}
}

// The collections' extents, kept per version of the data, follow a write:
// an area far from the others widens both the events and the areas
// extents, and a restricted one only a token holder's.
func TestEventExtentsFollowWrites(t *testing.T) {
	db := testdb.Open(t)
	seedTies(t, db, 5)
	ctx := context.Background()
	all, areas, err := db.EventExtents(ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if all.BBox == nil || areas.BBox != nil {
		t.Fatalf("before: events extent %v, areas extent %v; want a box and none", all.BBox, areas.BBox)
	}
	add := func(visibility string) {
		t.Helper()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.CreateEvent(ctx, &eventmap.Event{Type: "raid", Title: "far area", OccurredAt: time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC),
				TimePrecision: "day", Geometry: orb.Polygon{{{50, 10}, {51, 10}, {51, 11}, {50, 10}}}, GeoPrecision: "exact",
				Country: "YEM", Status: "reported", Visibility: visibility},
				eventmap.Revision{Editor: "test", Reason: "extent"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	add("restricted")
	all2, areas2, err := db.EventExtents(ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if *all2.BBox != *all.BBox || areas2.BBox != nil {
		t.Errorf("anonymous extents after a restricted area: %v and %v, want %v and none", *all2.BBox, areas2.BBox, *all.BBox)
	}
	if held, heldAreas, err := db.EventExtents(ctx, store.EventFilter{IncludeRestricted: true}); err != nil {
		t.Fatal(err)
	} else if held.BBox[2] != 51 || heldAreas.BBox == nil || *heldAreas.BBox != [4]float64{50, 10, 51, 11} {
		t.Errorf("token holder's extents %v and %v, want east 51 and the area's box", held.BBox, heldAreas.BBox)
	}
	add("public")
	all3, areas3, err := db.EventExtents(ctx, store.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if all3.BBox[2] != 51 || all3.BBox[3] < 11 || !all3.End.Equal(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("events extent after a public area: %v to %v, want east 51, north 11, ending 2031-01-01", *all3.BBox, all3.End)
	}
	if areas3.BBox == nil || *areas3.BBox != [4]float64{50, 10, 51, 11} || !areas3.Start.Equal(*areas3.End) {
		t.Errorf("areas extent after a public area: %v, %v-%v; want the area's box and its one time", areas3.BBox, areas3.Start, areas3.End)
	}
}

func TestListEventsUnknownRegion(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t)
	_, err := db.ListEvents(context.Background(), store.EventFilter{Region: "atlantis"}, store.Page{Limit: 1}, func([]byte) error { return nil })
	var e *eventmap.Error
	if !errors.As(err, &e) || e.Code != eventmap.EINVALID || e.Errors[0].Field != "region" {
		t.Fatalf("err = %v, want invalid region", err)
	}
}
