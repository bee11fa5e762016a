package store

// SummaryScans reports whether ClusterEvents and EventHistogram answer f
// by reading the events it selects (their fallback path, under the raw
// summary guard) rather than from the map aggregate tables, whose cost
// does not grow with the events. api's load shedding counts a scanning
// summary as an expensive request, and only that.
func SummaryScans(f EventFilter) bool {
	_, blocker := f.aggregateSource()
	return blocker != ""
}
