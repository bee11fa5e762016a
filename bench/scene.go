package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math"

	"eventmap/demo"
)

// scene is where in a loaded database the map and the items pages are
// measured: found from the data, not assumed, so a change of generator
// moves the measurements with the events.
type scene struct {
	// public is how many events an anonymous reader sees: what
	// numberMatched and ogrinfo's feature count must say.
	public int64
	// dense is the 0.2°×0.2° box (on a 0.01° grid) whose events are most
	// numerous; denseEvents how many events intersect it, as an items
	// query with that bbox selects them.
	dense       box
	denseEvents int64
	// town is the synthetic town nearest the dense box's centre; the map
	// views of high zooms are centred on the box.
	town string
	// tiles are the crowded tiles: at each zoom of crowdedZooms, the tile
	// over the dense box with the most events.
	tiles []crowdedTile
}

func (s scene) center() (lon, lat float64) {
	return (s.dense[0] + s.dense[2]) / 2, (s.dense[1] + s.dense[3]) / 2
}

type crowdedTile struct {
	z, x, y int
	events  int64 // events whose 0.01° cell centre lies on the tile
}

// denseCells is the side of the dense box in grid cells of 0.01°.
const (
	gridPerDegree = 100
	denseCells    = 20
)

var crowdedZooms = []int{6, 7, 8, 9, 10, 11, 12}

