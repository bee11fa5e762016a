package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"eventmap"
)

// problem is an RFC 9457 problem details object. Errors lists, for input
// that broke rules, each field and the rule it broke.
type problem struct {
	Type      string                `json:"type"`
	Title     string                `json:"title"`
	Status    int                   `json:"status"`
	Detail    string                `json:"detail,omitempty"`
	Instance  string                `json:"instance,omitempty"`
	RequestID string                `json:"request_id,omitempty"`
	Errors    []eventmap.FieldError `json:"errors,omitempty"`
}

// statusOf is the one mapping from error codes to HTTP statuses.
func statusOf(code string) int {
	switch code {
	case eventmap.EINVALID:
		return http.StatusBadRequest
	case eventmap.ENOTFOUND:
		return http.StatusNotFound
	case eventmap.ECONFLICT:
		return http.StatusConflict
	case eventmap.EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case eventmap.ESTALE:
		return http.StatusPreconditionFailed
	case eventmap.EPRECONDITION:
		return http.StatusPreconditionRequired
	case eventmap.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case eventmap.EFORBIDDEN:
		return http.StatusForbidden
	case eventmap.EMEDIATYPE:
		return http.StatusUnsupportedMediaType
	case eventmap.EMETHOD:
		return http.StatusMethodNotAllowed
	case eventmap.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case eventmap.ERATELIMIT:
		return http.StatusTooManyRequests
	case eventmap.EUNAVAILABLE, eventmap.ETIMEOUT:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// codeOfStatus is the error code of an HTTP status that Echo raised itself,
// the inverse of statusOf.
func codeOfStatus(status int) string {
	for _, code := range []string{eventmap.EINVALID, eventmap.ENOTFOUND, eventmap.EMETHOD, eventmap.ETOOLARGE,
		eventmap.EMEDIATYPE, eventmap.EUNAUTHORIZED, eventmap.EFORBIDDEN, eventmap.ERATELIMIT, eventmap.EUNAVAILABLE} {
		if statusOf(code) == status {
			return code
		}
	}
	if status < 500 {
		return eventmap.EINVALID
	}
	return eventmap.EINTERNAL
}

// handleError turns every error a handler returns into problem+json. Only
// internal errors are logged with their cause; clients never see SQL,
// driver messages or stack traces.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	p := problem{Type: "about:blank", Instance: c.Request().URL.RequestURI(), RequestID: requestID(c)}
	var appErr *eventmap.Error
	var httpErr *echo.HTTPError
	switch {
	case errors.As(err, &appErr):
		p.Status = statusOf(appErr.Code)
		p.Detail, p.Errors = appErr.Detail, appErr.Errors
		p.Type = "/problems/" + appErr.Code
		if appErr.Code == eventmap.EINTERNAL {
			p.Detail = "internal error; quote the request id when reporting it"
		}
	case errors.As(err, &httpErr):
		// Echo's own errors: unknown route, wrong method, body too large.
		// They get the type of the code with their status, so every
		// problem a client meets is documented under /problems/.
		p.Status = httpErr.Code
		p.Type = "/problems/" + codeOfStatus(p.Status)
		if msg, ok := httpErr.Message.(string); ok {
			p.Detail = msg
		}
		if p.Status == http.StatusMethodNotAllowed {
			p.Detail = c.Request().Method + " is not allowed here; allowed: " + c.Response().Header().Get(echo.HeaderAllow)
		}
		if p.Status == http.StatusRequestEntityTooLarge {
			limit := s.cfg.MaxBodyBytes
			if isImport(c) {
				limit = s.cfg.MaxImportBytes
			}
			p.Detail = "request body is larger than the " + strconv.FormatInt(limit, 10) + "-byte limit"
			p.Errors = []eventmap.FieldError{{Field: "body", Rule: "at most " + strconv.FormatInt(limit, 10) + " bytes"}}
		}
	default:
		p.Status = http.StatusInternalServerError
		p.Detail = "internal error; quote the request id when reporting it"
	}
	p.Title = http.StatusText(p.Status)
	s.metrics.problem(c, s.routeLabel(c), p.Status, err)
	// A shed request is the limit working, not a failure: the request
	// line (a warning, as every 5xx) is enough.
	if p.Status >= 500 && !isShed(err) {
		s.log.Error("request failed", "request_id", p.RequestID, "status", p.Status, "err", err)
	}
	switch {
	case p.Status == http.StatusServiceUnavailable && eventmap.ErrorCode(err) == eventmap.EUNAVAILABLE:
		c.Response().Header().Set("Retry-After", "5")
	case p.Status == http.StatusTooManyRequests:
		c.Response().Header().Set("Retry-After", "1")
	}
	if p.Status == http.StatusUnauthorized {
		// RFC 6750: say which scheme is expected, and whether the token
		// given was the problem.
		challenge := `Bearer realm="eventmap"`
		if c.Request().Header.Get(echo.HeaderAuthorization) != "" {
			challenge += `, error="invalid_token"`
		}
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, challenge)
	}
	body, _ := json.Marshal(p)
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	if c.Request().Method != http.MethodHead {
		_, _ = c.Response().Write(body)
	}
}
