package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadPrecedence(t *testing.T) {
	env := envOf(map[string]string{
		"EVENTMAP_ADDR":              ":9000",
		"EVENTMAP_STATEMENT_TIMEOUT": "2s",
		"EVENTMAP_TILE_URL":          "", // set but empty: no tile layer
		"DATABASE_URL":               "postgres://env/db",
	})
	c, rest, err := Load("serve", []string{"-addr", "127.0.0.1:9001", "up"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9001" {
		t.Errorf("flag must beat environment: addr = %q", c.Addr)
	}
	if c.StatementTimeout != 2*time.Second {
		t.Errorf("environment must beat default: statement timeout = %v", c.StatementTimeout)
	}
	if c.TileURL != "" {
		t.Errorf("EVENTMAP_TILE_URL set to empty must turn tiles off, got %q", c.TileURL)
	}
	if c.DatabaseURL != "postgres://env/db" || c.MaxLimit != 10000 || c.DefaultLimit != 100 {
		t.Errorf("defaults/env not applied: %+v", c)
	}
	if len(rest) != 1 || rest[0] != "up" {
		t.Errorf("remaining args = %v", rest)
	}
}

func TestLoadDefaultsHaveTiles(t *testing.T) {
	c, _, err := Load("serve", nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.TileURL, "{z}") || c.Addr != "127.0.0.1:8080" {
		t.Errorf("defaults: %+v", c)
	}
	if err := c.RequireDatabase(); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("RequireDatabase without a URL: %v", err)
	}
}

func TestDatabaseURLFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db-url")
	if err := os.WriteFile(path, []byte("postgres://secret/db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := Load("serve", nil, envOf(map[string]string{"DATABASE_URL_FILE": path}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://secret/db" {
		t.Errorf("DatabaseURL = %q", c.DatabaseURL)
	}
}

// The read replica's URL, like the primary's, may come from a secret
// file; a flag or variable set explicitly wins over the file.
func TestDatabaseReadURL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "read-url")
	if err := os.WriteFile(path, []byte("postgres://standby/db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := Load("serve", nil, envOf(map[string]string{"DATABASE_URL": "postgres://primary/db", "DATABASE_READ_URL_FILE": path}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseReadURL != "postgres://standby/db" || c.DatabaseURL != "postgres://primary/db" {
		t.Errorf("read URL %q, primary %q", c.DatabaseReadURL, c.DatabaseURL)
	}
	c, _, err = Load("serve", []string{"-database-read-url", "postgres://flag/db"}, envOf(map[string]string{"DATABASE_READ_URL_FILE": path}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseReadURL != "postgres://flag/db" {
		t.Errorf("the flag lost to the file: %q", c.DatabaseReadURL)
	}
	if c, _, _ := Load("serve", nil, envOf(nil), io.Discard); c.DatabaseReadURL != "" {
		t.Errorf("default read URL %q, want none", c.DatabaseReadURL)
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"EVENTMAP_ADDR": "8080"}, "EVENTMAP_ADDR"},
		{map[string]string{"EVENTMAP_MAX_LIMIT": "0"}, "EVENTMAP_MAX_LIMIT"},
		{map[string]string{"EVENTMAP_STATEMENT_TIMEOUT": "soon"}, "EVENTMAP_STATEMENT_TIMEOUT"},
		{map[string]string{"EVENTMAP_LOG_FORMAT": "xml"}, "EVENTMAP_LOG_FORMAT"},
		{map[string]string{"EVENTMAP_PUBLIC_URL": "events.example.org"}, "EVENTMAP_PUBLIC_URL"},
		{map[string]string{"EVENTMAP_DEFAULT_LIMIT": "500", "EVENTMAP_MAX_LIMIT": "100"}, "above the maximum"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, _, err := Load("serve", nil, envOf(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestCountLimit(t *testing.T) {
	c, _, err := Load("serve", nil, envOf(nil), io.Discard)
	if err != nil || c.CountLimit != 100000 {
		t.Errorf("default count limit = %d, %v; want 100000", c.CountLimit, err)
	}
	c, _, err = Load("serve", nil, envOf(map[string]string{"EVENTMAP_COUNT_LIMIT": "0"}), io.Discard)
	if err != nil || c.CountLimit != 0 {
		t.Errorf("EVENTMAP_COUNT_LIMIT=0 (never count) gave %d, %v", c.CountLimit, err)
	}
	if _, _, err := Load("serve", []string{"-count-limit", "-1"}, envOf(nil), io.Discard); err == nil || !strings.Contains(err.Error(), "EVENTMAP_COUNT_LIMIT") {
		t.Errorf("negative count limit: error = %v", err)
	}
}
