package config

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

// The settings table of docs/configuration.md is made from settings(), so
// the page cannot drift from the flags the binary has. Regenerate it with
//
//	go test ./config -run TestConfigurationDocMatchesSettings -update
var update = flag.Bool("update", false, "rewrite the settings table in "+configDoc+" from settings()")

const (
	configDoc     = "../docs/configuration.md"
	settingsBegin = "<!-- settings:begin -->"
	settingsEnd   = "<!-- settings:end -->"
	regenerate    = "go test ./config -run TestConfigurationDocMatchesSettings -update"
)

func TestConfigurationDocMatchesSettings(t *testing.T) {
	b, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatalf("the configuration page must exist: %v", err)
	}
	page := string(b)
	before, table, after, err := splitSettingsTable(page)
	if err != nil {
		t.Fatalf("%s: %v", configDoc, err)
	}
	want := settingsTable(settings())
	if table == want {
		return
	}
	if *update {
		if err := os.WriteFile(configDoc, []byte(before+want+after), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("rewrote the settings table of %s", configDoc)
		return
	}
	t.Errorf("the settings table of %s differs from settings() in config/config.go "+
		"(- in the page, + made from the code):\n%s\nthe table is made from the code: change a setting in config/config.go, not the page, then regenerate the table with:\n\t%s",
		configDoc, lineDiff(table, want), regenerate)
}

// splitSettingsTable cuts page around the text between the two marker
// lines; the markers stay in before and after.
func splitSettingsTable(page string) (before, table, after string, err error) {
	if strings.Count(page, settingsBegin) != 1 || strings.Count(page, settingsEnd) != 1 {
		return "", "", "", fmt.Errorf("needs exactly one %s line and one %s line around the settings table", settingsBegin, settingsEnd)
	}
	i := strings.Index(page, settingsBegin) + len(settingsBegin)
	j := strings.Index(page, settingsEnd)
	if j < i {
		return "", "", "", fmt.Errorf("%s comes before %s", settingsEnd, settingsBegin)
	}
	return page[:i] + "\n", strings.TrimPrefix(page[i:j], "\n"), page[j:], nil
}

// settingsTable renders the settings as the Markdown table of the page.
func settingsTable(ss []setting) string {
	var b strings.Builder
	b.WriteString("| flag | environment | default | meaning |\n|---|---|---|---|\n")
	for _, s := range ss {
		def := "(empty)"
		if s.def != "" {
			def = code(s.def)
		}
		b.WriteString("| " + code("-"+s.flag) + " | " + code(s.env) + " | " + def + " | " + cell(s.help) + " |\n")
	}
	return b.String()
}

// cell escapes what would end a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// code makes a code span of s, fenced by more backticks than s holds in a
// row (CommonMark), with the cell's pipes escaped.
func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + cell(s) + pad + fence
}

// lineDiff lists the lines only in a (prefixed -) and only in b (+), in
// order, with the lines both share as context (a longest common
// subsequence; the tables are a few dozen lines).
func lineDiff(a, b string) string {
	x, y := lines(a), lines(b)
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			out.WriteString("  " + x[i] + "\n")
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			out.WriteString("- " + x[i] + "\n")
			i++
		default:
			out.WriteString("+ " + y[j] + "\n")
			j++
		}
	}
	return out.String()
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
