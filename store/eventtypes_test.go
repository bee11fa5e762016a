package store_test

import (
	"context"
	"slices"
	"testing"

	"eventmap"
	"eventmap/internal/testdb"
	"eventmap/store"
)

// The table's types are the ones the code checks writes against, each
// with a label for people.
func TestEventTypes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{URL: testdb.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	types, err := db.EventTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, et := range types {
		codes = append(codes, et.Code)
		if et.Label == "" {
			t.Errorf("type %s has no label", et.Code)
		}
	}
	if want := slices.Sorted(slices.Values(eventmap.EventTypes)); !slices.Equal(codes, want) {
		t.Errorf("types %v, want %v", codes, want)
	}
	if i := slices.IndexFunc(types, func(et store.EventType) bool { return et.Code == "cache_destruction" }); i < 0 || types[i].Label != "Weapons cache destroyed" {
		t.Errorf("cache_destruction is not labelled: %+v", types)
	}
}
