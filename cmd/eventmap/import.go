package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"eventmap/config"
	"eventmap/exchange"
	"eventmap/store"
	"eventmap/transfer"
)

const importUsage = `usage: eventmap import [flags] FILE...

Imports ACLED-style CSV, GeoJSON FeatureCollections and NDJSON / GeoJSON
text sequences (one Feature per line). Each file is one transaction: by
default a single rejected row means nothing of that file is imported.
Re-importing a file updates the events it imported before (matched by
event_id_cnty / external_id, or by id) instead of adding copies.

flags:
  --format csv|geojson|ndjson   the files' format (default: from the name, else the content)
  --dry-run                     check and count everything, write nothing
  --skip-invalid                import the valid rows when some are rejected
  --report FILE                 also write the report as JSON to FILE ("-": stdout)
  --editor NAME                 who the revisions name (default: user@host)
  --timings                     print each step of the import and its time to stderr
  --exclusive                   for loading a database, not for a live one: the import
                                takes the event tables for itself until it commits
                                (readers and writers wait), sets their indexes and foreign
                                keys aside and builds them again once: several times faster
                                for a large file into a small database
  -- plus the database flags of "eventmap import -h"`

// importCmd imports files, one transaction each, and prints a report per
// file. It fails (exit 1) when any file was refused.
func importCmd(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("eventmap import", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	format := fs.String("format", "", "csv, geojson or ndjson (default: guessed per file)")
	dryRun := fs.Bool("dry-run", false, "check and count, write nothing")
	skip := fs.Bool("skip-invalid", false, "import the valid rows when some are rejected")
	reportPath := fs.String("report", "", "write the JSON report to this file (- for stdout)")
	editor := fs.String("editor", defaultEditor(), "editor named in the revisions")
	timings := fs.Bool("timings", false, "print each step of the import and its time to stderr")
	exclusive := fs.Bool("exclusive", false, "take the event tables until the import commits (loading a database: readers wait)")
	cfgArgs, own := splitArgs(args, fs)
	cfg, _, err := config.Load("import", cfgArgs, e.lookupEnv, e.stderr)
	if err != nil {
		return err
	}
	if err := fs.Parse(own); err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		fmt.Fprintln(e.stderr, importUsage)
		return errors.New("import: name at least one file")
	}
	var f exchange.Format
	if *format != "" {
		if f, err = exchange.ParseFormat(*format); err != nil {
			return fmt.Errorf("import: --format: %w", err)
		}
	}
	db, err := openMigrated(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer db.Close()

	var reports []*exchange.Report
	failed := 0
	for _, path := range files {
		rep, err := importOne(ctx, e, path, transfer.ImportRequest{
			Name: filepath.Base(path), Format: f, Editor: *editor, DryRun: *dryRun, SkipInvalid: *skip,
			Exclusive: *exclusive, OnStep: stepPrinter(e.stderr, *timings),
		}, db)
		if rep != nil {
			rep.WriteText(e.stdout)
			reports = append(reports, rep)
		}
		if err != nil {
			failed++
			if rep == nil || rep.Error == "" {
				fmt.Fprintf(e.stderr, "eventmap import %s: %v\n", path, err)
			}
		}
	}
	if *reportPath != "" {
		if err := writeReports(*reportPath, e.stdout, reports); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("import: %d of %d file(s) not imported", failed, len(files))
	}
	return nil
}

func importOne(ctx context.Context, e env, path string, req transfer.ImportRequest, db *store.DB) (*exchange.Report, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	var size int64 = -1
	if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	r, done := progress(e.stderr, "importing "+req.Name, size, true)
	defer done()
	return transfer.ImportFile(ctx, db, readerFunc(func(p []byte) (int, error) {
		n, err := file.Read(p)
		r(int64(n))
		return n, err
	}), req)
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func writeReports(path string, stdout io.Writer, reports []*exchange.Report) error {
	w := stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if len(reports) == 1 {
		return reports[0].WriteJSON(w)
	}
	io.WriteString(w, "[\n")
	for i, r := range reports {
		if i > 0 {
			io.WriteString(w, ",\n")
		}
		if err := r.WriteJSON(w); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]\n")
	return err
}

func defaultEditor() string {
	name := "cli"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil {
		name += "@" + h
	}
	return name + " (eventmap import)"
}

// progress reports work done to w: a bar with rate and ETA when w is a
// terminal, a log line every few seconds otherwise (CI logs, cron mail).
// total < 0 means unknown. It returns the function to report each step
// and the one to call at the end.
func progress(w io.Writer, what string, total int64, bytes bool) (step func(int64), done func()) {
	if isTerminal(w) {
		opts := []progressbar.Option{
			progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionShowIts(),
			progressbar.OptionThrottle(100 * time.Millisecond), progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }), progressbar.OptionFullWidth(),
		}
		if bytes {
			opts = append(opts, progressbar.OptionShowBytes(true))
		} else {
			opts = append(opts, progressbar.OptionSetItsString("events"))
		}
		bar := progressbar.NewOptions64(total, opts...)
		return func(n int64) { _ = bar.Add64(n) }, func() { _ = bar.Finish() }
	}
	start := time.Now()
	last := start
	var sum int64
	unit := "events"
	if bytes {
		unit = "bytes"
	}
	return func(n int64) {
			sum += n
			if now := time.Now(); now.Sub(last) >= 5*time.Second {
				last = now
				rate := float64(sum) / now.Sub(start).Seconds()
				line := fmt.Sprintf("%s: %d %s, %.0f %s/s", what, sum, unit, rate, unit)
				if total > 0 && rate > 0 {
					line += fmt.Sprintf(", %.0f%%, ETA %s", 100*float64(sum)/float64(total),
						(time.Duration(float64(total-sum)/rate) * time.Second).Round(time.Second))
				}
				fmt.Fprintln(w, line)
			}
		}, func() {
			fmt.Fprintf(w, "%s: %d %s in %s\n", what, sum, unit, time.Since(start).Round(time.Millisecond))
		}
}

// isTerminal says whether w is a terminal someone watches, which is when
// progress draws a bar.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// splitArgs separates a subcommand's own flags (those fs defines) from
// the configuration flags config.Load reads, so both can be given in any
// order, before or after the file names. Own flags come back first, then
// the positional arguments.
func splitArgs(args []string, fs *flag.FlagSet) (cfg, own []string) {
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		fl := fs.Lookup(name)
		if fl == nil {
			cfg = append(cfg, a)
			if !hasValue && i+1 < len(args) && !isBoolFlag(name) {
				i++
				cfg = append(cfg, args[i])
			}
			continue
		}
		own = append(own, a)
		if bf, ok := fl.Value.(interface{ IsBoolFlag() bool }); (!ok || !bf.IsBoolFlag()) && !hasValue && i+1 < len(args) {
			i++
			own = append(own, args[i])
		}
	}
	if len(positional) > 0 {
		own = append(own, "--")
		own = append(own, positional...)
	}
	return cfg, own
}

// isBoolFlag: the configuration has no boolean flags, but -h takes no value.
func isBoolFlag(name string) bool { return name == "h" || name == "help" }

// stepPrinter prints each step of an import and its time, when on.
func stepPrinter(w io.Writer, on bool) func(string, time.Duration) {
	if !on {
		return nil
	}
	return func(step string, took time.Duration) {
		fmt.Fprintf(w, "  %-24s %8.2f s\n", step, took.Seconds())
	}
}
