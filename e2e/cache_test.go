package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"eventmap/internal/testdb"
)

// nginx is a caching reverse proxy (Debian's nginx, proxy_cache) in front
// of a server, configured as a CDN would be: it stores what the server's
// Cache-Control allows, for as long as it allows, keeps the variants its
// Vary names apart, and revalidates with If-None-Match. Nothing in it
// knows about tokens or CRSs: only the server's headers keep answers
// apart.
type nginx struct {
	URL, dir string
	cmd      *exec.Cmd
}

func startNginx(t *testing.T, upstream string) *nginx {
	t.Helper()
	bin := "/usr/sbin/nginx"
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s not found: run scripts/test-deps.sh (installs nginx)", bin)
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	conf := fmt.Sprintf(`
daemon off;
master_process off;
error_log %[1]s/error.log warn;
pid %[1]s/nginx.pid;
events { worker_connections 64; }
http {
	log_format cache '$status $upstream_cache_status $upstream_status "$request_uri" $token';
	map $http_authorization $token { "" anonymous; default token; }
	access_log %[1]s/access.log cache;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	proxy_cache_path %[1]s/cache levels=1 keys_zone=events:1m max_size=20m inactive=10m use_temp_path=off;
	server {
		listen %[2]s;
		location / {
			proxy_pass %[3]s;
			proxy_http_version 1.1;
			proxy_set_header Host $http_host;
			proxy_cache events;
			proxy_cache_revalidate on;
			add_header X-Cache-Status $upstream_cache_status always;
		}
	}
}
`, dir, addr, upstream)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		_, _ = cmd.Process.Wait()
	})
	n := &nginx{URL: "http://" + addr, dir: dir, cmd: cmd}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(n.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			return n
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not start: %v\n%s\n%s", err, out.String(), log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cacheStatuses counts the proxy's cache statuses (HIT, MISS, EXPIRED,
// REVALIDATED ...) and the upstream's answers to it, from its access log.
func (n *nginx) cacheStatuses(t *testing.T) (map[string]int, []string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.dir, "access.log"))
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) >= 3 {
			counts["cache "+f[1]]++
			counts["upstream "+f[2]]++
		}
	}
	return counts, lines
}

type proxied struct {
	status      int
	cache, etag string
	header      http.Header
	body        []byte
}

// fetch asks the proxy; headers come in name, value pairs.
func fetch(t *testing.T, rawURL string, headers ...string) proxied {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", "identity")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		if r, err = gzip.NewReader(resp.Body); err != nil {
			t.Fatal(err)
		}
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return proxied{status: resp.StatusCode, cache: resp.Header.Get("X-Cache-Status"), etag: resp.Header.Get("ETag"), header: resp.Header, body: body}
}

func featureIDs(t *testing.T, body []byte) []string {
	t.Helper()
	var fc struct {
		Features []struct{ ID string } `json:"features"`
	}
	if err := json.Unmarshal(body, &fc); err != nil {
		t.Fatalf("not a FeatureCollection: %v: %.200s", err, body)
	}
	var ids []string
	for _, f := range fc.Features {
		ids = append(ids, f.ID)
	}
	sort.Strings(ids)
	return ids
}

