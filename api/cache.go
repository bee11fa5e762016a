package api

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"eventmap/auth"
)

// HTTP caching, so a CDN or a proxy cache can sit in front of the servers
// (docs/api.md#caching). Each representation has its own validator: the
// ETag covers what the body depends on (the data, the collection, the
// format, the CRS, the caller's visibility, the query) and, when the body
// is gzipped, says so (representationHeaders). Vary names the request
// headers a body depends on. Answers to token holders are private: a
// shared cache never keeps them.

// dataMaxAge is how long a cache may reuse an answer about events without
// asking again: a write shows through any cache within this time.
// Revalidating costs a read of the dataset version, and a 304 carries no
// body.
const dataMaxAge = "max-age=10"

// errNotModified ends a read whose validator matches If-None-Match.
var errNotModified = errors.New("not modified")

// buildTag is part of every validator made from the data, so a release
// that writes the same data differently (a new link, a new property)
// never answers 304 to a body an older release made.
var buildTag = func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	parts := []string{info.Main.Version}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" || s.Key == "vcs.modified" || s.Key == "vcs.time" {
			parts = append(parts, s.Value)
		}
	}
	return strings.Join(parts, " ")
}()

// dataCacheControl says who may keep an answer that depends on the data
// and on the caller: anyone for a short while when it is an anonymous
// answer, only the caller's own client, revalidating each time, when a
// token was given (it may hold restricted events).
func dataCacheControl(c echo.Context) {
	if caller(c).Role != auth.Anonymous {
		c.Response().Header().Set("Cache-Control", "private, no-cache")
		return
	}
	c.Response().Header().Set("Cache-Control", "public, "+dataMaxAge)
}

// versionTag is a validator made from the dataset version and everything
// else the body depends on; parts must name all of it. It is weak: pages
// carry a timeStamp of when they were made.
func versionTag(version string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(buildTag))
	h.Write([]byte{0})
	h.Write([]byte(version))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return `W/"` + hex.EncodeToString(h.Sum(nil)[:12]) + `"`
}

// normalQuery is the query with its parameters in one order and without
// f, which the negotiated format stands for: two URLs asking the same
// thing share a validator.
func normalQuery(q url.Values) string {
	n := cloneValues(q)
	n.Del("f")
	return n.Encode()
}

// visibilityPart is the part of a validator that depends on who asks:
// anonymous callers and token holders see different events.
func visibilityPart(c echo.Context) string {
	if seesRestricted(c) {
		return "restricted"
	}
	return "public"
}

// validate sets ETag and the caching headers, and reports whether the
// client holds this representation already (If-None-Match), in which
// case the handler answers 304. The ETag of a 304 is the one the client
// sent, gzip suffix included.
func validate(c echo.Context, tag string) bool {
	dataCacheControl(c)
	h := c.Response().Header()
	h.Set("ETag", tag)
	if held, ok := heldTag(c.Request().Header.Get("If-None-Match"), tag); ok {
		h.Set("ETag", held)
		return true
	}
	return false
}

// notModified answers 304 with the headers validate set.
func notModified(c echo.Context) error { return c.NoContent(http.StatusNotModified) }

// gzipSuffix marks the ETag of a gzipped body: the gzipped bytes are a
// representation of their own, and a cache holding both must tell them
// apart (Apache's mod_deflate does the same).
const gzipSuffix = "-gzip"

// heldTag applies If-None-Match's weak comparison (RFC 9110 13.1.2) to
// tag and returns the matching tag as the client sent it. A tag with the
// gzip suffix matches the same representation gzipped.
func heldTag(header, tag string) (string, bool) {
	bare := strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return tag, true
		}
		opaque := strings.TrimPrefix(t, "W/")
		if opaque == bare || strings.Replace(opaque, gzipSuffix+`"`, `"`, 1) == bare {
			return t, true
		}
	}
	return "", false
}

// etagMatches implements If-None-Match's weak comparison (RFC 9110 13.1.2).
func etagMatches(header, tag string) bool {
	_, ok := heldTag(header, tag)
	return ok
}

// representationHeaders finishes every response's caching headers as its
// status line goes out, after every other middleware and the handler had
// their say: Vary on one line (nginx before 1.23 reads only one of
// several), and the gzip suffix on the ETag when the gzip middleware,
// which runs inside this one, compressed the body.
func representationHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		m := c.Request().Method
		res.Writer = &headerWriter{ResponseWriter: res.Writer, cacheable: m == http.MethodGet || m == http.MethodHead}
		return next(c)
	}
}

type headerWriter struct {
	http.ResponseWriter
	// cacheable: GET and HEAD, whose answers caches keep. The ETag of an
	// answer to a write stays the event's version, as written.
	cacheable bool
	sent      bool
}

func (w *headerWriter) WriteHeader(code int) {
	if !w.sent {
		w.sent = true
		finishHeaders(w.Header(), w.cacheable)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *headerWriter) Write(b []byte) (int, error) {
	if !w.sent {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *headerWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

func (w *headerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func finishHeaders(h http.Header, cacheable bool) {
	if vs := h.Values(echo.HeaderVary); len(vs) > 0 {
		var names []string
		for _, v := range vs {
			for _, n := range strings.Split(v, ",") {
				n = http.CanonicalHeaderKey(strings.TrimSpace(n))
				if n != "" && !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
		h.Set(echo.HeaderVary, strings.Join(names, ", "))
	}
	if tag := h.Get("ETag"); cacheable && tag != "" && h.Get(echo.HeaderContentEncoding) == "gzip" && !strings.HasSuffix(tag, gzipSuffix+`"`) {
		h.Set("ETag", strings.TrimSuffix(tag, `"`)+gzipSuffix+`"`)
	}
}
