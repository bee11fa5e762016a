package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestVisibilityMatrix asserts what each kind of caller sees of a public
// and a restricted event through every way of reading: the item, the items
// list, its count, the CSV and HTML exports, the history and an "as of"
// read. For anyone without a token a restricted event does not exist: a
// 404 like any unknown id, never a 403, and never counted.
func TestVisibilityMatrix(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	callers := []struct {
		name, token    string
		seesRestricted bool
		refused        bool // every read is a 401
	}{
		{"anonymous", "", false, false},
		{"wrong token", "em_aaaaaaaaaaaaaaaa_not-a-real-secret", false, true},
		{"expired token", w.expired, false, true},
		{"reader", w.reader, true, false},
		{"editor", w.editor, true, false},
	}
	events := []struct {
		name, id   string
		restricted bool
	}{
		{"public", dumayrID, false},
		{"restricted", restrictedID, true},
	}
	const publicCount, allCount = 7, 8
	item := func(id string) string { return "/collections/events/items/" + id }
	for _, c := range callers {
		for _, ev := range events {
			visible := !ev.restricted || c.seesRestricted
			t.Run(c.name+"/"+ev.name, func(t *testing.T) {
				check := func(what string, r response, wantVisible func(response) bool) {
					t.Helper()
					switch {
					case c.refused:
						if r.status != http.StatusUnauthorized {
							t.Errorf("%s: status %d, want 401 for a bad token", what, r.status)
						}
					case visible && !wantVisible(r):
						t.Errorf("%s: the event is missing (status %d)", what, r.status)
					case !visible && wantVisible(r):
						t.Errorf("%s: a restricted event leaked to %s (status %d)", what, c.name, r.status)
					}
				}
				ok := func(r response) bool { return r.status == http.StatusOK }
				contains := func(r response) bool { return r.status == http.StatusOK && strings.Contains(string(r.body), ev.id) }

				r := w.do(t, "GET", item(ev.id), c.token, "")
				check("item", r, ok)
				if !c.refused && !visible && r.status != http.StatusNotFound {
					t.Errorf("item: status %d, want 404 (not 403: its existence is secret too)", r.status)
				}
				check("item as HTML", w.do(t, "GET", item(ev.id)+"?f=html", c.token, ""), ok)
				check("item as of now", w.do(t, "GET", item(ev.id)+"?as_of=2030-01-01T00:00:00Z", c.token, ""), ok)
				check("history", w.do(t, "GET", item(ev.id)+"/revisions", c.token, ""), contains)
				check("items", w.do(t, "GET", "/collections/events/items?limit=100", c.token, ""), contains)
				check("items as of now", w.do(t, "GET", "/collections/events/items?limit=100&as_of=2030-01-01T00:00:00Z", c.token, ""), contains)
				check("items, walked page by page", w.walkPages(t, "/collections/events/items?limit=2&sortby=-occurred_at", c.token), contains)
				check("clusters", w.do(t, "GET", "/collections/events/clusters?bbox=35.5,33,37.5,34&zoom=10", c.token, ""), contains)
				check("histogram", w.do(t, "GET", "/collections/events/histogram?interval=day&datetime="+
					map[bool]string{false: "2025-10-19", true: "2025-11-03"}[ev.restricted], c.token, ""), func(r response) bool {
					var h struct{ Buckets []struct{ Count int } }
					_ = json.Unmarshal(r.body, &h)
					return r.status == http.StatusOK && len(h.Buckets) == 1 && h.Buckets[0].Count == 1
				})
				check("items as CSV", w.do(t, "GET", "/collections/events/items?limit=100&f=csv", c.token, ""), contains)
				check("items as HTML", w.do(t, "GET", "/collections/events/items?limit=100&f=html", c.token, ""), contains)

				// The count: numberMatched over a filter that selects only
				// this event's day must be 1 or 0, never revealing it.
				day := map[bool]string{false: "2025-10-19", true: "2025-11-03"}[ev.restricted]
				r = w.do(t, "GET", "/collections/events/items?datetime="+day, c.token, "")
				check("count", r, func(r response) bool {
					var fc struct{ NumberMatched *int }
					_ = json.Unmarshal(r.body, &fc)
					return r.status == http.StatusOK && fc.NumberMatched != nil && *fc.NumberMatched == 1
				})
				if !c.refused {
					var fc struct{ NumberMatched *int }
					_ = json.Unmarshal(w.do(t, "GET", "/collections/events/items", c.token, "").body, &fc)
					want := publicCount
					if c.seesRestricted {
						want = allCount
					}
					if fc.NumberMatched == nil || *fc.NumberMatched != want {
						t.Errorf("numberMatched of everything = %v, want %d", fc.NumberMatched, want)
					}
				}
			})
		}
	}

	t.Run("a restricted 404 looks like an unknown id", func(t *testing.T) {
		a := w.do(t, "GET", item(restrictedID), "", "")
		b := w.do(t, "GET", item("6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e99"), "", "")
		strip := func(r response) string {
			var p problemBody
			_ = json.Unmarshal(r.body, &p)
			return fmt.Sprintf("%d %s %s", p.Status, p.Type, strings.ReplaceAll(p.Detail, restrictedID, "ID"))
		}
		if sa, sb := strip(a), strings.ReplaceAll(strip(b), "6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e99", "ID"); sa != sb {
			t.Errorf("restricted: %q; unknown: %q", sa, sb)
		}
	})
}

// walkPages follows next links from path and returns one response whose
// body holds every page's body, so "contains" asks about the whole walk.
func (w *writeEnv) walkPages(t *testing.T, path, token string) response {
	t.Helper()
	var all []byte
	var last response
	for i := 0; path != "" && i < 20; i++ {
		last = w.do(t, "GET", path, token, "")
		if last.status != http.StatusOK {
			return last
		}
		all = append(all, last.body...)
		var fc featureCollection
		_ = json.Unmarshal(last.body, &fc)
		path = strings.TrimPrefix(linkHref(fc, "next"), w.ts.URL)
	}
	last.body = all
	return last
}
