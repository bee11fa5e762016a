package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/auth"
	"eventmap/exchange"
	"eventmap/store"
	"eventmap/transfer"
)

// Import jobs: POST /collections/events/import with "Prefer:
// respond-async" receives the whole file (spooled to a temporary file,
// at the speed of the network and the disk), answers 202 Accepted with
// Location: /imports/{id}, and imports the file in the background. GET
// /imports/{id} reports rows read, bytes read of the total, the rate and
// the step the import is at, and in the end the same report (or problem)
// the synchronous import answers with. DELETE /imports/{id} cancels a
// running import (nothing of it is written).
//
// Jobs live in the server process only: a restart forgets them and rolls
// back any import running (the file's transaction never commits), and a
// finished job is forgotten jobRetention after it ends. Clients that lose
// their job re-send the file: an import is idempotent (the same file
// again changes nothing).

const (
	jobsPath = "/imports"
	// jobRetention is how long a finished job stays readable.
	jobRetention = time.Hour
	// maxActiveJobs caps imports received but not finished: each holds a
	// spooled file of up to MaxImportBytes, and imports run one at a
	// time anyway (store.Import's advisory lock).
	maxActiveJobs = 4
)

// importJob is one background import. The counters are atomic: the
// import updates them row by row while GET reads them.
type importJob struct {
	id, owner  string
	file       string
	created    time.Time
	bytesTotal int64
	bytesRead  atomic.Int64
	rowsRead   atomic.Int64
	cancel     context.CancelFunc
	done       chan struct{}

	mu       sync.Mutex
	state    string // "queued", "running", "succeeded", "failed", "canceled"
	step     string // the last step of the import done
	started  time.Time
	finished time.Time
	report   *exchange.Report
	problem  *problem
}

// importJobs holds the process's jobs.
type importJobs struct {
	mu   sync.Mutex
	jobs map[string]*importJob
	// ctx ends with the server (Close): running imports roll back.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newImportJobs() *importJobs {
	ctx, cancel := context.WithCancel(context.Background())
	return &importJobs{jobs: map[string]*importJob{}, ctx: ctx, cancel: cancel}
}

// add registers j unless too many jobs are active; it forgets finished
// jobs past their retention on the way.
func (js *importJobs) add(j *importJob) bool {
	js.mu.Lock()
	defer js.mu.Unlock()
	active := 0
	for id, o := range js.jobs {
		o.mu.Lock()
		if !o.finished.IsZero() && time.Since(o.finished) > jobRetention {
			delete(js.jobs, id)
		} else if o.finished.IsZero() {
			active++
		}
		o.mu.Unlock()
	}
	if active >= maxActiveJobs {
		return false
	}
	js.jobs[j.id] = j
	return true
}

