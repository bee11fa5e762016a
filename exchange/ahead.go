package exchange

import (
	"runtime"
	"sync"

	"eventmap"
)

// featuresAhead reads Features ahead of the importer and decodes them
// on every core: decoding a Feature with the API's rules (eventmap's
// strict JSON) costs tens of microseconds, most of a large import's
// reading, while the database takes the rows before them. The rows come
// out in file order; an error of the file comes after the rows read
// before it, as it would one at a time.
type featuresAhead struct {
	lines []int
	raws  [][]byte
	arena []byte
	rows  []eventmap.Row
	at    int
	err   error
}

// Read ahead at most this many Features, or this many bytes of them.
const (
	aheadRows  = 512
	aheadBytes = 4 << 20
)

// next returns the next row, reading ahead with read (the line or
// number of a Feature, and its bytes, valid until the next call) when
// the rows read before are all returned.
func (a *featuresAhead) next(read func() (int, []byte, error)) (eventmap.Row, error) {
	if a.at == len(a.rows) {
		if a.err != nil {
			return eventmap.Row{}, a.err
		}
		a.fill(read)
	}
	if a.at == len(a.rows) {
		return eventmap.Row{}, a.err
	}
	row := a.rows[a.at]
	a.rows[a.at] = eventmap.Row{}
	a.at++
	return row, nil
}

func (a *featuresAhead) fill(read func() (int, []byte, error)) {
	a.lines, a.raws, a.arena, a.rows, a.at = a.lines[:0], a.raws[:0], a.arena[:0], a.rows[:0], 0
	var offsets []int
	for len(a.lines) < aheadRows && len(a.arena) < aheadBytes {
		line, raw, err := read()
		if err != nil {
			a.err = err
			break
		}
		offsets = append(offsets, len(a.arena))
		a.lines = append(a.lines, line)
		a.arena = append(a.arena, raw...)
	}
	// The arena may have moved as it grew: slice it once it is whole.
	for i, off := range offsets {
		end := len(a.arena)
		if i+1 < len(offsets) {
			end = offsets[i+1]
		}
		a.raws = append(a.raws, a.arena[off:end:end])
	}
	a.rows = append(a.rows, make([]eventmap.Row, len(a.raws))...)
	workers := min(runtime.GOMAXPROCS(0), 8, len(a.raws))
	if workers <= 1 {
		for i, raw := range a.raws {
			a.rows[i] = featureRow(a.lines[i], raw)
		}
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(a.raws); i += workers {
				a.rows[i] = featureRow(a.lines[i], a.raws[i])
			}
		}()
	}
	wg.Wait()
}
