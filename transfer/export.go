package transfer

import (
	"context"
	"io"

	"eventmap/exchange"
	"eventmap/store"
)

// ExportOptions says how to export.
type ExportOptions struct {
	Format exchange.Format
	// Query (the selection, as the caller's user gave it) and Source
	// (where from) go into the citation.
	Query, Source string
	// Count counts the selected events before streaming them, so Progress
	// gets a total: a second pass over the selection, worth it only for a
	// progress bar someone watches. A GeoJSON export counts in any case,
	// since its citation comes before its Features.
	Count bool
	// Progress, if set, is started once, before the first event, with the
	// number of events to come (-1 when they were not counted), and
	// returns the function to call per event written and the one to call
	// at the end.
	Progress func(total int64) (step func(int64), done func())
}

// Export writes every event f selects to w in o.Format, newest first,
// streamed in constant memory from one snapshot of the database: the one
// export path behind `eventmap export`. It returns the citation of what
// it wrote: Events is the number of events written, which the snapshot
// makes equal to any count taken before. A CSV or NDJSON file has no place
// for the citation, so the caller puts it beside the file.
func Export(ctx context.Context, db *store.DB, f store.EventFilter, w io.Writer, o ExportOptions) (exchange.Citation, error) {
	cite := exchange.Citation{Query: o.Query, Source: o.Source}
	var out exchange.Writer
	step, done := func(int64) {}, func() {}
	var n int64
	count := o.Count || o.Format == exchange.GeoJSON
	err := db.ExportEvents(ctx, f, count, func(info store.ExportInfo) error {
		cite.DatasetVersion, cite.ExportedAt, cite.Events = info.DatasetVersion, info.ExportedAt, info.Events
		if o.Progress != nil {
			total := int64(-1)
			if count {
				total = info.Events
			}
			step, done = o.Progress(total)
		}
		var err error
		out, err = exchange.NewWriter(w, o.Format, cite)
		return err
	}, func(feature []byte) error {
		n++
		step(1)
		return out.Write(feature)
	})
	done()
	cite.Events = n
	if err != nil {
		return cite, err
	}
	return cite, out.Close()
}
