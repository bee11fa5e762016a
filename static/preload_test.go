package static

import (
	"io/fs"
	"regexp"
	"slices"
	"testing"
)

// The map's page asks for every module of the map up front: without a
// modulepreload link a module is fetched only once the module importing it
// has arrived and been parsed, one round trip per level of imports (four
// on the map's first load). A module added to js/ must be listed, and a
// listed one must exist.
func TestIndexPreloadsEveryModule(t *testing.T) {
	page, err := fs.ReadFile(FS, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	var preloaded []string
	for _, m := range regexp.MustCompile(`<link rel="modulepreload" href="([^"]+)">`).FindAllStringSubmatch(string(page), -1) {
		preloaded = append(preloaded, m[1])
	}
	modules, err := fs.Glob(FS, "js/*.js")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(preloaded)
	slices.Sort(modules)
	if !slices.Equal(preloaded, modules) {
		t.Errorf("index.html preloads %v; the modules in js/ are %v", preloaded, modules)
	}
}
