package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"time"

	"eventmap"
)

// StoredResponse is the answer a write got, kept so a retry with the same
// Idempotency-Key gets it again.
type StoredResponse struct {
	Status   int
	Location string
	ETag     string
	Body     []byte
}

// IdempotentReplay looks up (tokenID, key) and holds a lock on that pair
// until the transaction ends, so concurrent retries of one request queue
// up behind the first instead of each creating an event. It returns the
// stored response when the same request was seen within ttl, nil when the
// key is new (or expired), and EUNPROCESSABLE when the key was used for a
// different request.
func (tx *Tx) IdempotentReplay(ctx context.Context, tokenID, key string, fingerprint []byte, ttl time.Duration) (*StoredResponse, error) {
	if err := tx.Lock(ctx, "idempotency "+tokenID+" "+key); err != nil {
		return nil, err
	}
	var r StoredResponse
	var fp []byte
	var expired bool
	err := tx.tx.QueryRowContext(ctx, `
		SELECT fingerprint, status, location, etag, body, created_at < now() - $3 * interval '1 microsecond'
		FROM idempotency_keys WHERE token_id = $1 AND key = $2`,
		tokenID, key, ttl.Microseconds()).Scan(&fp, &r.Status, &r.Location, &r.ETag, &r.Body, &expired)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrapErr(err, "read idempotency key")
	}
	if expired {
		if _, err := tx.tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE token_id = $1 AND key = $2`, tokenID, key); err != nil {
			return nil, wrapErr(err, "expire idempotency key")
		}
		return nil, nil
	}
	if !bytes.Equal(fp, fingerprint) {
		return nil, eventmap.Unprocessable("Idempotency-Key", "was already used with a different request body; use a new key for a new request")
	}
	return &r, nil
}

// SaveIdempotentResponse records the response to (tokenID, key) in the
// write's own transaction: the event and its replay record land together
// or not at all. Keys older than ttl are purged a few at a time as a side
// effect, so the table stays small without a separate job.
func (tx *Tx) SaveIdempotentResponse(ctx context.Context, tokenID, key string, fingerprint []byte, r StoredResponse, ttl time.Duration) error {
	_, err := tx.tx.ExecContext(ctx, `
		INSERT INTO idempotency_keys (token_id, key, fingerprint, status, location, etag, body)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		tokenID, key, fingerprint, r.Status, r.Location, r.ETag, r.Body)
	if err != nil {
		return wrapErr(err, "save idempotency key")
	}
	_, err = tx.tx.ExecContext(ctx, `
		DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
			SELECT ctid FROM idempotency_keys
			WHERE created_at < now() - $1 * interval '1 microsecond' LIMIT 100))`, ttl.Microseconds())
	return wrapErr(err, "purge idempotency keys")
}
