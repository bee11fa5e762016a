// Package eventmap holds the domain types shared by every layer: the event
// record and the one error type. It imports nothing else of ours, so store,
// api and cmd can all speak in its terms.
package eventmap

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to exactly one HTTP status, in api/problem.go.
const (
	EINVALID       = "invalid"                // the caller sent something that breaks a rule
	ENOTFOUND      = "not_found"              // no such resource, or not visible to the caller
	ECONFLICT      = "conflict"               // the write clashes with the current state
	EUNPROCESSABLE = "unprocessable"          // well-formed input the data rules reject (invalid geometry, reused idempotency key)
	ESTALE         = "stale"                  // If-Match names a version that is no longer current
	EPRECONDITION  = "precondition_required"  // an update came without If-Match
	EUNAUTHORIZED  = "unauthorized"           // no valid credentials where they are required, or bad ones given
	EFORBIDDEN     = "forbidden"              // valid credentials whose role does not allow the action
	EMEDIATYPE     = "unsupported_media_type" // a request body in a format the endpoint does not read
	EMETHOD        = "method_not_allowed"     // a method the resource does not answer (writes to a read-only collection)
	ETOOLARGE      = "too_large"              // a request body over the size limit
	ERATELIMIT     = "rate_limited"           // the client sent more requests than it may; retry later
	EUNAVAILABLE   = "unavailable"            // a dependency (the database) is down; retry later
	ETIMEOUT       = "timeout"                // the query ran past its time limit
	EINTERNAL      = "internal"               // a bug or an unexpected failure; details stay in the log
)

// FieldError names one field (query parameter, header or property) and the
// rule it broke, so a client can point at the exact input to fix.
type FieldError struct {
	Field string `json:"field"`
	Rule  string `json:"rule"`
}

// Error is the only error type that crosses package boundaries on purpose.
// Detail and Errors are shown to clients; Err is the underlying cause and is
// only ever logged.
type Error struct {
	Code   string
	Detail string
	Errors []FieldError
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Detail, e.Err)
	}
	return e.Code + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// Invalid reports one broken rule on one field: "bbox: expected 4 or 6
// numbers, got 3".
func Invalid(field, rule string) *Error {
	return &Error{
		Code:   EINVALID,
		Detail: field + ": " + rule,
		Errors: []FieldError{{Field: field, Rule: rule}},
	}
}

// Unprocessable reports input that is well-formed but breaks a rule only
// the data can check, such as a self-intersecting polygon.
func Unprocessable(field, rule string) *Error {
	e := Invalid(field, rule)
	e.Code = EUNPROCESSABLE
	return e
}

// StaleVersion reports a conditional write (If-Match) based on a version
// of the event that someone else's write has replaced.
func StaleVersion(id string, current, given int64) *Error {
	return &Error{
		Code:   ESTALE,
		Detail: fmt.Sprintf("event %s is at version %d, not %d: it changed since you read it", id, current, given),
		Errors: []FieldError{{Field: "If-Match", Rule: fmt.Sprintf(`must name the current version "%d"`, current)}},
	}
}

// Errorf builds an Error with a client-safe detail message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
