package auth

import (
	"strings"
	"testing"
)

func TestNewTokenSplitsAndMatches(t *testing.T) {
	tok, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Plain, "em_") || strings.Contains(tok.Plain, tok.ID+tok.ID) {
		t.Fatalf("token %q has the wrong shape", tok.Plain)
	}
	id, secret, err := Split(tok.Plain)
	if err != nil {
		t.Fatal(err)
	}
	if id != tok.ID {
		t.Errorf("id = %q, want %q", id, tok.ID)
	}
	if !SecretMatches(secret, tok.Hash) {
		t.Error("the token's own secret does not match its hash")
	}
	if SecretMatches(secret+"x", tok.Hash) {
		t.Error("a changed secret matches")
	}
	if strings.Contains(string(tok.Hash), secret) {
		t.Error("the hash contains the secret")
	}
	other, _ := NewToken()
	if other.Plain == tok.Plain || other.ID == tok.ID {
		t.Error("two tokens are the same")
	}
}

func TestSplitRejectsForeignTokens(t *testing.T) {
	for _, s := range []string{"", "em_", "em_abc", "Bearer x", "em_abcdefghabcdefgh", "em_ABCDEFGHABCDEFGH_x", "ghp_abcdefghabcdefgh_x", "em_abcdefghabcdefg1_x"} {
		if _, _, err := Split(s); err == nil {
			t.Errorf("Split(%q) accepted", s)
		}
	}
}

func TestRolesAreOrdered(t *testing.T) {
	cases := []struct {
		have, need Role
		want       bool
	}{
		{Anonymous, Reader, false},
		{Anonymous, Anonymous, false},
		{Reader, Reader, true},
		{Reader, Editor, false},
		{Editor, Reader, true},
		{Editor, Editor, true},
		{Editor, Admin, false},
		{Admin, Editor, true},
	}
	for _, c := range cases {
		if got := c.have.Allows(c.need); got != c.want {
			t.Errorf("%q.Allows(%q) = %v, want %v", c.have, c.need, got, c.want)
		}
	}
	if Anonymous.SeesRestricted() || !Reader.SeesRestricted() {
		t.Error("only token holders see restricted events")
	}
	if _, err := ParseRole("root"); err == nil {
		t.Error("ParseRole accepted root")
	}
}
