package api

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"eventmap"
	"eventmap/auth"
	"eventmap/geo"
	"eventmap/store"
)

// The write API follows OGC API - Features Part 4: POST to the items
// collection, PUT/PATCH/DELETE on an item. Every write runs in one
// transaction that also appends the revision (and the idempotency record),
// so a write is either whole and durable or absent.

const mergePatchJSON = "application/merge-patch+json"

// createHandler serves POST /collections/events/items.
func (s *Server) createHandler(c echo.Context) error {
	who, err := require(c, auth.Editor, "creating events")
	if err != nil {
		return err
	}
	if err := checkParams(c.QueryParams()); err != nil {
		return err
	}
	body, err := readBody(c, geoJSON, echo.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	ev, err := eventmap.DecodeFeature(body, geo.DefaultLimits)
	if err != nil {
		return err
	}
	if ev.ID != "" {
		return eventmap.Invalid("id", "is assigned by the server; leave it out of a new event")
	}
	rev, err := revision(c, who, body, "created", false)
	if err != nil {
		return err
	}
	// The fingerprint covers what defines the request: the same key with
	// a different body (or reason) is a client bug, not a retry.
	fp := sha256.New()
	fp.Write(body)
	fp.Write([]byte{0})
	fp.Write([]byte(rev.Reason))
	fingerprint := fp.Sum(nil)

	var resp store.StoredResponse
	replayed := false
	err = s.db.InTx(c.Request().Context(), func(tx *store.Tx) error {
		if key != "" {
			prior, err := tx.IdempotentReplay(c.Request().Context(), who.ID, key, fingerprint, s.cfg.IdempotencyTTL)
			if err != nil {
				return err
			}
			if prior != nil {
				resp, replayed = *prior, true
				return nil
			}
		}
		w, err := tx.CreateEvent(c.Request().Context(), ev, rev)
		if err != nil {
			return err
		}
		resp = store.StoredResponse{
			Status:   http.StatusCreated,
			Location: s.absURL(c, "/collections/events/items/"+w.ID, nil),
			ETag:     etag(w.Version),
			Body:     s.withItemLinks(c, w.ID, w.Feature),
		}
		if key != "" {
			return tx.SaveIdempotentResponse(c.Request().Context(), who.ID, key, fingerprint, resp, s.cfg.IdempotencyTTL)
		}
		return nil
	})
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderLocation, resp.Location)
	h.Set("ETag", resp.ETag)
	if replayed {
		h.Set("Idempotent-Replayed", "true")
	}
	return c.Blob(resp.Status, geoJSON, resp.Body)
}

// replaceHandler serves PUT /collections/events/items/{id}: the body is
// the whole new Feature.
func (s *Server) replaceHandler(c echo.Context) error {
	return s.update(c, geoJSON, echo.MIMEApplicationJSON)
}

// patchHandler serves PATCH /collections/events/items/{id}: an RFC 7396
// merge patch of the Feature ({"properties": {...}, "geometry": ...}).
func (s *Server) patchHandler(c echo.Context) error {
	return s.update(c, mergePatchJSON, echo.MIMEApplicationJSON)
}

// update is PUT and PATCH: the change is checked in full, then written with
// UPDATE ... WHERE version = If-Match, so of two editors racing on the same
// version exactly one wins and the other gets 412.
func (s *Server) update(c echo.Context, mediaTypes ...string) error {
	who, id, ifVersion, err := conditionalWrite(c, auth.Editor, "changing events")
	if err != nil {
		return err
	}
	body, err := readBody(c, mediaTypes...)
	if err != nil {
		return err
	}
	patch := c.Request().Method == http.MethodPatch
	ctx := c.Request().Context()
	var out []byte
	var version int64
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		current, err := lockAt(ctx, tx, id, ifVersion)
		if err != nil {
			return err
		}
		doc := body
		if patch {
			if doc, err = eventmap.MergePatch(editable(current), body); err != nil {
				return eventmap.Invalid("body", err.Error())
			}
		}
		ev, err := eventmap.DecodeFeature(doc, geo.DefaultLimits)
		if err != nil {
			return err
		}
		if ev.ID != "" && ev.ID != id {
			return eventmap.Invalid("id", "is assigned by the server and cannot change (this event is "+id+")")
		}
		ev.ID = id
		rev, err := revision(c, who, body, "updated", wasPublished(current))
		if err != nil {
			return err
		}
		w, err := tx.UpdateEvent(ctx, ev, ifVersion, rev)
		out, version = w.Feature, w.Version
		return err
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", etag(version))
	return c.Blob(http.StatusOK, geoJSON, s.withItemLinks(c, id, out))
}

