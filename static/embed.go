// Package static holds the web map: HTML, JavaScript, CSS, the vendored
// Leaflet files (copied from npm by scripts/vendor-js.sh) and the offline
// country outline. Everything is embedded, so the binary serves a working
// map with no network access and no npm at build time.
package static

import "embed"

// FS is the map's files, rooted at this folder.
//
//go:embed index.html css js vendor data
var FS embed.FS
