package store_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"eventmap"
	"eventmap/geo"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// randomEvent is an event with random facts, actors and sources drawn
// from small pools, so events share actors and source URLs.
func randomServedEvent(r *rand.Rand, i int) *eventmap.Event {
	ev := &eventmap.Event{
		Type:          eventmap.EventTypes[r.IntN(len(eventmap.EventTypes))],
		Title:         fmt.Sprintf("event %d", i),
		Summary:       []string{"", "a summary", "another \"quoted\" one"}[r.IntN(3)],
		OccurredAt:    time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(300*24)) * time.Hour),
		TimePrecision: eventmap.TimePrecisions[r.IntN(len(eventmap.TimePrecisions))],
		Geometry:      orb.Point{36 + r.Float64()*4, 32 + r.Float64()*4},
		GeoPrecision:  eventmap.GeoPrecisions[r.IntN(len(eventmap.GeoPrecisions))],
		Place:         []string{"", "Dumayr", "Homs"}[r.IntN(3)],
		Country:       []string{"SYR", "IRQ"}[r.IntN(2)],
		Status:        eventmap.Statuses[r.IntN(len(eventmap.Statuses))],
		Visibility:    []string{"public", "public", "restricted"}[r.IntN(3)],
		Tags:          []string{"t" + fmt.Sprint(r.IntN(3))},
	}
	if r.IntN(2) == 0 {
		n := r.IntN(5)
		ev.Fatalities = &n
	}
	if r.IntN(3) == 0 {
		ev.Geometry = orb.Polygon{{{36, 32}, {36.5, 32}, {36.5, 32.5}, {36, 32}}}
	}
	for j := range r.IntN(3) {
		ev.Actors = append(ev.Actors, eventmap.EventActor{Name: fmt.Sprintf("actor %d", r.IntN(4)+j*10), Role: eventmap.ActorRoles[r.IntN(len(eventmap.ActorRoles))]})
	}
	for range r.IntN(3) {
		// Shared URLs whose publisher and title change from write to
		// write: the documents of every event citing them must follow.
		ev.Sources = append(ev.Sources, eventmap.EventSource{
			URL:       fmt.Sprintf("https://example.org/report/%d", r.IntN(5)),
			Publisher: []string{"", "Agency A", "Agency B"}[r.IntN(3)],
			Title:     []string{"", "first title", "second title"}[r.IntN(3)],
		})
	}
	return ev
}

// The stored Feature of every event equals the one assembled from its
// rows, and its stored CSV line the one built from them, after random
// creates, replacements, link and source changes, deletes, imports and
// re-imports: what reads and exports serve is never stale.
func TestServedFeaturesStayCurrent(t *testing.T) {
	db := testdb.Open(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 13))
	type live struct {
		id      string
		version int64
	}
	var events []live
	check := func(step string) {
		t.Helper()
		stale, missing, err := db.StaleServedFeatures(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stale != 0 || missing != 0 {
			t.Fatalf("after %s: %d stored Feature(s) differ from their rows, %d missing", step, stale, missing)
		}
		if stale, missing, err = db.StaleCSVLines(ctx); err != nil {
			t.Fatal(err)
		}
		if stale != 0 || missing != 0 {
			t.Fatalf("after %s: %d stored CSV line(s) differ from their rows, %d points have none", step, stale, missing)
		}
	}
	rev := eventmap.Revision{Editor: "test", Reason: "random write"}
	for i := range 120 {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			switch op := r.IntN(10); {
			case op < 5 || len(events) == 0:
				w, err := tx.CreateEvent(ctx, randomServedEvent(r, i), rev)
				events = append(events, live{w.ID, w.Version})
				return err
			case op < 9:
				k := r.IntN(len(events))
				ev := randomServedEvent(r, i)
				ev.ID = events[k].id
				w, err := tx.UpdateEvent(ctx, ev, events[k].version, rev)
				events[k].version = w.Version
				return err
			default:
				k := r.IntN(len(events))
				_, err := tx.DeleteEvent(ctx, events[k].id, events[k].version, rev)
				events = append(events[:k], events[k+1:]...)
				return err
			}
		})
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	check("random writes")

	// An import that creates events and changes existing ones, sources
	// included, then the same file again (nothing changes).
	var rows []eventmap.Row
	for i := range 40 {
		ev := randomServedEvent(r, 1000+i)
		if i%2 == 0 && i/2 < len(events) {
			ev.ID = events[i/2].id
		}
		ev.ExternalID = fmt.Sprintf("EXT%d", i)
		rows = append(rows, eventmap.Row{Line: i + 2, Event: ev})
	}
	for _, pass := range []string{"import", "re-import"} {
		k := 0
		res, err := db.Import(ctx, func() (eventmap.Row, error) {
			if k == len(rows) {
				return eventmap.Row{}, io.EOF
			}
			k++
			return rows[k-1], nil
		}, store.ImportOptions{Editor: "test", Reason: pass})
		if err != nil {
			t.Fatalf("%s: %v", pass, err)
		}
		if pass == "re-import" && (res.Created != 0 || res.Updated != 0) {
			t.Errorf("re-import of the same rows: %+v, want nothing changed", res)
		}
		check(pass)
	}

	// A release that changes the document's shape rebuilds every one.
	if err := db.ForgetShapeForTest(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := db.RefreshServedFeatures(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("a changed shape rebuilt no document")
	}
	check("rebuild")

	// A release that changes the CSV columns builds every line again.
	if err := db.ForgetCSVLinesForTest(ctx); err != nil {
		t.Fatal(err)
	}
	if stale, _, err := db.StaleCSVLines(ctx); err != nil || stale == 0 {
		t.Fatalf("no line made stale (%v)", err)
	}
	if n, err := db.RefreshServedFeatures(ctx, nil); err != nil || n == 0 {
		t.Fatalf("changed CSV lines: rebuilt %d (%v)", n, err)
	}
	check("rebuild of the CSV lines")

	// Other CRSs re-render only the geometry of the stored document.
	for _, crs := range []geo.CRS{geo.CRS84, geo.EPSG4326, geo.EPSG3857} {
		for _, e := range events[:5] {
			served, built, err := db.ServedAndBuiltFeature(ctx, e.id, crs)
			if err != nil {
				t.Fatal(err)
			}
			if served != built {
				t.Errorf("%s in %s:\nserved %s\nbuilt  %s", e.id, crs.URI, served, built)
			}
		}
	}
}
