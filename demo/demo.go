// Package demo loads the sample events: the Dumayr raid with its
// correction, the weapons caches in southern Syria, the Badiya region and
// a few clearly labelled fictional events, so a new install has something
// to show and tests have known data.
package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"eventmap"
	"eventmap/geo"
	"eventmap/store"
)

//go:embed sample.json
var sampleJSON []byte

type sampleFile struct {
	Regions []struct {
		ID          string          `json:"id"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Approximate bool            `json:"approximate"`
		Geometry    json.RawMessage `json:"geometry"`
	} `json:"regions"`
	Events []struct {
		Name    string `json:"name"`
		History []struct {
			RecordedAt time.Time       `json:"recorded_at"`
			Editor     string          `json:"editor"`
			Reason     string          `json:"reason"`
			Feature    json.RawMessage `json:"feature"`
		} `json:"history"`
	} `json:"events"`
}

// Result says what Load did.
type Result struct {
	Created, Skipped int
}

// Load writes the sample data. It is idempotent: events already present
// (by id) are left alone, so running it twice gives the same rows and a
// second start does no work. Everything happens in one transaction under
// an advisory lock, so two concurrent runs cannot interleave.
func Load(ctx context.Context, db *store.DB) (Result, error) {
	var f sampleFile
	if err := json.Unmarshal(sampleJSON, &f); err != nil {
		return Result{}, fmt.Errorf("demo: unable to read sample data: %w", err)
	}
	var res Result
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.Lock(ctx, "eventmap demo-data"); err != nil {
			return err
		}
		for _, r := range f.Regions {
			g, err := geo.ParseGeometry(r.Geometry, geo.DefaultLimits)
			if err != nil {
				return fmt.Errorf("demo: region %s: %w", r.ID, err)
			}
			if err := tx.PutRegion(ctx, eventmap.Region{ID: r.ID, Name: r.Name, Description: r.Description, Geometry: g, Approximate: r.Approximate}); err != nil {
				return err
			}
		}
		for _, e := range f.Events {
			first, err := eventmap.DecodeFeature(e.History[0].Feature, geo.DefaultLimits)
			if err != nil {
				return fmt.Errorf("demo: event %s: %w", e.Name, err)
			}
			if _, exists, err := tx.EventVersion(ctx, first.ID); err != nil {
				return err
			} else if exists {
				res.Skipped++
				continue
			}
			var version int64
			for i, h := range e.History {
				ev, err := eventmap.DecodeFeature(h.Feature, geo.DefaultLimits)
				if err != nil {
					return fmt.Errorf("demo: event %s version %d: %w", e.Name, i+1, err)
				}
				rev := eventmap.Revision{Editor: h.Editor, Reason: h.Reason, RecordedAt: h.RecordedAt}
				var w store.Written
				if i == 0 {
					w, err = tx.CreateEvent(ctx, ev, rev)
				} else {
					w, err = tx.UpdateEvent(ctx, ev, version, rev)
				}
				version = w.Version
				if err != nil {
					return fmt.Errorf("demo: event %s version %d: %w", e.Name, i+1, err)
				}
			}
			res.Created++
		}
		return nil
	})
	return res, err
}
