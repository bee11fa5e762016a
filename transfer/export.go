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
	// returns the function to call per batch of events written and the
	// one to call at the end.
	Progress func(total int64) (step func(int64), done func())
	// Start, if set, is called with the citation (events not yet known)
	// before the first byte is written: an HTTP answer sets its headers.
	Start func(exchange.Citation)
	// Batch is how many events the database joins into one chunk; 0 for
	// store's default (tests make it small to cross many chunks).
	Batch int
}

// Export writes every event f selects to w in o.Format, newest first,
// streamed in constant memory from one snapshot of the database: the one
// export path behind `eventmap export` and the API's download. The
// database joins each batch of rows in the file's format (store's
// ExportEvents), so this copies chunks. It returns the citation of what
// it wrote: Events is the number of events written, which the snapshot
// makes equal to any count taken before. A CSV or NDJSON file has no place
// for the citation, so the caller puts it beside the file.
func Export(ctx context.Context, db *store.DB, f store.EventFilter, w io.Writer, o ExportOptions) (exchange.Citation, error) {
	cite := exchange.Citation{Query: o.Query, Source: o.Source}
	var out exchange.RowsWriter
	var csv *exchange.CSVWriter
	step, done := func(int64) {}, func() {}
	var n int64
	count := o.Count || o.Format == exchange.GeoJSON
	so := store.ExportOptions{Count: count, CSV: o.Format == exchange.CSV, Sep: exchange.RowSeparator(o.Format), Batch: o.Batch}
	err := db.ExportEvents(ctx, f, so, func(info store.ExportInfo) error {
		cite.DatasetVersion, cite.ExportedAt, cite.Events = info.DatasetVersion, info.ExportedAt, info.Events
		if o.Progress != nil {
			total := int64(-1)
			if count {
				total = info.Events
			}
			step, done = o.Progress(total)
		}
		if o.Start != nil {
			o.Start(cite)
		}
		wr, err := exchange.NewWriter(w, o.Format, cite)
		if err != nil {
			return err
		}
		out = wr.(exchange.RowsWriter)
		csv = exchange.CSVOf(wr)
		return nil
	}, func(c store.ExportChunk) error {
		n += int64(c.Rows)
		step(int64(c.Rows))
		if len(c.Holes) == 0 {
			return out.WriteRows(c.Text, c.Rows)
		}
		// Rows SQL left for Go (store/exportcsv.go): written from their
		// Features between the lines around them.
		at := 0
		for _, h := range c.Holes {
			if h.Offset > at {
				if err := csv.WriteRows(c.Text[at:h.Offset], 0); err != nil {
					return err
				}
				at = h.Offset
			}
			if err := csv.Write(h.Feature); err != nil {
				return err
			}
		}
		if at < len(c.Text) {
			return csv.WriteRows(c.Text[at:], 0)
		}
		return nil
	})
	done()
	cite.Events = n
	if err != nil {
		return cite, err
	}
	if out == nil {
		return cite, nil
	}
	return cite, out.Close()
}