// The server behind a caching proxy: an anonymous client never gets a
// restricted event or another CRS's coordinates from the cache, formats
// and encodings stay apart, the proxy revalidates with If-None-Match and
// gets 304s, and a write shows through within the documented max-age.
func TestCachingProxyKeepsAnswersApart(t *testing.T) {
	dbURL := testdb.New(t)
	eventmap(t, dbURL, "demo-data")
	srv := startServe(t, dbURL)
	srv.waitReady(t)
	token := createToken(t, dbURL)
	proxy := startNginx(t, srv.URL)
	const restricted = "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e08"
	const raid = "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01"
	const restrictedTitle = "informant detained in Damascus"
	bearer := "Bearer " + token

	t.Run("a token holder's answer is never kept", func(t *testing.T) {
		for _, path := range []string{"/collections/events/items?limit=50", "/collections/events-points/items?limit=50",
			"/collections/events/items/" + restricted, "/collections/events"} {
			tok := fetch(t, proxy.URL+path, "Authorization", bearer)
			if tok.status != http.StatusOK || !strings.HasPrefix(tok.header.Get("Cache-Control"), "private") {
				t.Fatalf("%s with a token: %d, Cache-Control %q", path, tok.status, tok.header.Get("Cache-Control"))
			}
			if strings.Contains(path, "/items") && !bytes.Contains(tok.body, []byte(restricted)) {
				t.Fatalf("%s with a token lacks the restricted event", path)
			}
			for i := 0; i < 2; i++ {
				anon := fetch(t, proxy.URL+path)
				// Its title, and its date, which the collection's extent would
				// show were it counted.
				if bytes.Contains(anon.body, []byte(restrictedTitle)) || bytes.Contains(anon.body, []byte("2025-11-03")) {
					t.Errorf("%s: an anonymous client got the restricted event (cache %s)", path, anon.cache)
				}
				if strings.HasSuffix(path, restricted) && (anon.status != http.StatusNotFound || anon.header.Get("Content-Type") != "application/problem+json") {
					t.Errorf("%s anonymously: %d %q (cache %s), want a 404 problem", path, anon.status, anon.header.Get("Content-Type"), anon.cache)
				}
				if i == 0 && anon.cache == "HIT" {
					t.Errorf("%s: the first anonymous request was a cache HIT of the token holder's answer", path)
				}
			}
			// And the other way round: the anonymous answer, now cached, is
			// not what a token holder gets.
			if tok := fetch(t, proxy.URL+path, "Authorization", bearer); strings.Contains(path, "/items") && !bytes.Contains(tok.body, []byte(restricted)) {
				t.Errorf("%s: a token holder got the cached anonymous answer (cache %s)", path, tok.cache)
			}
		}
	})

	t.Run("each CRS, format and encoding is its own entry", func(t *testing.T) {
		item := proxy.URL + "/collections/events/items/" + raid
		for round := 0; round < 2; round++ {
			for crs, lon := range map[string]string{
				"": "[36.6939,33.6439]",
				"?crs=http://www.opengis.net/def/crs/EPSG/0/4326": "[33.6439,36.6939]",
				"?crs=http://www.opengis.net/def/crs/EPSG/0/3857": "[40847",
			} {
				r := fetch(t, item+crs)
				if !bytes.Contains(r.body, []byte(`"coordinates":`+lon)) {
					t.Errorf("round %d %q: coordinates not %s (cache %s): %.150s", round, crs, lon, r.cache, r.body)
				}
				if round == 1 && r.cache != "HIT" {
					t.Errorf("round 2 %q: cache %s, want HIT", crs, r.cache)
				}
			}
			page := proxy.URL + "/collections/events-points/items?limit=3"
			html := fetch(t, page, "Accept", "text/html")
			js := fetch(t, page, "Accept", "application/geo+json")
			zipped := fetch(t, page, "Accept", "application/geo+json", "Accept-Encoding", "gzip")
			if !strings.HasPrefix(html.header.Get("Content-Type"), "text/html") || js.header.Get("Content-Type") != "application/geo+json" ||
				zipped.header.Get("Content-Encoding") != "gzip" || len(featureIDs(t, js.body)) != 3 || len(featureIDs(t, zipped.body)) != 3 {
				t.Errorf("round %d: Accept text/html gave %q (cache %s), geo+json %q (cache %s), gzip %q (cache %s)", round,
					html.header.Get("Content-Type"), html.cache, js.header.Get("Content-Type"), js.cache, zipped.header.Get("Content-Encoding"), zipped.cache)
			}
			if js.etag == zipped.etag || js.etag == html.etag {
				t.Errorf("round %d: ETags %s (json), %s (gzip), %s (html) are not all different", round, js.etag, zipped.etag, html.etag)
			}
		}
	})

	t.Run("clients revalidate through the proxy", func(t *testing.T) {
		page := proxy.URL + "/collections/events/items?limit=4"
		first := fetch(t, page)
		if again := fetch(t, page, "If-None-Match", first.etag); again.status != http.StatusNotModified {
			t.Errorf("If-None-Match %s through the proxy: %d (cache %s)", first.etag, again.status, again.cache)
		}
	})

	t.Run("a write shows through within max-age", func(t *testing.T) {
		item := proxy.URL + "/collections/events/items/" + raid
		before := fetch(t, item)
		maxAge := regexp.MustCompile(`max-age=(\d+)`).FindStringSubmatch(before.header.Get("Cache-Control"))
		if maxAge == nil {
			t.Fatalf("Cache-Control %q has no max-age", before.header.Get("Cache-Control"))
		}
		seconds, _ := strconv.Atoi(maxAge[1])
		age := time.Duration(seconds) * time.Second
		if r := fetch(t, item); r.cache != "HIT" {
			t.Errorf("the raid's second read: cache %s, want HIT", r.cache)
		}
		// The write goes to the server, as an editor's would.
		req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/collections/events/items/"+raid,
			strings.NewReader(`{"properties":{"title":"Raid in Dumayr (title revised through the proxy test)"}}`))
		req.Header.Set("Authorization", bearer)
		req.Header.Set("Content-Type", "application/merge-patch+json")
		req.Header.Set("If-Match", strings.TrimSuffix(strings.TrimSuffix(before.etag, `"`), "-gzip")+`"`)
		req.Header.Set("X-Edit-Reason", "proxy test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PATCH: %d", resp.StatusCode)
		}
		written := time.Now()
		for {
			r := fetch(t, item)
			if bytes.Contains(r.body, []byte("title revised through the proxy test")) {
				took := time.Since(written)
				t.Logf("the write showed through the proxy after %v (max-age %v, cache %s)", took.Round(time.Millisecond), age, r.cache)
				if took > age+2*time.Second {
					t.Errorf("the write took %v to show through, more than max-age %v", took, age)
				}
				break
			}
			if time.Since(written) > age+5*time.Second {
				t.Fatalf("the write did not show through in %v (cache %s)", time.Since(written), r.cache)
			}
			time.Sleep(250 * time.Millisecond)
		}
		// Past max-age an unchanged page is revalidated: the server answers
		// 304 and the proxy serves what it holds.
		page := proxy.URL + "/collections/events-areas/items"
		fetch(t, page)
		time.Sleep(age + time.Second)
		if r := fetch(t, page); r.cache != "REVALIDATED" || r.status != http.StatusOK {
			t.Errorf("an unchanged page past max-age: %d, cache %s, want 200 REVALIDATED", r.status, r.cache)
		}
	})

	counts, lines := proxy.cacheStatuses(t)
	served304 := strings.Count(srv.out.String(), "status=304")
	t.Logf("cache figures: %d requests through the proxy; %v; the server answered %d times 304\n  %s",
		len(lines), counts, served304, strings.Join(lines, "\n  "))
	if counts["cache REVALIDATED"] == 0 || served304 == 0 {
		t.Errorf("no revalidation answered 304 (%v, %d)", counts, served304)
	}
}
