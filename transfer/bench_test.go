package transfer_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"eventmap/exchange"
	"eventmap/internal/testdb"
	"eventmap/store"
	"eventmap/transfer"
)

// syntheticACLED streams n ACLED rows, generated as they are read, so a
// file of any size costs no memory to make.
func syntheticACLED(n int) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := csv.NewWriter(pw)
		_ = w.Write(exchange.ACLEDColumns)
		types := [][2]string{{"Battles", "Armed clash"}, {"Explosions/Remote violence", "Air/drone strike"},
			{"Strategic developments", "Disrupted weapons use"}, {"Violence against civilians", "Attack"}}
		day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := 0; i < n; i++ {
			t := types[i%len(types)]
			d := day.AddDate(0, 0, i%2000)
			fat := strconv.Itoa(i % 7)
			if i%5 == 0 {
				fat = ""
			}
			_ = w.Write([]string{
				"SYN" + strconv.Itoa(i), d.Format("2006-01-02"), strconv.Itoa(d.Year()), strconv.Itoa(1 + i%3),
				"Political violence", t[0], t[1], "Actor " + strconv.Itoa(i%300), "Partner " + strconv.Itoa(i%50), "2",
				"Target " + strconv.Itoa(i%200), "", "8", "28", "", "760", "Middle East", "Syria", "Homs", "", "",
				"Place " + strconv.Itoa(i%1000), fmt.Sprintf("%.4f", 32.5+float64(i%3000)/1000), fmt.Sprintf("%.4f", 36+float64(i%4000)/1000),
				strconv.Itoa(1 + i%3), "SOHR; SANA", "National", "Synthetic event number " + strconv.Itoa(i) + ", for benchmarks.",
				fat, "", "1760900000",
			})
		}
		w.Flush()
		pw.CloseWithError(w.Error())
	}()
	return pr
}

func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("EVENTMAP_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// BenchmarkImport measures events/s through the whole import (CSV parse,
// the API's rules per row, COPY, set-based upsert, actors, sources,
// revisions, commit) into an empty database. Goal: 50 k events/s.
func BenchmarkImport(b *testing.B) {
	n := benchEvents()
	for b.Loop() {
		b.StopTimer()
		db := testdb.Open(b)
		b.StartTimer()
		rep, err := transfer.ImportFile(context.Background(), db, syntheticACLED(n), transfer.ImportRequest{Name: "bench.csv", Format: exchange.CSV, Editor: "bench"})
		if err != nil || rep.Created != n {
			b.Fatalf("import: %v %+v", err, rep)
		}
		b.ReportMetric(float64(n)/rep.Seconds, "events/s")
	}
}

// BenchmarkExport runs `eventmap export` as a separate process over n
// imported events and reports features/s and the process's peak RSS for
// each format. Goal: 100 k features/s, RSS < 100 MB at 1 M events
// (EVENTMAP_BENCH_EVENTS=1000000).
func BenchmarkExport(b *testing.B) {
	n := benchEvents()
	url := testdb.New(b)
	db, err := store.Open(context.Background(), store.Options{URL: url})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if rep, err := transfer.ImportFile(context.Background(), db, syntheticACLED(n), transfer.ImportRequest{Name: "bench.csv", Format: exchange.CSV, Editor: "bench"}); err != nil {
		b.Fatalf("load: %v %+v", err, rep)
	}
	bin := filepath.Join(b.TempDir(), "eventmap")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/eventmap").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	for _, f := range exchange.Formats {
		b.Run(string(f), func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command(bin, "export", "--format", string(f), "--output", "/dev/null")
				cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "EVENTMAP_LOG_LEVEL=warn")
				start := time.Now()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("export: %v\n%s", err, out)
				}
				secs := time.Since(start).Seconds()
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				b.ReportMetric(float64(n)/secs, "features/s")
				b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
			}
		})
	}
}
