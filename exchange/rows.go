package exchange

import "strconv"

// Rows the database wrote. A bulk export reads rows PostgreSQL keeps in
// the file's format (store.ExportEvents: the stored Features, or the
// stored CSV lines), joined in large chunks, so Go copies text instead of
// writing one row at a time. RowsWriter takes such a chunk.

// RowsWriter is a Writer that also takes rows the database wrote.
type RowsWriter interface {
	Writer
	// WriteRows writes n rows at once: Features joined by
	// RowSeparator(format), or CSV lines (each ending in "\n") as
	// CSVLookups describe them.
	WriteRows(rows []byte, n int) error
}

// RowSeparator is what the database puts between two Features of a chunk
// for format f: the separator the Writer itself writes between them.
func RowSeparator(f Format) string {
	if f == GeoJSON {
		return ",\n"
	}
	return "\n"
}

func (c *collectionWriter) WriteRows(rows []byte, n int) error {
	if n == 0 {
		return nil
	}
	if c.n > 0 {
		c.bw.WriteByte(',')
	}
	c.n += n
	c.bw.WriteByte('\n')
	_, err := c.bw.Write(rows)
	return err
}

func (s *seqWriter) WriteRows(rows []byte, n int) error {
	if n == 0 {
		return nil
	}
	s.bw.Write(rows)
	return s.bw.WriteByte('\n')
}

// WriteRows writes CSV lines that are already quoted and terminated, after
// the header and whatever rows Write has buffered.
func (c *CSVWriter) WriteRows(rows []byte, n int) error {
	if !c.header {
		c.header = true
		if err := c.w.Write(Columns); err != nil {
			return err
		}
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	_, err := c.out.Write(rows)
	return err
}

func (f *flushing) WriteRows(rows []byte, n int) error {
	return f.Writer.(*CSVWriter).WriteRows(rows, n)
}

// CSVLookups are the tables record reads besides the event, for a writer
// of the same rows in SQL (store's CSV export): ACLED's type triples by
// our type, our type by ACLED's event and sub-event type, the countries,
// and the ACLED columns kept in extra.
type CSVLookups struct {
	ToACLED    map[string][3]string         // our type: disorder, event, sub-event type
	ACLEDTypes map[string]map[string]string // ACLED event type: sub-event type: ours
	Countries  map[string][2]string         // alpha-3: ACLED's iso (numeric, as text), name
	ByNumeric  map[string]string            // numeric code (canonical digits): alpha-3
	ByName     map[string]string            // lower-case name or alias: alpha-3
	Kept       []string                     // keptColumns
	// TimePrecisionCode and GeoPrecisionCode are ours to ACLED's codes.
	TimePrecisionCode, GeoPrecisionCode map[string]string
}

// Lookups returns CSVLookups.
func Lookups() CSVLookups {
	l := CSVLookups{
		ToACLED: toACLED, ACLEDTypes: acledTypes, Kept: keptColumns,
		Countries: map[string][2]string{}, ByNumeric: map[string]string{}, ByName: map[string]string{},
		TimePrecisionCode: map[string]string{}, GeoPrecisionCode: map[string]string{},
	}
	for a3, c := range byAlpha3 {
		l.Countries[a3] = [2]string{strconv.Itoa(c.numeric), c.name}
	}
	for n, c := range byNumeric {
		l.ByNumeric[strconv.Itoa(n)] = c.alpha3
	}
	for name, c := range byName {
		l.ByName[name] = c.alpha3
	}
	for code, v := range timePrecisionCode {
		l.TimePrecisionCode[v] = code
	}
	for code, v := range geoPrecisionCode {
		l.GeoPrecisionCode[v] = code
	}
	return l
}

// CSVOf is the CSVWriter behind a Writer NewWriter made for CSV, or nil.
func CSVOf(w Writer) *CSVWriter {
	if f, ok := w.(*flushing); ok {
		c, _ := f.Writer.(*CSVWriter)
		return c
	}
	return nil
}
