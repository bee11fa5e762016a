package store

// SummaryScans reports whether a summary of f ("clusters" at zoom, or
// "histogram" per interval) is answered by reading every event it selects
// (the fallback path, under the raw summary guard) rather than from the
// map aggregate tables, whose cost does not grow with the events (a range
// that cuts months reads the events of its cut ends too, at most a month
// of them at each). api's load shedding counts a scanning summary as an
// expensive request, and only that. It is the choice ClusterEvents and
// EventHistogram make; any other summary is asked as a count of f.
func SummaryScans(summary string, f EventFilter, zoom int, interval string) bool {
	var blocker string
	switch summary {
	case "clusters":
		_, blocker = clustersSource(f, zoom)
	case "histogram":
		_, blocker = histogramSource(f, interval)
	default:
		_, blocker = f.aggregateSource()
	}
	return blocker != ""
}
