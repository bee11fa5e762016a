package cql2

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF    tokKind = iota
	tIdent          // bare identifier or keyword
	tQIdent         // "double-quoted" identifier: always a property
	tString         // 'single-quoted' character literal
	tNumber
	tLParen
	tRParen
	tComma
	tOp // = <> < <= > >=
)

type token struct {
	kind tokKind
	text string // identifier, string value, number source or operator
	pos  int    // 1-based byte offset of the token's first byte
}

// describe names a token in error messages; user text is quoted so an
// error can never be mistaken for part of the message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of filter"
	case tString:
		return "string " + quoteForError(t.text)
	case tQIdent:
		return "property " + quoteForError(t.text)
	case tLParen:
		return "'('"
	case tRParen:
		return "')'"
	case tComma:
		return "','"
	}
	return quoteForError(t.text)
}

func quoteForError(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return `"` + s + `"`
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9') || c == '.' || c == ':'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits cql2-text into tokens. Nothing is interpreted here beyond
// quoting, so every later error can point at a token's byte offset.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '(':
			toks = append(toks, token{tLParen, "(", start + 1})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")", start + 1})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ",", start + 1})
			i++
		case c == '=':
			toks = append(toks, token{tOp, "=", start + 1})
			i++
		case c == '<' || c == '>':
			op := string(c)
			if i+1 < len(src) && (src[i+1] == '=' || (c == '<' && src[i+1] == '>')) {
				op += string(src[i+1])
			}
			toks = append(toks, token{tOp, op, start + 1})
			i += len(op)
		case c == '!' && i+1 < len(src) && src[i+1] == '=':
			return nil, invalid(at(start), "'!=' is not CQL2; write <> for not equal")
		case c == '\'' || c == '"':
			s, n, err := quoted(src[i:], c, start)
			if err != nil {
				return nil, err
			}
			kind := tString
			if c == '"' {
				kind = tQIdent
				if s == "" {
					return nil, invalid(at(start), "empty quoted property name")
				}
			}
			toks = append(toks, token{kind, s, start + 1})
			i += n
		case isDigit(c) || c == '.' || ((c == '-' || c == '+') && i+1 < len(src) && (isDigit(src[i+1]) || src[i+1] == '.')):
			i = scanNumber(src, i)
			toks = append(toks, token{tNumber, src[start:i], start + 1})
		case isIdentStart(c):
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			toks = append(toks, token{tIdent, src[start:i], start + 1})
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			switch c {
			case '+', '-', '*', '/', '%', '^':
				return nil, invalid(at(start), "arithmetic (%q) is not supported", string(r))
			case '[', ']':
				return nil, invalid(at(start), "arrays are not supported")
			}
			return nil, invalid(at(start), "unexpected character %q", string(r))
		}
	}
	return append(toks, token{tEOF, "", len(src) + 1}), nil
}

// quoted reads a literal opened by q; a doubled q stands for one q, as in
// SQL. It returns the value and the bytes consumed.
func quoted(s string, q byte, start int) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != q {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), i + 1, nil
	}
	if q == '"' {
		return "", 0, invalid(at(start), "unterminated quoted property name (missing closing \")")
	}
	return "", 0, invalid(at(start), "unterminated string (missing closing ')")
}

// scanNumber returns the end of the number starting at i: an optional
// sign, digits with an optional fraction and an optional exponent. What
// follows is checked by strconv, so "1.2.3" becomes one bad number rather
// than two tokens.
func scanNumber(src string, i int) int {
	if src[i] == '-' || src[i] == '+' {
		i++
	}
	for i < len(src) && (isDigit(src[i]) || src[i] == '.') {
		i++
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			i = j
			for i < len(src) && isDigit(src[i]) {
				i++
			}
		}
	}
	// Letters glued to a number ("1abc", "0x1F") make it one bad token.
	for i < len(src) && isIdentPart(src[i]) {
		i++
	}
	return i
}

// at formats a 0-based byte offset as the 1-based "byte N" of messages.
func at(offset int) string { return "byte " + strconv.Itoa(offset+1) }

func atTok(t token) string { return "byte " + strconv.Itoa(t.pos) }