// deleteHandler serves DELETE /collections/events/items/{id}: a soft
// delete, so the event leaves every read but keeps its history. Deleting
// needs the admin role; editors retract an event by setting its status.
func (s *Server) deleteHandler(c echo.Context) error {
	who, id, ifVersion, err := conditionalWrite(c, auth.Admin, "deleting events")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		current, err := lockAt(ctx, tx, id, ifVersion)
		if err != nil {
			return err
		}
		rev, err := revision(c, who, nil, "deleted", wasPublished(current))
		if err != nil {
			return err
		}
		_, err = tx.DeleteEvent(ctx, id, ifVersion, rev)
		return err
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// conditionalWrite checks what every write to an existing event needs
// before its body is read: the role, no query parameters, and If-Match.
func conditionalWrite(c echo.Context, need auth.Role, action string) (who store.TokenInfo, id string, ifVersion int64, err error) {
	if who, err = require(c, need, action); err != nil {
		return who, "", 0, err
	}
	if err = checkParams(c.QueryParams()); err != nil {
		return who, "", 0, err
	}
	ifVersion, err = ifMatch(c)
	return who, c.Param("id"), ifVersion, err
}

// lockAt locks event id for the rest of the transaction and returns it as
// served, or 412 if it is no longer at ifVersion. The UPDATE that follows
// checks the version again in its WHERE clause; this early check is what
// lets a merge patch refuse to apply to a version the client never saw.
func lockAt(ctx context.Context, tx *store.Tx, id string, ifVersion int64) ([]byte, error) {
	current, version, err := tx.LockedFeature(ctx, id, true)
	if err != nil {
		return nil, err
	}
	if version != ifVersion {
		return nil, eventmap.StaleVersion(id, version, ifVersion)
	}
	return current, nil
}

// readBody checks the content type and reads the body (the BodyLimit
// middleware caps its size).
func readBody(c echo.Context, mediaTypes ...string) ([]byte, error) {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || !slices.Contains(mediaTypes, mt) {
		return nil, &eventmap.Error{Code: eventmap.EMEDIATYPE,
			Detail: "Content-Type must be " + strings.Join(mediaTypes, " or ") + ", got " + strconv.Quote(ct),
			Errors: []eventmap.FieldError{{Field: "Content-Type", Rule: "must be " + strings.Join(mediaTypes, " or ")}}}
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, he
		}
		return nil, eventmap.Invalid("body", "could not be read: "+err.Error())
	}
	return body, nil
}

// ifMatch reads the version an update is based on from If-Match, which
// must hold one strong ETag as served by this API.
func ifMatch(c echo.Context) (int64, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" {
		return 0, &eventmap.Error{Code: eventmap.EPRECONDITION,
			Detail: "If-Match is required: send the ETag from your last read of the event, so you cannot overwrite a change you have not seen",
			Errors: []eventmap.FieldError{{Field: "If-Match", Rule: "is required on PUT, PATCH and DELETE"}}}
	}
	// The ETag of a gzipped read names the encoding ("3-gzip"); the
	// version is the same.
	h = strings.Replace(h, gzipSuffix+`"`, `"`, 1)
	if !strings.HasPrefix(h, `"`) || !strings.HasSuffix(h, `"`) || len(h) < 3 {
		return 0, eventmap.Invalid("If-Match", `must be one strong ETag such as "3", as given by the ETag header (not *, W/ or a list)`)
	}
	v, err := strconv.ParseInt(h[1:len(h)-1], 10, 64)
	if err != nil || v < 1 {
		return 0, eventmap.Invalid("If-Match", "is not an ETag this API gave out: "+h)
	}
	return v, nil
}

func etag(version int64) string { return `"` + formatInt(version) + `"` }

// idempotencyKeyRule: printable ASCII, as the IETF Idempotency-Key draft
// suggests (UUIDs fit).
var idempotencyKeyRule = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)

func idempotencyKey(c echo.Context) (string, error) {
	vals := c.Request().Header.Values("Idempotency-Key")
	if len(vals) == 0 {
		return "", nil
	}
	if len(vals) > 1 || !idempotencyKeyRule.MatchString(vals[0]) {
		return "", eventmap.Invalid("Idempotency-Key", "must be one value of 1 to 255 printable ASCII characters, such as a UUID")
	}
	return vals[0], nil
}

// revision says who writes and why. The reason comes from the
// X-Edit-Reason header or an "edit_reason" property; changing an event
// the public can already see needs one, since readers will ask why it
// changed.
func revision(c echo.Context, who store.TokenInfo, body []byte, fallback string, published bool) (eventmap.Revision, error) {
	reason := strings.TrimSpace(c.Request().Header.Get("X-Edit-Reason"))
	field := "X-Edit-Reason"
	if reason == "" && body != nil {
		reason, field = eventmap.EditReason(body), "properties.edit_reason"
	}
	if !utf8.ValidString(reason) || len(reason) > 2000 {
		return eventmap.Revision{}, eventmap.Invalid(field, "must be UTF-8 text of at most 2000 bytes")
	}
	if reason == "" {
		if published {
			return eventmap.Revision{}, eventmap.Invalid("X-Edit-Reason", "is required to change a published (public) event: say why, in the X-Edit-Reason header or an edit_reason property")
		}
		reason = fallback
	}
	return eventmap.Revision{Editor: who.Label + " (token " + who.ID + ")", Reason: reason}, nil
}

// editable is a served Feature without the members the server owns, as the
// base a merge patch applies to.
func editable(feature []byte) []byte {
	var f map[string]json.RawMessage
	if json.Unmarshal(feature, &f) != nil {
		return feature
	}
	var props map[string]json.RawMessage
	if json.Unmarshal(f["properties"], &props) == nil {
		for _, k := range []string{"version", "updated_at", "created_at", "editor"} {
			delete(props, k)
		}
		f["properties"], _ = json.Marshal(props)
	}
	delete(f, "links")
	out, _ := json.Marshal(f)
	return out
}

// wasPublished reports whether a served Feature is public.
func wasPublished(feature []byte) bool {
	var f struct {
		Properties struct {
			Visibility string `json:"visibility"`
		} `json:"properties"`
	}
	return json.Unmarshal(feature, &f) == nil && f.Properties.Visibility == "public"
}