func (js *importJobs) get(id string) *importJob {
	js.mu.Lock()
	defer js.mu.Unlock()
	j := js.jobs[id]
	if j == nil {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.finished.IsZero() && time.Since(j.finished) > jobRetention {
		delete(js.jobs, id)
		return nil
	}
	return j
}

// Close cancels the running imports (they roll back) and waits for them.
func (s *Server) Close() {
	s.jobs.cancel()
	s.jobs.wg.Wait()
}

// startImportJob spools the body to a temporary file, registers the job
// and answers 202; the import runs after the answer.
func (s *Server) startImportJob(c echo.Context, who store.TokenInfo, body *limitedBody, req transfer.ImportRequest) error {
	f, err := os.CreateTemp("", "eventmap-import-*")
	if err != nil {
		return err
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	n, err := io.Copy(f, body)
	if body.tooLarge {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	if err != nil {
		return eventmap.Errorf(eventmap.EINVALID, "the upload broke off after %d bytes: %v", n, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	ctx, cancel := context.WithCancel(s.jobs.ctx)
	j := &importJob{id: hex.EncodeToString(b[:]), owner: who.ID, file: req.Name, created: time.Now(), bytesTotal: n,
		cancel: cancel, done: make(chan struct{}), state: "queued"}
	if !s.jobs.add(j) {
		cancel()
		return eventmap.Errorf(eventmap.EUNAVAILABLE, "%d imports are already waiting or running; try again when one has finished", maxActiveJobs)
	}
	keep = true
	req.OnRow = func() {
		j.rowsRead.Add(1)
		s.metrics.importRows.WithLabelValues("read").Inc()
	}
	req.OnStep = func(step string, _ time.Duration) {
		j.mu.Lock()
		j.step = step
		if step == "copy" {
			j.bytesRead.Store(j.bytesTotal)
		}
		j.mu.Unlock()
	}
	s.jobs.wg.Add(1)
	go func() {
		defer s.jobs.wg.Done()
		defer close(j.done)
		defer cancel()
		defer os.Remove(f.Name())
		defer f.Close()
		j.mu.Lock()
		j.state, j.started = "running", time.Now()
		j.mu.Unlock()
		rep, err := transfer.ImportFile(ctx, s.db, &countingReader{r: f, n: &j.bytesRead}, req)
		s.metrics.imported(rep, err)
		j.mu.Lock()
		defer j.mu.Unlock()
		j.finished, j.report, j.state = time.Now(), rep, "succeeded"
		switch {
		case err == nil:
		case ctx.Err() != nil:
			j.state = "canceled"
			p := s.jobProblem(j, eventmap.Errorf(eventmap.ECONFLICT, "the import was canceled before it committed; nothing was written"))
			j.problem = &p
		default:
			j.state = "failed"
			p := s.jobProblem(j, err)
			j.problem = &p
		}
	}()
	c.Response().Header().Set(echo.HeaderLocation, jobsPath+"/"+j.id)
	c.Response().Header().Set("Preference-Applied", "respond-async")
	c.Response().Header().Set("Retry-After", "1")
	return c.JSON(http.StatusAccepted, j.view())
}

// jobProblem is the problem the synchronous import would have answered
// with for err; internal errors are logged, not shown.
func (s *Server) jobProblem(j *importJob, err error) problem {
	p := problem{Type: "/problems/" + eventmap.EINTERNAL, Status: http.StatusInternalServerError,
		Detail: "internal error; quote the job id when reporting it", Instance: jobsPath + "/" + j.id}
	var e *eventmap.Error
	if errors.As(err, &e) && e.Code != eventmap.EINTERNAL {
		p.Type, p.Status, p.Detail, p.Errors = "/problems/"+e.Code, statusOf(e.Code), e.Detail, e.Errors
	} else {
		s.log.Error("import job failed", "job", j.id, "err", err)
	}
	p.Title = http.StatusText(p.Status)
	return p
}

// jobView is a job as GET /imports/{id} shows it.
type jobView struct {
	ID    string `json:"id"`
	State string `json:"state"`
	File  string `json:"file"`
	// Step is the last step of the import done ("copy": every row read
	// and staged; then the set-based writes, "commit" last).
	Step          string           `json:"step,omitempty"`
	RowsRead      int64            `json:"rows_read"`
	RowsTotal     *int64           `json:"rows_total"`
	BytesRead     int64            `json:"bytes_read"`
	BytesTotal    int64            `json:"bytes_total"`
	RowsPerSecond float64          `json:"rows_per_second"`
	Seconds       float64          `json:"seconds"`
	CreatedAt     time.Time        `json:"created_at"`
	FinishedAt    *time.Time       `json:"finished_at,omitempty"`
	Report        *exchange.Report `json:"report,omitempty"`
	Problem       *problem         `json:"problem,omitempty"`
}

func (j *importJob) view() jobView {
	j.mu.Lock()
	defer j.mu.Unlock()
	v := jobView{ID: j.id, State: j.state, File: j.file, Step: j.step, RowsRead: j.rowsRead.Load(),
		BytesRead: min(j.bytesRead.Load(), j.bytesTotal), BytesTotal: j.bytesTotal, CreatedAt: j.created.UTC(),
		Report: j.report, Problem: j.problem}
	if j.step != "" {
		// The first step is "copy": every row is read once it is done.
		n := v.RowsRead
		v.RowsTotal = &n
	}
	end := time.Now()
	if !j.finished.IsZero() {
		end = j.finished
		t := j.finished.UTC()
		v.FinishedAt = &t
	}
	if !j.started.IsZero() {
		v.Seconds = end.Sub(j.started).Seconds()
		if v.Seconds > 0 {
			v.RowsPerSecond = float64(v.RowsRead) / v.Seconds
		}
	}
	if v.Report != nil && v.Report.Errors == nil {
		v.Report.Errors = []eventmap.RowError{}
	}
	return v
}

// ownJob is job id if the caller may see it: the token that started it,
// or an admin. Others get the 404 of a job that does not exist.
func (s *Server) ownJob(c echo.Context) (*importJob, error) {
	who, err := require(c, auth.Editor, "reading import jobs")
	if err != nil {
		return nil, err
	}
	j := s.jobs.get(c.Param("id"))
	if j == nil || (j.owner != who.ID && who.Role != auth.Admin) {
		return nil, eventmap.Errorf(eventmap.ENOTFOUND, "no import job %q (jobs are kept in the server's memory for %s after they end, and a restart forgets them)", c.Param("id"), jobRetention)
	}
	return j, nil
}

// importJobHandler serves GET /imports/{id}.
func (s *Server) importJobHandler(c echo.Context) error {
	j, err := s.ownJob(c)
	if err != nil {
		return err
	}
	v := j.view()
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	if v.FinishedAt == nil {
		c.Response().Header().Set("Retry-After", "1")
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, append(b, '\n'))
}

// cancelImportJobHandler serves DELETE /imports/{id}: a running import
// is rolled back; the job stays readable, canceled. A finished one is
// left as it is (a committed import is undone by another import, not
// here).
func (s *Server) cancelImportJobHandler(c echo.Context) error {
	j, err := s.ownJob(c)
	if err != nil {
		return err
	}
	j.cancel()
	select {
	case <-j.done:
	case <-c.Request().Context().Done():
		return c.Request().Context().Err()
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, j.view())
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
