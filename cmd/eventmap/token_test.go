package main

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"eventmap/internal/testdb"
	"eventmap/store"
)

func TestTokenCommand(t *testing.T) {
	t.Parallel()
	url := testdb.NewEmpty(t) // the command migrates a fresh database itself
	env := func(k string) (string, bool) {
		if k == "DATABASE_URL" {
			return url, true
		}
		return "", false
	}
	ctx := context.Background()
	runCmd := func(args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append([]string{"token"}, args...), env, &out, &errOut)
		return out.String(), errOut.String(), err
	}

	plain, msg, err := runCmd("create", "--role", "editor", "--label", "Jane Monitor", "--expires", "30d")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, msg)
	}
	plain = strings.TrimSpace(plain)
	if !strings.HasPrefix(plain, "em_") || strings.Contains(plain, "\n") {
		t.Fatalf("create printed %q, want the token alone on stdout", plain)
	}
	if !strings.Contains(msg, "shown only now") {
		t.Errorf("create should warn that the token is shown once: %q", msg)
	}

	db, err := store.Open(ctx, store.Options{URL: url, StatementTimeout: 10 * time.Second, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	info, err := db.Authenticate(ctx, plain)
	if err != nil {
		t.Fatalf("the printed token does not authenticate: %v", err)
	}
	if info.Role != "editor" || info.Label != "Jane Monitor" || info.ExpiresAt == nil ||
		info.ExpiresAt.Sub(time.Now()) < 29*24*time.Hour || info.ExpiresAt.Sub(time.Now()) > 31*24*time.Hour {
		t.Errorf("stored token: %+v", info)
	}
	raw, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var stored string
	if err := raw.QueryRow(`SELECT encode(secret_hash, 'hex') FROM api_tokens`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, stored) || len(stored) != 64 {
		t.Errorf("the database should hold only a SHA-256 of the secret, got %q", stored)
	}

	list, _, err := runCmd("list")
	if err != nil || !strings.Contains(list, info.ID) || !strings.Contains(list, "Jane Monitor") || strings.Contains(list, plain) {
		t.Errorf("list: %v\n%s", err, list)
	}
	if _, _, err := runCmd("revoke", info.ID); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if _, err := db.Authenticate(ctx, plain); err == nil {
		t.Error("a revoked token still authenticates")
	}
	if list, _, _ := runCmd("list"); !strings.Contains(list, "revoked") {
		t.Errorf("list does not show the revocation:\n%s", list)
	}
	if _, _, err := runCmd("revoke", info.ID); err == nil {
		t.Error("revoking twice should fail")
	}

	for _, bad := range [][]string{
		{"create", "--role", "root", "--label", "x"},
		{"create", "--role", "editor"},
		{"create", "--role", "editor", "--label", "x", "--expires", "-5d"},
		{"create", "--role", "editor", "--label", "x", "--expires", "soon"},
		{"frobnicate"},
	} {
		if _, _, err := runCmd(bad...); err == nil {
			t.Errorf("token %v succeeded", bad)
		}
	}
	if _, _, err := runCmd("create", "--role", "admin", "--label", "ops", "--expires", "never"); err != nil {
		t.Errorf("--expires never: %v", err)
	}
}
