package api

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"eventmap"
)

// checkParams rejects parameters a handler does not know and parameters
// given twice. A misspelt filter (bbbox=) that is silently ignored returns
// the whole table and looks like an answer; a 400 says what went wrong.
func checkParams(q url.Values, allowed ...string) error {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			return eventmap.Invalid(k, "unknown parameter (allowed: "+strings.Join(allowed, ", ")+")")
		}
		if len(q[k]) > 1 {
			return eventmap.Invalid(k, "given more than once")
		}
	}
	return nil
}

// parseLimit applies the OGC API rule: a limit above the maximum is not an
// error but is clamped to the maximum.
func parseLimit(q url.Values, def, max int) (int, error) {
	v := q.Get("limit")
	if v == "" {
		if q.Has("limit") {
			return 0, eventmap.Invalid("limit", "must be an integer from 1 to "+strconv.Itoa(max))
		}
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		if isAllDigits(v) { // too large for an int: clamp like any large value
			return max, nil
		}
		return 0, eventmap.Invalid("limit", "must be an integer from 1 to "+strconv.Itoa(max)+", got "+strconv.Quote(v))
	}
	if n < 1 {
		return 0, eventmap.Invalid("limit", "must be at least 1, got "+v)
	}
	return min(n, max), nil
}

func isAllDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
