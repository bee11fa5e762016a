package store

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Cursor marks a position in the default order (occurred_at DESC, id DESC):
// the next page starts strictly after it. Keyset paging keeps page 500 as
// cheap as page 1, where OFFSET would read and drop every earlier row.
type Cursor struct {
	OccurredAt time.Time
	ID         string
}

// Encode returns the cursor as an opaque URL-safe token.
func (c Cursor) Encode() string {
	raw := strconv.FormatInt(c.OccurredAt.UnixMicro(), 10) + "|" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor reads a token made by Encode.
func DecodeCursor(s string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, errors.New("not a cursor issued by this server (use the next link as given)")
	}
	us, id, ok := strings.Cut(string(raw), "|")
	micros, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || !isUUID(id) {
		return Cursor{}, errors.New("not a cursor issued by this server (use the next link as given)")
	}
	return Cursor{OccurredAt: time.UnixMicro(micros).UTC(), ID: id}, nil
}

// isUUID reports whether s is a UUID in canonical 8-4-4-4-12 hex form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// IsEventID reports whether s can be an event id; anything else is a 404
// without asking the database.
func IsEventID(s string) bool { return isUUID(s) }
