package api

import (
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"

	"eventmap"
)

// problemTypes documents each problem "type" URI (/problems/<code>), so a
// client that follows the link from an error learns what it means.
var problemTypes = map[string]string{
	eventmap.EINVALID:       "The request broke a rule: a parameter, header or property is malformed, out of range or unknown. The errors array names each field and the rule it broke. Fix the input; retrying unchanged will fail again.",
	eventmap.ENOTFOUND:      "No such resource, or one you are not allowed to see (restricted events are reported as missing, not forbidden).",
	eventmap.ECONFLICT:      "The write clashes with the current state of the resource. Read it again and retry.",
	eventmap.EUNPROCESSABLE: "The request was well-formed but the data rules reject it: a geometry PostGIS finds invalid (the reason is given; nothing is repaired silently), or an Idempotency-Key reused with a different body.",
	eventmap.ESTALE:         "The If-Match header names a version of the event that is no longer current: someone else changed it first. Nothing was changed. Read the event again (its ETag is the current version), reapply your change and retry.",
	eventmap.EPRECONDITION:  "Updates and deletes must say which version they change: send If-Match with the ETag from your last read of the event.",
	eventmap.EUNAUTHORIZED:  "This needs a valid API token (Authorization: Bearer <token>), or the token given is unknown, revoked or expired. Tokens are made with `eventmap token create`.",
	eventmap.EFORBIDDEN:     "The token is valid but its role does not allow this action (roles: reader < editor < admin).",
	eventmap.EMEDIATYPE:     "The request body is in a format this endpoint does not read. Send GeoJSON as application/geo+json or application/json, and merge patches as application/merge-patch+json.",
	eventmap.EMETHOD:        "The resource does not answer this method: the Allow header lists those it does. Only the events collection takes writes; events-points, events-areas and regions are read-only views.",
	eventmap.ETOOLARGE:      "The request body is larger than the server accepts (EVENTMAP_MAX_BODY_BYTES, or EVENTMAP_MAX_IMPORT_BYTES for imports). Send less at once: split an import into several files.",
	eventmap.ERATELIMIT:     "This client sent more requests per second than the server allows (EVENTMAP_RATE_LIMIT, per client address and replica). Wait the number of seconds in Retry-After, then slow down.",
	eventmap.EUNAVAILABLE:   "The database is unreachable or not yet migrated. Retry after the number of seconds in the Retry-After header.",
	eventmap.ETIMEOUT:       "The query took longer than the server allows (statement timeout). Narrow it: a smaller bbox, a shorter time range or a lower limit.",
	eventmap.EINTERNAL:      "A bug or an unexpected failure. The details are in the server log under the request id given in the response.",
}

var problemPage = template.Must(template.New("problem").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>eventmap problem: {{.Code}}</title></head>
<body><h1>Problem type <code>{{.Code}}</code></h1><p>{{.Text}}</p>
<p>Errors from eventmap are <code>application/problem+json</code> (RFC 9457).</p></body></html>
`))

func (s *Server) problemTypeHandler(c echo.Context) error {
	code := c.Param("code")
	text, ok := problemTypes[code]
	if !ok {
		return eventmap.Errorf(eventmap.ENOTFOUND, "no problem type %q", code)
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(http.StatusOK)
	return problemPage.Execute(c.Response(), map[string]string{"Code": code, "Text": text})
}
