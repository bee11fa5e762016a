// Package migrations holds the numbered SQL files that build the schema.
// They are embedded so the binary migrates any database it is pointed at;
// store.Migrator applies them with goose under an advisory lock.
package migrations

import "embed"

// FS holds every migration, named NNNNN_description.sql.
//
//go:embed *.sql
var FS embed.FS
