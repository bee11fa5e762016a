package config

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// localDatabase finds the private PostGIS that scripts/pg.sh runs for a
// checkout (`make run` starts it), so that the commands work in that
// checkout without DATABASE_URL: the cluster in $EVENTMAP_PG_DIR when
// set, else in .data/pg of the checkout that holds the working directory
// ($PWD). ok is true only when the cluster is there and accepts
// connections; from names its directory whenever one was found, so the
// error for a stopped cluster can say which.
//
// The working directory comes from lookupEnv("PWD") rather than
// os.Getwd so that tests, which pass their own environment, never pick
// up the cluster of the checkout they run in.
func localDatabase(lookupEnv func(string) (string, bool)) (dbURL, from string, ok bool) {
	pwd, _ := lookupEnv("PWD")
	dir, _ := lookupEnv("EVENTMAP_PG_DIR")
	switch {
	case dir != "" && !filepath.IsAbs(dir) && pwd != "":
		dir = filepath.Join(pwd, dir) // as pg.sh reads it, from the working directory
	case dir == "" && pwd != "":
		root := checkoutRoot(pwd)
		if root == "" {
			return "", "", false
		}
		dir = filepath.Join(root, ".data", "pg")
	}
	if dir == "" || !filepath.IsAbs(dir) {
		return "", "", false
	}
	if _, err := os.Stat(dir); err != nil {
		return "", "", false
	}
	port, err1 := os.ReadFile(filepath.Join(dir, "port"))
	password, err2 := os.ReadFile(filepath.Join(dir, "password"))
	if err1 != nil || err2 != nil {
		return "", dir, false
	}
	p := strings.TrimSpace(string(port))
	if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
		return "", dir, false
	}
	addr := net.JoinHostPort("127.0.0.1", p)
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", dir, false
	}
	conn.Close()
	// The role and database pg.sh creates (DB_USER, DB_NAME there).
	u := url.URL{Scheme: "postgres", User: url.UserPassword("eventmap", strings.TrimSpace(string(password))),
		Host: addr, Path: "/eventmap", RawQuery: "sslmode=disable"}
	return u.String(), dir, true
}

// checkoutRoot is the nearest directory at or above dir that is an
// eventmap checkout (go.mod of module eventmap, and scripts/pg.sh), or "".
func checkoutRoot(dir string) string {
	for {
		mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(mod), "module eventmap\n") {
			if _, err := os.Stat(filepath.Join(dir, "scripts", "pg.sh")); err == nil {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// redact hides the password of a database URL for messages.
func redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
