package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"eventmap"
	"eventmap/auth"
)

// TokenInfo describes a stored API token; the secret is never kept.
type TokenInfo struct {
	ID        string     `json:"id"`
	Role      auth.Role  `json:"role"`
	Label     string     `json:"label"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// CreateToken stores a new token's id and hash.
func (db *DB) CreateToken(ctx context.Context, t auth.Token, role auth.Role, label string, expires *time.Time) (TokenInfo, error) {
	info := TokenInfo{ID: t.ID, Role: role, Label: label, ExpiresAt: expires}
	err := db.db.QueryRowContext(ctx, `
		INSERT INTO api_tokens (id, secret_hash, role, label, expires_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
		t.ID, t.Hash, string(role), label, expires).Scan(&info.CreatedAt)
	if err != nil {
		return TokenInfo{}, wrapErr(err, "create token")
	}
	return info, nil
}

// ListTokens returns every token, newest first, revoked ones included so
// an operator can see what was issued.
func (db *DB) ListTokens(ctx context.Context) ([]TokenInfo, error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT id, role, label, created_at, expires_at, revoked_at
		FROM api_tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, wrapErr(err, "list tokens")
	}
	defer rows.Close()
	var out []TokenInfo
	for rows.Next() {
		var t TokenInfo
		var role string
		var exp, rev sql.NullTime
		if err := rows.Scan(&t.ID, &role, &t.Label, &t.CreatedAt, &exp, &rev); err != nil {
			return nil, wrapErr(err, "scan token")
		}
		t.Role = auth.Role(role)
		t.ExpiresAt, t.RevokedAt = timePtr(exp), timePtr(rev)
		out = append(out, t)
	}
	return out, wrapErr(rows.Err(), "list tokens")
}

// RevokeToken stops a token from working, at once and for every replica.
func (db *DB) RevokeToken(ctx context.Context, id string) error {
	res, err := db.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, id)
	if err != nil {
		return wrapErr(err, "revoke token")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return eventmap.Errorf(eventmap.ENOTFOUND, "no active token with id %q", id)
	}
	return nil
}

// Authenticate checks a bearer token and returns the token it names, or
// EUNAUTHORIZED if it is malformed, unknown, revoked or expired (one
// answer for all, so a caller learns nothing about which).
func (db *DB) Authenticate(ctx context.Context, bearer string) (TokenInfo, error) {
	denied := &eventmap.Error{Code: eventmap.EUNAUTHORIZED, Detail: "the token is unknown, revoked or expired",
		Errors: []eventmap.FieldError{{Field: "Authorization", Rule: "must hold a current token made by eventmap token create"}}}
	id, secret, err := auth.Split(bearer)
	if err != nil {
		return TokenInfo{}, denied
	}
	var t TokenInfo
	var role string
	var hash []byte
	var exp sql.NullTime
	err = db.db.QueryRowContext(ctx, `
		SELECT id, role, label, created_at, expires_at, secret_hash
		FROM api_tokens
		WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`, id).
		Scan(&t.ID, &role, &t.Label, &t.CreatedAt, &exp, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return TokenInfo{}, denied
	}
	if err != nil {
		return TokenInfo{}, wrapErr(err, "look up token")
	}
	if !auth.SecretMatches(secret, hash) {
		return TokenInfo{}, denied
	}
	t.Role, t.ExpiresAt = auth.Role(role), timePtr(exp)
	return t, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	u := t.Time.UTC()
	return &u
}
