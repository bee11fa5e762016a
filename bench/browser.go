package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// browserRun is what e2e/map_bench.mjs measured: the map in headless
// Chromium against a running server.
type browserRun struct {
	FirstPaintMs   int     `json:"firstPaintMs"`
	InView         int64   `json:"inView"`
	Mode           string  `json:"mode"`
	Clusters       int     `json:"clusters"`
	RequestsPerPan []int   `json:"requestsPerPan"`
	MaxPerPan      int     `json:"maxRequestsPerPan"`
	MsPerPan       []int   `json:"msPerPan"`
	APIRequests    int     `json:"apiRequests"`
	Requests       int     `json:"requests"`
	MaxRequestMs   float64 `json:"maxRequestMs"`
	MaxAPIMs       float64 `json:"maxAPIRequestMs"`
	Slowest        []struct {
		URL    string  `json:"url"`
		Ms     float64 `json:"ms"`
		Status int     `json:"status"`
	} `json:"slowest"`
	Town struct {
		Count int64  `json:"count"`
		Mode  string `json:"mode"`
		Drawn int    `json:"drawn"`
	} `json:"town"`
	Screenshots []string `json:"screenshots"`
	Problems    []string `json:"problems"`
	Failure     string   `json:"failure"`
	err         error
}

// runBrowser runs the map scenario of e2e/map_bench.mjs against base; the
// screenshots go to dir, named after label.
func runBrowser(ctx context.Context, o *Options, base, label string, sc scene) browserRun {
	lon, lat := sc.center()
	town := fmt.Sprintf("12/%.4f/%.4f", lat, lon)
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.Node, "e2e/map_bench.mjs", base, o.ArtifactDir, label, town)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var b browserRun
	if jerr := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &b); jerr != nil {
		b.err = fmt.Errorf("map_bench.mjs: %v, %v\n%s%s", err, jerr, stdout.String(), stderr.String())
		return b
	}
	if err != nil {
		b.err = fmt.Errorf("map_bench.mjs: %v\n%s", err, stderr.String())
	}
	return b
}

// ogrRun is one `ogrinfo -ro -al -so OAPIF:…` of the events collection.
type ogrRun struct {
	seconds float64
	count   int64 // Feature Count it printed; -1 when none
	err     error
}

var featureCount = regexp.MustCompile(`Feature Count: (-?\d+)`)

// runOgrinfo asks GDAL for the summary of the collection, as a GIS user's
// first look does: with -so GDAL wants the feature count, from
// numberMatched, or by paging through every feature when there is none.
func runOgrinfo(ctx context.Context, o *Options, base string) ogrRun {
	ctx, cancel := context.WithTimeout(ctx, o.OgrTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.Ogrinfo, "-ro", "-al", "-so", "OAPIF:"+base+"/collections/events")
	started := time.Now()
	out, err := cmd.CombinedOutput()
	r := ogrRun{seconds: time.Since(started).Seconds(), count: -1}
	if m := featureCount.FindSubmatch(out); m != nil {
		r.count, _ = strconv.ParseInt(string(m[1]), 10, 64)
	}
	if ctx.Err() != nil {
		r.err = fmt.Errorf("no answer within %s", o.OgrTimeout)
	} else if err != nil {
		r.err = fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	return r
}
