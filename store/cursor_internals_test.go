package store

// NewCursorForTest builds a cursor at a given position, for tests that
// check encoding without a database.
func NewCursorForTest(s Sort, values []any, id string, before bool) Cursor {
	return Cursor{sort: s.orDefault().String(), values: values, id: id, Before: before}
}

// CursorPosition exposes a decoded cursor's values and id.
func CursorPosition(c Cursor) ([]any, string) { return c.values, c.id }
