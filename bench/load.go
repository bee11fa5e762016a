package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"eventmap/demo"
)

// box is a bbox: west, south, east, north.
type box [4]float64

func (b box) param() string {
	return fmt.Sprintf("%.4f,%.4f,%.4f,%.4f", b[0], b[1], b[2], b[3])
}

// boxes draws city-sized boxes: around a town picked at random, moved by
// up to jitter degrees, half a side of half degrees. A new box every
// request means no cache (ours or PostgreSQL's result of one query)
// answers twice.
type boxes struct {
	towns        []demo.SyntheticBox
	half, jitter float64
	mu           sync.Mutex
	r            *rand.Rand
}

func newBoxes(half float64, minShare float64, seed uint64) *boxes {
	b := &boxes{half: half, jitter: 0.03, r: rand.New(rand.NewPCG(seed, 1))}
	for _, t := range demo.SyntheticTowns() {
		if t.Share >= minShare {
			b.towns = append(b.towns, t)
		}
	}
	return b
}

func (b *boxes) next() box {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.towns[b.r.IntN(len(b.towns))]
	// Whole 1/10000 degrees, as the pgbench script draws them.
	jx := float64(b.r.IntN(601)-300) / 10000
	jy := float64(b.r.IntN(601)-300) / 10000
	x, y := t.Lon+jx, t.Lat+jy
	return box{x - b.half, y - b.half, x + b.half, y + b.half}
}

// loadStats is what a load phase measured.
type loadStats struct {
	requests, errors int64
	failure          string // the first failure, when errors > 0
	seconds          float64
	bytes            int64 // body bytes as sent on the wire
	lat              []time.Duration
}

func (s *loadStats) rps() float64 { return float64(s.requests) / s.seconds }

func (s *loadStats) fail(err error) {
	s.errors++
	if s.failure == "" {
		s.failure = err.Error()
	}
}

// failed says how many requests failed and the first failure, for the
// results file: "" when none did.
func (s *loadStats) failed() string {
	if s == nil || s.errors == 0 {
		return ""
	}
	return fmt.Sprintf(" (**%d of %d failed**: %s)", s.errors, s.errors+s.requests, oneLine(s.failure, nil))
}
func (s *loadStats) bytesPer() float64 {
	if s.requests == 0 {
		return 0
	}
	return float64(s.bytes) / float64(s.requests)
}
func (s *loadStats) pct(p float64) time.Duration {
	if len(s.lat) == 0 {
		return 0
	}
	l := slices.Clone(s.lat)
	slices.Sort(l)
	return l[min(len(l)-1, int(p*float64(len(l))))]
}

// newClient does not ask for gzip unless told: Go's default transport
// would ask, and unzip, behind our back.
func newClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: conns * 2, MaxIdleConns: conns * 4}}
}

// closedLoop runs clients workers, each sending its next request as soon
// as the last answer is read, for d, and reports throughput.
func closedLoop(ctx context.Context, clients int, d time.Duration, gzip bool, nextURL func() string) (*loadStats, error) {
	client := newClient(clients)
	var st loadStats
	var mu sync.Mutex
	var firstErr atomic.Value
	stop := time.Now().Add(d)
	started := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lats []time.Duration
			var n, errs, bytes int64
			for time.Now().Before(stop) && ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "GET", nextURL(), nil)
				if gzip {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs++
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				b, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					errs++
					firstErr.CompareAndSwap(nil, fmt.Errorf("status %d, %v", resp.StatusCode, err))
					continue
				}
				lats = append(lats, time.Since(t0))
				n++
				bytes += b
			}
			mu.Lock()
			st.requests += n
			st.errors += errs
			st.bytes += bytes
			st.lat = append(st.lat, lats...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	st.seconds = time.Since(started).Seconds()
	if st.errors > 0 {
		return &st, fmt.Errorf("%d of %d requests failed, first: %v", st.errors, st.errors+st.requests, firstErr.Load())
	}
	return &st, nil
}

// constantRate offers rate requests per second for d whatever the answers
// take (vegeta), so slow answers show in the latencies instead of slowing
// the load down as a closed loop would.
func constantRate(rate float64, d time.Duration, nextURL func() string) (*loadStats, error) {
	atk := vegeta.NewAttacker(vegeta.Client(newClient(64)), vegeta.MaxWorkers(256))
	target := func(t *vegeta.Target) error {
		t.Method, t.URL = "GET", nextURL()
		return nil
	}
	pacer := vegeta.ConstantPacer{Freq: int(rate), Per: time.Second}
	var m vegeta.Metrics
	st := &loadStats{}
	for res := range atk.Attack(target, pacer, d, "items") {
		m.Add(res)
		if res.Code == http.StatusOK && res.Error == "" {
			st.requests++
			st.lat = append(st.lat, res.Latency)
			st.bytes += int64(res.BytesIn)
		} else {
			st.errors++
		}
	}
	m.Close()
	st.seconds = m.Duration.Seconds() + m.Wait.Seconds()
	if st.errors > 0 {
		return st, fmt.Errorf("%d of %d requests failed: %v", st.errors, st.errors+st.requests, m.Errors)
	}
	return st, nil
}

var (
	tpsLine       = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)
	processedLine = regexp.MustCompile(`number of transactions actually processed: (\d+)`)
)

// pgbench runs script with clients connections for d; with rate > 0 at
// that constant rate. It returns the transactions per second and, from
// its per-transaction log, the latencies.
func pgbench(ctx context.Context, o *Options, dbURL, script string, clients int, d time.Duration, rate float64) (*loadStats, error) {
	dir, err := os.MkdirTemp(o.WorkDir, "pgbench")
	if err != nil {
		return nil, err
	}
	file := filepath.Join(dir, "items.sql")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		return nil, err
	}
	// Extended protocol with parameters: like lib/pq, the statement is
	// parsed and planned for every execution with the values bound.
	args := []string{"-n", "-M", "extended", "-c", strconv.Itoa(clients), "-j", strconv.Itoa(min(clients, 2)),
		"-T", strconv.Itoa(int(d.Seconds())), "-f", file, "-l", "--log-prefix", filepath.Join(dir, "log")}
	if rate > 0 {
		args = append(args, "-R", strconv.Itoa(int(rate)))
	}
	args = append(args, dbURL)
	cmd := exec.CommandContext(ctx, o.Pgbench, args...)
	cmd.Env = append(os.Environ(), "PGOPTIONS="+pgOptions)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("pgbench: %v\n%s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("pgbench: no tps in its output:\n%s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	st := &loadStats{seconds: d.Seconds()}
	st.requests = int64(tps * d.Seconds())
	// The transactions it finished and the time they took, so short turns
	// add up exactly: tps × d rounds each turn down.
	if n := processedLine.FindSubmatch(out); n != nil && tps > 0 {
		st.requests, _ = strconv.ParseInt(string(n[1]), 10, 64)
		st.seconds = float64(st.requests) / tps
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "log*"))
	for _, l := range logs {
		f, err := os.Open(l)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// client_id transaction_no time script_no time_epoch time_us [schedule_lag]
			fields := strings.Fields(sc.Text())
			if len(fields) < 6 {
				continue
			}
			us, err := strconv.ParseInt(fields[2], 10, 64)
			if err == nil {
				st.lat = append(st.lat, time.Duration(us)*time.Microsecond)
			}
		}
		f.Close()
	}
	os.RemoveAll(dir)
	return st, nil
}