// findScene counts the public events per 0.01° cell (at the point an
// event is clustered at) and slides a 20×20-cell window over the counts
// with a summed-area table: the densest 0.2° box. One pass over the
// table, a second or two at 1 M events.
func findScene(ctx context.Context, url string) (scene, error) {
	var s scene
	db, err := sql.Open("postgres", url)
	if err != nil {
		return s, err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE deleted_at IS NULL AND visibility = 'public'`).Scan(&s.public); err != nil {
		return s, fmt.Errorf("count events: %w", err)
	}
	rows, err := db.QueryContext(ctx, `
		SELECT floor(ST_X(p) * 100)::int, floor(ST_Y(p) * 100)::int, count(*)
		FROM (SELECT ST_PointOnSurface(geom) AS p FROM events
		      WHERE deleted_at IS NULL AND visibility = 'public') e
		GROUP BY 1, 2`)
	if err != nil {
		return s, fmt.Errorf("count events per cell: %w", err)
	}
	type cell struct{ i, j, n int }
	var cells []cell
	minI, minJ, maxI, maxJ := math.MaxInt, math.MaxInt, math.MinInt, math.MinInt
	for rows.Next() {
		var c cell
		if err := rows.Scan(&c.i, &c.j, &c.n); err != nil {
			rows.Close()
			return s, err
		}
		cells = append(cells, c)
		minI, minJ = min(minI, c.i), min(minJ, c.j)
		maxI, maxJ = max(maxI, c.i), max(maxJ, c.j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}
	if len(cells) == 0 {
		return s, fmt.Errorf("no public events")
	}
	w, h := maxI-minI+1, maxJ-minJ+1
	if w*h > 50_000_000 {
		return s, fmt.Errorf("events spread over %d×%d cells of 0.01°: too wide for the dense-box search", w, h)
	}
	// sat[(j)*(w+1)+i] is the sum of cells left of i and below j.
	sat := make([]int64, (w+1)*(h+1))
	for _, c := range cells {
		sat[(c.j-minJ+1)*(w+1)+(c.i-minI+1)] += int64(c.n)
	}
	for j := 1; j <= h; j++ {
		for i := 1; i <= w; i++ {
			sat[j*(w+1)+i] += sat[(j-1)*(w+1)+i] + sat[j*(w+1)+i-1] - sat[(j-1)*(w+1)+i-1]
		}
	}
	sum := func(i0, j0, i1, j1 int) int64 { // cells i0 <= i < i1, j0 <= j < j1, grid-relative, clamped
		i0, j0 = max(0, i0), max(0, j0)
		i1, j1 = min(w, i1), min(h, j1)
		if i0 >= i1 || j0 >= j1 {
			return 0
		}
		return sat[j1*(w+1)+i1] - sat[j0*(w+1)+i1] - sat[j1*(w+1)+i0] + sat[j0*(w+1)+i0]
	}
	var best int64 = -1
	bi, bj := 0, 0
	for j := -denseCells + 1; j < h; j++ {
		for i := -denseCells + 1; i < w; i++ {
			if n := sum(i, j, i+denseCells, j+denseCells); n > best {
				best, bi, bj = n, i, j
			}
		}
	}
	deg := func(k, base int) float64 { return float64(k+base) / gridPerDegree }
	s.dense = box{deg(bi, minI), deg(bj, minJ), deg(bi+denseCells, minI), deg(bj+denseCells, minJ)}
	if err := db.QueryRowContext(ctx, `
		SELECT count(*) FROM events
		WHERE deleted_at IS NULL AND visibility = 'public'
		  AND ST_Intersects(geom, ST_MakeEnvelope($1, $2, $3, $4, 4326))`,
		s.dense[0], s.dense[1], s.dense[2], s.dense[3]).Scan(&s.denseEvents); err != nil {
		return s, fmt.Errorf("count the dense box: %w", err)
	}
	lon, lat := s.center()
	nearest := math.Inf(1)
	for _, t := range demo.SyntheticTowns() {
		if d := math.Hypot(t.Lon-lon, t.Lat-lat); d < nearest {
			nearest, s.town = d, t.Name
		}
	}
	// Crowded tiles: of the tiles the dense box touches at each zoom, the
	// one holding the most events, counted from the cells' centres.
	for _, z := range crowdedZooms {
		x0, y1 := tileOf(s.dense[0], s.dense[1], z)
		x1, y0 := tileOf(s.dense[2], s.dense[3], z)
		var t crowdedTile
		t.events = -1
		for x := x0; x <= x1; x++ {
			for y := y0; y <= y1; y++ {
				w, so, e, n := tileBounds(z, x, y)
				i0 := int(math.Ceil(w*gridPerDegree-0.5)) - minI
				i1 := int(math.Ceil(e*gridPerDegree-0.5)) - minI
				j0 := int(math.Ceil(so*gridPerDegree-0.5)) - minJ
				j1 := int(math.Ceil(n*gridPerDegree-0.5)) - minJ
				if c := sum(i0, j0, i1, j1); c > t.events {
					t = crowdedTile{z: z, x: x, y: y, events: c}
				}
			}
		}
		s.tiles = append(s.tiles, t)
	}
	return s, nil
}

// Web Mercator, as the map and the tiles use it: 256-pixel tiles, y from
// the north, latitudes clamped to ±85.0511°.
func mercX(lon float64, z int) float64 { return (lon + 180) / 360 * 256 * math.Exp2(float64(z)) }
func mercY(lat float64, z int) float64 {
	phi := max(-85.0511, min(85.0511, lat)) * math.Pi / 180
	return (1 - math.Log(math.Tan(phi)+1/math.Cos(phi))/math.Pi) / 2 * 256 * math.Exp2(float64(z))
}
func mercLon(x float64, z int) float64 { return x/(256*math.Exp2(float64(z)))*360 - 180 }
func mercLat(y float64, z int) float64 {
	n := math.Pi * (1 - 2*y/(256*math.Exp2(float64(z))))
	return math.Atan(math.Sinh(n)) * 180 / math.Pi
}

func tileOf(lon, lat float64, z int) (x, y int) {
	return int(mercX(lon, z) / 256), int(mercY(lat, z) / 256)
}

func tileBounds(z, x, y int) (w, s, e, n float64) {
	return mercLon(float64(x*256), z), mercLat(float64((y+1)*256), z), mercLon(float64((x+1)*256), z), mercLat(float64(y*256), z)
}

// mapView is the bbox a map of wpx×hpx pixels shows at zoom centred on
// lon, lat, clamped as the map's loader clamps it (lon ±180, lat ±85) and
// rounded to 1e-5 degree.
func mapView(lon, lat float64, z, wpx, hpx int) box {
	cx, cy := mercX(lon, z), mercY(lat, z)
	r := func(v float64) float64 { return math.Round(v*1e5) / 1e5 }
	return box{
		r(max(-180, mercLon(cx-float64(wpx)/2, z))), r(max(-85, mercLat(cy+float64(hpx)/2, z))),
		r(min(180, mercLon(cx+float64(wpx)/2, z))), r(min(85, mercLat(cy-float64(hpx)/2, z))),
	}
}

// syria is the country's bounding box: the map views of low zooms show it
// whole, centred on it.
var syria = box{35.6, 32.3, 42.4, 37.35}

func (b box) contains(o box) bool {
	return b[0] <= o[0] && b[1] <= o[1] && b[2] >= o[2] && b[3] >= o[3]
}
