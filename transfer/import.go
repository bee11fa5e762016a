// Package transfer is the import and export flow: files read by exchange
// go into the database through store, and events streamed out of store
// are written by exchange. `eventmap import`/`export` and
// POST /collections/events/import call it, so a file behaves the same
// whichever way it comes; it knows no HTTP and no terminal.
package transfer

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"eventmap"
	"eventmap/exchange"
	"eventmap/store"
)

// ImportRequest is one file to import.
type ImportRequest struct {
	// Name is the file's name: the reason of every revision the import
	// writes, and a hint to the format.
	Name string
	// Format is the file's format; empty: guessed from Name, else from
	// the first bytes.
	Format      exchange.Format
	Editor      string
	DryRun      bool
	SkipInvalid bool
	// Exclusive loads a database rather than feeding a live one
	// (store.ImportOptions.Exclusive): readers wait until it commits.
	Exclusive bool
	// OnRow, if set, is called for each row read from the file, as the
	// import goes (the server's import progress metric).
	OnRow func()
	// OnStep, if set, is told each step of the import as it finishes
	// and how long it took (store.ImportOptions.Step).
	OnStep func(step string, took time.Duration)
}

// ImportFile reads one file and imports its events: the one import path
// behind `eventmap import` and POST /collections/events/import. The
// report is filled whatever happens; the error is the file's refusal
// (a broken file, or rejected rows without SkipInvalid) or a failure.
func ImportFile(ctx context.Context, db *store.DB, r io.Reader, req ImportRequest) (*exchange.Report, error) {
	started := time.Now()
	br := bufio.NewReaderSize(r, 64<<10)
	if req.Format == "" {
		req.Format = exchange.Detect(req.Name, br)
	}
	rep := &exchange.Report{File: req.Name, Format: req.Format, DryRun: req.DryRun, SkipInvalid: req.SkipInvalid, Unit: "line"}
	rd, err := exchange.NewReader(br, req.Format)
	if err != nil {
		rep.Error = err.Error()
		return rep, err
	}
	rep.Unit = rd.Unit()
	next := func() (eventmap.Row, error) {
		row, err := rd.Next()
		if err == nil && req.OnRow != nil {
			req.OnRow()
		}
		for i, fe := range row.Errors {
			row.Errors[i].Field = exchange.FieldName(req.Format, fe.Field)
		}
		return row, err
	}
	res, err := db.Import(ctx, next, store.ImportOptions{
		Editor: req.Editor, Reason: "import of " + req.Name, DryRun: req.DryRun, SkipInvalid: req.SkipInvalid,
		Exclusive: req.Exclusive, Step: req.OnStep,
	})
	rep.ImportResult = res
	// The rules store checks itself (PostGIS validity, repeated ids) name
	// the event's fields; the report names them as the file does.
	for i, e := range rep.Errors {
		rep.Errors[i].Field = exchange.FieldName(req.Format, e.Field)
	}
	rep.Seconds = time.Since(started).Seconds()
	if err != nil {
		var e *eventmap.Error
		if errors.As(err, &e) && e.Code == eventmap.EUNPROCESSABLE {
			// Rows were named with their file's field names above; the
			// refusal names them the same way.
			e.Errors = e.Errors[:0]
			for _, re := range rep.Errors {
				if len(e.Errors) == 100 {
					break
				}
				e.Errors = append(e.Errors, eventmap.FieldError{Field: rep.Unit + " " + strconv.Itoa(re.Line) + ": " + re.Field, Rule: re.Rule})
			}
		}
		if e != nil {
			rep.Error = e.Detail
		} else {
			rep.Error = err.Error()
		}
	}
	return rep, err
}
