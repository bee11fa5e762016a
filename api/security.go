package api

import (
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"eventmap"
	"eventmap/config"
)

// Browser-facing defences: CORS, security headers, the write-origin guard
// and the per-client rate limit. SECURITY.md explains each choice.

// corsMiddleware lets any listed origin read (the data is public by
// default) and only the write-listed origins send writes. Tokens are bearer
// tokens, never cookies, so a foreign page cannot borrow a user's session;
// the guard below still refuses writes from pages nobody listed.
func corsMiddleware(cfg config.Config) echo.MiddlewareFunc {
	methods := []string{http.MethodGet, http.MethodHead, http.MethodOptions}
	origins := slices.Clone(cfg.CORSOrigins)
	if len(cfg.CORSWriteOrigins) > 0 {
		methods = append(methods, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete)
		for _, o := range cfg.CORSWriteOrigins {
			if !slices.Contains(origins, o) {
				origins = append(origins, o)
			}
		}
	}
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  origins,
		AllowMethods:  methods,
		ExposeHeaders: []string{"ETag", "Link", "Location", "Content-Crs", "Retry-After", "Idempotent-Replayed", echo.HeaderXRequestID},
		MaxAge:        600,
	})
}

// writeOriginGuard refuses a write sent by a web page from an origin that
// is neither this server nor listed in EVENTMAP_CORS_WRITE_ORIGINS.
// Non-browser clients send no Origin and are not affected.
func (s *Server) writeOriginGuard(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		origin := c.Request().Header.Get(echo.HeaderOrigin)
		if origin == "" || origin == s.ownOrigin(c) || slices.Contains(s.cfg.CORSWriteOrigins, origin) || slices.Contains(s.cfg.CORSWriteOrigins, "*") {
			return next(c)
		}
		e := eventmap.Errorf(eventmap.EFORBIDDEN, "pages from %s may not write to this server", origin)
		e.Errors = []eventmap.FieldError{{Field: "Origin", Rule: "must be this server or listed in EVENTMAP_CORS_WRITE_ORIGINS"}}
		return e
	}
}

// ownOrigin is scheme://host of this server as the client sees it, or ""
// when that cannot be told. It parses the base URL rather than slicing it:
// a base of "http://" (a request without a Host) once panicked here.
func (s *Server) ownOrigin(c echo.Context) string {
	u, err := url.Parse(s.absURL(c, "", nil))
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// hostGuard gives every request a Host that links can be built from.
// HTTP/1.0 lets a client leave Host out: such a request is answered as if
// it had named the address it connected to. A Host that is not a host name
// or address with an optional port (userinfo, a bad port, a name longer
// than DNS allows) is a 400: links built from it would be wrong or worse.
func hostGuard(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Host == "" {
			if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
				r.Host = a.String()
			}
		}
		if !validHost(r.Host) {
			return eventmap.Invalid("Host", "must be a host name or IP address with an optional port (RFC 9110, section 7.2)")
		}
		return next(c)
	}
}

// validHost reports whether h is uri-host [ ":" port ] (RFC 3986): a DNS
// name or IPv4 address, or an IPv6 address in brackets.
func validHost(h string) bool {
	host, port := h, ""
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 || net.ParseIP(h[1:end]) == nil || strings.Contains(h[1:end], ".") && !strings.Contains(h[1:end], ":") {
			return false
		}
		host, port = h[1:end], h[end+1:]
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
		}
	} else {
		if i := strings.LastIndexByte(h, ':'); i >= 0 {
			host, port = h[:i], h[i+1:]
		}
		if host == "" || len(host) > 253 {
			return false
		}
		for _, r := range host {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
				return false
			}
		}
	}
	if port == "" {
		return true
	}
	n, err := strconv.Atoi(port)
	return err == nil && len(port) <= 5 && n >= 0 && n <= 65535
}

// securityHeaders sets headers every response gets. The Content-Security-
// Policy allows the bundled map (scripts, styles and data from this
// server, tiles from the configured tile host) and nothing else: no inline
// script or style, no plugins, no foreign connections. Framing is allowed
// on purpose: newsrooms embed maps in articles, and no page here acts on a
// click.
func securityHeaders(cfg config.Config) echo.MiddlewareFunc {
	return middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0", // the old XSS auditor is gone from browsers; CSP does the job
		ContentTypeNosniff:    "nosniff",
		ReferrerPolicy:        "strict-origin-when-cross-origin",
		ContentSecurityPolicy: contentSecurityPolicy(cfg.TileURL),
	})
}

func contentSecurityPolicy(tileURL string) string {
	img := "'self' data:"
	if o := tileOrigin(tileURL); o != "" {
		img += " " + o
	}
	return "default-src 'self'; img-src " + img + "; style-src 'self'; script-src 'self'; connect-src 'self'; " +
		"object-src 'none'; base-uri 'none'; form-action 'self'"
}

// tileOrigin is the CSP source for a tile URL template such as
// https://{s}.tile.example.org/{z}/{x}/{y}.png: https://*.tile.example.org.
func tileOrigin(tmpl string) string {
	scheme, rest, ok := strings.Cut(tmpl, "://")
	if !ok || (scheme != "http" && scheme != "https") {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	host = strings.ReplaceAll(host, "{s}", "*")
	if host == "" || strings.ContainsAny(host, "{} ;'\"") {
		return ""
	}
	return scheme + "://" + host
}

// rateLimit caps requests per client address, per replica: replicas do not
// share counts, so N replicas behind a balancer allow up to N times the
// rate (SECURITY.md). Health checks and the map's static files are not
// counted.
func rateLimit(cfg config.Config) echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return cfg.RateLimit == 0 || p == "/healthz" || p == "/readyz" || strings.HasPrefix(p, "/map/")
		},
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(cfg.RateLimit), Burst: cfg.RateBurst, ExpiresIn: 3 * time.Minute,
		}),
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler: func(c echo.Context, id string, err error) error {
			return eventmap.Errorf(eventmap.ERATELIMIT, "more than %g requests per second from %s", cfg.RateLimit, id)
		},
	})
}
