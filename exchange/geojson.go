package exchange

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"eventmap"
)

// collectionReader streams the Features of one FeatureCollection: the
// decoder walks the tokens and decodes one Feature at a time, so the
// collection is never held whole.
type collectionReader struct {
	dec     *json.Decoder
	lim     *rowLimiter
	n       int
	started bool
	done    bool
	ahead   featuresAhead
}

func newCollectionReader(r io.Reader) *collectionReader {
	c := &collectionReader{}
	c.lim = &rowLimiter{r: &bomSkipper{r: r}, unit: "Feature", whereNext: func() string { return "feature " + strconv.Itoa(c.n+1) }}
	c.dec = json.NewDecoder(c.lim)
	return c
}

func (c *collectionReader) Unit() string { return "feature" }

func (c *collectionReader) syntax(err error) error {
	var e *eventmap.Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return eventmap.Invalid("file", fmt.Sprintf("the GeoJSON ends early, after %d feature(s): the file is cut short", c.n))
	}
	return eventmap.Invalid("file", fmt.Sprintf("malformed GeoJSON at byte %d: %v", c.dec.InputOffset(), err))
}

// start reads up to the opening bracket of "features", checking that the
// members before it say FeatureCollection where they say anything.
func (c *collectionReader) start() error {
	c.started = true
	if tok, err := c.dec.Token(); err != nil {
		return c.syntax(err)
	} else if d, ok := tok.(json.Delim); !ok || d != '{' {
		return eventmap.Invalid("file", "must be a GeoJSON FeatureCollection object")
	}
	for c.dec.More() {
		tok, err := c.dec.Token()
		if err != nil {
			return c.syntax(err)
		}
		key, _ := tok.(string)
		switch key {
		case "features":
			tok, err := c.dec.Token()
			if err != nil {
				return c.syntax(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return eventmap.Invalid("features", "must be an array of Features")
			}
			c.lim.mark(c.dec.InputOffset())
			return nil
		case "type":
			var typ string
			if err := c.dec.Decode(&typ); err != nil || typ != "FeatureCollection" {
				return eventmap.Invalid("type", `must be "FeatureCollection" (for one Feature per line, use NDJSON)`)
			}
		default:
			var skip json.RawMessage
			if err := c.dec.Decode(&skip); err != nil {
				return c.syntax(err)
			}
		}
		c.lim.mark(c.dec.InputOffset())
	}
	return eventmap.Invalid("features", "is missing: a FeatureCollection lists its events in features")
}

func (c *collectionReader) Next() (eventmap.Row, error) { return c.ahead.next(c.readRaw) }

// readRaw reads the next Feature's bytes, not yet decoded.
func (c *collectionReader) readRaw() (int, []byte, error) {
	if c.done {
		return 0, nil, io.EOF
	}
	if !c.started {
		if err := c.start(); err != nil {
			return 0, nil, err
		}
	}
	if !c.dec.More() {
		c.done = true
		// The members after "features" (links, timeStamp) are not read:
		// what matters is that the array closed.
		if _, err := c.dec.Token(); err != nil {
			return 0, nil, c.syntax(err)
		}
		return 0, nil, io.EOF
	}
	var raw json.RawMessage
	if err := c.dec.Decode(&raw); err != nil {
		return 0, nil, c.syntax(err)
	}
	c.lim.mark(c.dec.InputOffset())
	c.n++
	return c.n, raw, nil
}

// featureRow checks one imported Feature with the API's rules.
func featureRow(line int, raw []byte) eventmap.Row {
	ev, err := eventmap.DecodeImportedFeature(raw, limits)
	if err != nil {
		var e *eventmap.Error
		if errors.As(err, &e) && len(e.Errors) > 0 {
			return eventmap.Row{Line: line, Errors: e.Errors}
		}
		return eventmap.Row{Line: line, Errors: []eventmap.FieldError{{Field: "feature", Rule: err.Error()}}}
	}
	if errs := checkID(ev); errs != nil {
		return eventmap.Row{Line: line, Errors: errs}
	}
	return eventmap.Row{Line: line, Event: ev}
}

// seqReader reads one Feature per line (NDJSON, GeoJSON text sequences:
// a leading RS on a line is allowed, RFC 8142).
type seqReader struct {
	br    *bufio.Reader
	line  int
	buf   []byte
	ahead featuresAhead
}

func newSeqReader(r io.Reader) *seqReader {
	return &seqReader{br: bufio.NewReaderSize(&bomSkipper{r: r}, 64<<10)}
}

func (s *seqReader) Unit() string { return "line" }

func (s *seqReader) Next() (eventmap.Row, error) { return s.ahead.next(s.readRaw) }

// readRaw reads the next line's Feature, not yet decoded; its bytes are
// the line buffer's own until the next call.
func (s *seqReader) readRaw() (int, []byte, error) {
	for {
		s.buf = s.buf[:0]
		s.line++
		for {
			chunk, err := s.br.ReadSlice('\n')
			s.buf = append(s.buf, chunk...)
			if len(s.buf) > MaxRowBytes {
				return 0, nil, eventmap.Invalid("line "+strconv.Itoa(s.line), fmt.Sprintf("is longer than %d bytes: one Feature per line is expected", MaxRowBytes))
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if errors.Is(err, io.EOF) && len(s.buf) == 0 {
				return 0, nil, io.EOF
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return 0, nil, eventmap.Invalid("file", "could not be read: "+err.Error())
			}
			break
		}
		text := bytes.TrimSpace(bytes.TrimLeft(s.buf, "\x1e"))
		if len(text) == 0 {
			continue
		}
		return s.line, text, nil
	}
}
