package store_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"eventmap"
	"eventmap/api"
	"eventmap/exchange"
	"eventmap/internal/testdb"
	"eventmap/store"
)

func importFile(t *testing.T, db *store.DB, path string, req api.ImportRequest) (*exchange.Report, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if req.Name == "" {
		req.Name = path
	}
	if req.Editor == "" {
		req.Editor = "test"
	}
	return api.ImportFile(context.Background(), db, f, req)
}

func TestImportACLEDSample(t *testing.T) {
	t.Parallel()
	db := testdb.Open(t)
	rep, err := importFile(t, db, "../testdata/acled_sample.csv", api.ImportRequest{})
	if err != nil {
		var sb strings.Builder
		rep.WriteText(&sb)
		t.Fatalf("%v\n%s", err, sb.String())
	}
	var sb strings.Builder
	rep.WriteText(&sb)
	t.Log(sb.String())
	if rep.Created != 6 || rep.Rejected != 0 || !rep.Committed {
		t.Fatalf("report %+v", rep)
	}
	rep, err = importFile(t, db, "../testdata/acled_sample.csv", api.ImportRequest{})
	if err != nil || rep.Unchanged != 6 || rep.Created != 0 || rep.Updated != 0 {
		t.Fatalf("second import: %v %+v", err, rep)
	}
	_ = eventmap.EINVALID
}
