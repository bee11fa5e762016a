package store

import "testing"

// The map's precomputed counts hold every event by its point: they answer
// for events and events-points, never for events-areas, whose crowded
// tiles must count areas alone.
func TestAggregatesAnswerOnlyShapesTheyCount(t *testing.T) {
	for shape, want := range map[Shape]string{AsStored: "", AsPoint: "", AreasOnly: "collectionId"} {
		if got := (EventFilter{Shape: shape}).aggregateBlocker(); got != want {
			t.Errorf("shape %d: blocker %q, want %q", shape, got, want)
		}
	}
}
