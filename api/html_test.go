package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// What a reader of the items and item pages sees: local times to their
// precision, type labels from the event_types table, no ", SYR" for an
// event without a place.
func TestPagesReadLikeTheReport(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	noPlace := strings.Replace(newEvent, `"place":"Palmyra",`, `"place":"",`, 1)
	noPlace = strings.Replace(noPlace, `"type":"clash"`, `"type":"cache_destruction"`, 1)
	id, _ := w.create(t, noPlace)

	items := string(w.do(t, "GET", "/collections/events/items?f=html&limit=100", "", "").body)
	for _, want := range []string{
		`<time datetime="2025-10-19T00:00:00Z" title="2025-10-19 00:00 UTC">19 Oct 2025, 03:00 UTC+03:00</time>`,
		`<time datetime="2025-11-01T00:00:00Z" title="1 Nov 2025 – 30 Nov 2025">November 2025</time>`,
		`title="10 Jun 2025 – 16 Jun 2025">week of 10 Jun 2025</time>`,
		`<td data-label="Type">Weapons cache destroyed</td>`,
		`<td data-label="Type">Air or drone strike</td>`,
	} {
		if !strings.Contains(items, want) {
			t.Errorf("items page lacks %q", want)
		}
	}
	if strings.Contains(items, "cache_destruction") || strings.Contains(items, "(month)") {
		t.Error("the items page shows a type code or a precision code")
	}
	if regexp.MustCompile(`<td data-label="Place">,|, ,|data-label="Place">\s*, `).MatchString(items) {
		t.Error("a stray separator for an empty place")
	}
	if !strings.Contains(items, `href="`+w.ts.URL+`/collections/events/items/`+id+`?f=html">Clash near Palmyra</a></td>
<td data-label="Place">SYR</td>`) {
		t.Errorf("the event without a place is not listed as just its country")
	}

	item := w.do(t, "GET", "/collections/events/items/"+dumayrID+"?f=html", "", "")
	body := string(item.body)
	if item.status != http.StatusOK {
		t.Fatal(item.status)
	}
	for _, want := range []string{"19 Oct 2025, 03:00 UTC+03:00</time> <span class=\"muted\">(2025-10-19 00:00 UTC)</span>",
		"<dd>Raid</dd>", "Dumayr, Rif Dimashq, SYR", "/revisions?f=html\">history of changes</a>"} {
		if !strings.Contains(body, want) {
			t.Errorf("item page lacks %q", want)
		}
	}
}
