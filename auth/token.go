// Package auth makes and checks API tokens and says what each role may do.
// It is pure: the store keeps tokens, the api asks this package about them.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
)

// Role is what a token may do. Each role may do everything the ones before
// it may.
type Role string

const (
	Anonymous Role = ""       // no token: public events only, no writes
	Reader    Role = "reader" // also sees restricted events
	Editor    Role = "editor" // also creates and changes events
	Admin     Role = "admin"  // also deletes events
)

// Roles lists the roles a token can have, weakest first.
var Roles = []Role{Reader, Editor, Admin}

// ParseRole accepts the name of a token role.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles, r) {
		return r, nil
	}
	return Anonymous, errors.New(`role must be one of reader, editor, admin; got "` + s + `"`)
}

// Allows reports whether r includes everything need grants.
func (r Role) Allows(need Role) bool {
	return slices.Index(Roles, r) >= slices.Index(Roles, need) && r != Anonymous
}

// SeesRestricted is true for roles that may read restricted events.
func (r Role) SeesRestricted() bool { return r.Allows(Reader) }

const prefix = "em_"

// idEncoding is lower-case base32 without padding: ids are safe in URLs,
// logs and the database CHECK.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Token is a newly made token: Plain is shown to the user once; ID and Hash
// are what the database keeps.
type Token struct {
	ID    string
	Plain string
	Hash  []byte
}

// NewToken makes a token "em_<id>_<secret>" with a 10-byte public id and a
// 32-byte random secret.
func NewToken() (Token, error) {
	var id [10]byte
	var secret [32]byte
	if _, err := rand.Read(id[:]); err != nil {
		return Token{}, err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return Token{}, err
	}
	s := base64.RawURLEncoding.EncodeToString(secret[:])
	t := Token{ID: idEncoding.EncodeToString(id[:]), Hash: HashSecret(s)}
	t.Plain = prefix + t.ID + "_" + s
	return t, nil
}

// HashSecret is what is stored for a secret: SHA-256, enough for a 256-bit
// random value (no password stretching needed).
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Split takes a token apart into its public id and its secret, or fails if
// it does not have the shape NewToken makes.
func Split(token string) (id, secret string, err error) {
	rest, ok := strings.CutPrefix(token, prefix)
	if !ok {
		return "", "", errors.New("not an eventmap token")
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != 16 || secret == "" || len(secret) > 100 {
		return "", "", errors.New("not an eventmap token")
	}
	if _, err := idEncoding.DecodeString(id); err != nil {
		return "", "", errors.New("not an eventmap token")
	}
	return id, secret, nil
}

// SecretMatches compares a presented secret with the stored hash in
// constant time, so response timing says nothing about how close a guess
// was.
func SecretMatches(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashSecret(secret), hash) == 1
}
