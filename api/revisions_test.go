package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"eventmap"
)

// revisionDiffs is what the history tests read of GET …/revisions.
type revisionDiffs struct {
	Revisions []struct {
		Version   int64             `json:"version"`
		Editor    *string           `json:"editor"`
		PatchFrom *int64            `json:"patch_from"`
		Patch     json.RawMessage   `json:"patch"`
		Changes   []eventmap.Change `json:"changes"`
		Feature   json.RawMessage   `json:"feature"`
	} `json:"revisions"`
}

func (w *writeEnv) history(t *testing.T, id, token string) revisionDiffs {
	t.Helper()
	r := w.do(t, "GET", "/collections/events/items/"+id+"/revisions", token, "")
	if r.status != http.StatusOK {
		t.Fatalf("revisions of %s: %d %s", id, r.status, r.body)
	}
	var h revisionDiffs
	if err := json.Unmarshal(r.body, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

// checkPatches: each revision's merge patch turns the Feature of the
// version it names into its own (members set to null come back absent).
func checkPatches(t *testing.T, h revisionDiffs) {
	t.Helper()
	for i, r := range h.Revisions {
		if i == 0 {
			if r.PatchFrom != nil || string(r.Patch) != "null" || len(r.Changes) != 0 {
				t.Errorf("first revision: patch_from %v, patch %s, %d changes; want none", r.PatchFrom, r.Patch, len(r.Changes))
			}
			continue
		}
		prev := h.Revisions[i-1]
		if r.PatchFrom == nil || *r.PatchFrom != prev.Version {
			t.Errorf("version %d: patch_from %v, want %d", r.Version, r.PatchFrom, prev.Version)
			continue
		}
		got, err := eventmap.MergePatch(prev.Feature, r.Patch)
		if err != nil {
			t.Fatal(err)
		}
		var g, want map[string]any
		_ = json.Unmarshal(got, &g)
		_ = json.Unmarshal(r.Feature, &want)
		for _, f := range []map[string]any{g, want} {
			props := f["properties"].(map[string]any)
			for k, v := range props {
				if v == nil {
					delete(props, k)
				}
			}
		}
		if !reflect.DeepEqual(g, want) {
			t.Errorf("version %d: version %d patched with %s is\n%s\nwant\n%s", r.Version, prev.Version, r.Patch, got, r.Feature)
		}
	}
}

// The Dumayr raid's correction as API users and readers get it.
func TestRevisionsSayWhatChanged(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	h := w.history(t, dumayrID, "")
	if len(h.Revisions) != 2 {
		t.Fatalf("%d revisions", len(h.Revisions))
	}
	checkPatches(t, h)
	var title *eventmap.Change
	for i, c := range h.Revisions[1].Changes {
		if c.Property == "title" {
			title = &h.Revisions[1].Changes[i]
		}
	}
	if title == nil {
		t.Fatalf("the correction does not list the title: %+v", h.Revisions[1].Changes)
	}
	want := []eventmap.TextEdit{{Op: "=", Text: "US and Syrian Free Army raid in Dumayr"},
		{Op: "-", Text: "reported as the capture of an IS official"}, {Op: "+", Text: "killed Khaled al-Masoud, an undercover anti-IS agent"}}
	if !reflect.DeepEqual(title.Diff, want) {
		t.Errorf("title diff %+v", title.Diff)
	}
	var patch struct{ Properties map[string]any }
	_ = json.Unmarshal(h.Revisions[1].Patch, &patch)
	if patch.Properties["status"] != "corroborated" || patch.Properties["fatalities"] != 1.0 || patch.Properties["place"] != nil {
		t.Errorf("the correction's patch %s", h.Revisions[1].Patch)
	}

	page := w.do(t, "GET", "/collections/events/items/"+dumayrID+"/revisions?f=html", "", "")
	body := string(page.body)
	if page.status != http.StatusOK || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("history page: %d %s", page.status, page.header.Get("Content-Type"))
	}
	for _, s := range []string{
		`<del>reported as the capture of an IS official</del> <span class="arrow">→</span> <ins>killed Khaled al-Masoud, an undercover anti-IS agent</ins>`,
		`<del>unknown</del> <span class="arrow">→</span> <ins>1</ins>`,
		`<del>reported</del> <span class="arrow">→</span> <ins>corroborated</ins>`,
		`added: Khaled al-Masoud (victim)`,
		"Correction: family members", "Version 1: first recorded", "2025-12-01 12:00 UTC",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("history page lacks %q", s)
		}
	}
	if strings.Contains(body, "sample-data") {
		t.Error("the history page names the editor to an anonymous reader")
	}
	if strings.Index(body, "Version 2") > strings.Index(body, "Version 1") {
		t.Error("the history page is not newest first")
	}
	if !strings.Contains(string(w.do(t, "GET", "/collections/events/items/"+dumayrID+"/revisions?f=html", w.editor, "").body), "sample-data") {
		t.Error("a token holder is not shown the editor")
	}
	decodeProblem(t, w.do(t, "GET", "/collections/events/items/"+dumayrID+"/revisions?f=csv", "", ""), http.StatusBadRequest)
}

// Versions restricted at the time stay hidden from anonymous readers: the
// history they see goes from the last public version they could see to
// the next, and its patch and changes say nothing of the hidden ones.
func TestRevisionsHideRestrictedVersions(t *testing.T) {
	t.Parallel()
	w := newWriteEnv(t)
	id, _ := w.create(t, newEvent)
	patch := func(version, body string) {
		t.Helper()
		r := w.do(t, "PATCH", "/collections/events/items/"+id, w.editor, body,
			"Content-Type", "application/merge-patch+json", "If-Match", `"`+version+`"`, "X-Edit-Reason", "test")
		if r.status != http.StatusOK {
			t.Fatalf("PATCH: %d %s", r.status, r.body)
		}
	}
	patch("1", `{"properties":{"visibility":"restricted"}}`)
	patch("2", `{"properties":{"summary":"the informant's name"},"geometry":{"type":"Point","coordinates":[38.0,34.0]}}`)
	patch("3", `{"properties":{"visibility":"public","summary":""}}`)

	all := w.history(t, id, w.editor)
	if len(all.Revisions) != 4 {
		t.Fatalf("a token holder sees %d revisions, want 4", len(all.Revisions))
	}
	checkPatches(t, all)
	anon := w.history(t, id, "")
	if len(anon.Revisions) != 2 || anon.Revisions[1].Version != 4 {
		t.Fatalf("anonymous history: %d revisions", len(anon.Revisions))
	}
	checkPatches(t, anon)
	raw, _ := json.Marshal(anon)
	if strings.Contains(string(raw), "informant") || strings.Contains(string(raw), "restricted") {
		t.Errorf("the hidden versions leak into the public history: %s", raw)
	}
	var moved *float64
	for _, c := range anon.Revisions[1].Changes {
		if c.Property == "geometry" {
			moved = c.MovedKm
		}
	}
	// Palmyra (38.28, 34.55) to 38.0, 34.0: about 66 km.
	if moved == nil || *moved < 60 || *moved > 70 {
		t.Errorf("geometry moved %v km, want about 66: %+v", moved, anon.Revisions[1].Changes)
	}
}
