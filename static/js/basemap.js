// What lies under the events: the configured tile layer, if any, and the bundled country
// outline with its labels, which is all there is offline.
import { attributionHtml, el, str } from './dom.js';

const L = window.L;

// The zoom range follows the basemap: the bundled outline covers lon 25..60, lat 10..45 only.
export function zoomRange(config) {
	return str(config.tile_url).trim() ? { min: 2, max: 18 } : { min: 4, max: 12 };
}

// Outline under everything (even under tiles, where it is the fallback when tiles fail);
// labels just above it. Neither takes pointer events.
export function addPanes(map) {
	map.createPane('outline').style.zIndex = '150';
	map.createPane('countryLabels').style.zIndex = '190';
	map.getPane('outline').style.pointerEvents = 'none';
	map.getPane('countryLabels').style.pointerEvents = 'none';
}

// The tile server is credited once a tile of it is on the map: with none reachable the map shows
// only the bundled outline, and crediting OpenStreetMap for that would be wrong.
// mapEl.dataset.tiles says "loaded" then, for the browser tests.
export function addTiles(map, config, mapEl) {
	const url = str(config.tile_url).trim();
	if (!url) return; // outline only: no request to any tile host
	const layer = L.tileLayer(url, { maxZoom: map.getMaxZoom() });
	layer.once('tileload', () => {
		map.attributionControl.addAttribution(attributionHtml(config.tile_attribution)); // Leaflet treats it as HTML
		mapEl.dataset.tiles = 'loaded';
	});
	layer.addTo(map);
}

// Point inside the polygon farthest from its edges, found on a coarse grid: good enough
// for a country label and cheap for the ~40 outlines we ship.
function labelPoint(rings) {
	const outer = rings[0];
	let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
	for (const [x, y] of outer) {
		minX = Math.min(minX, x); maxX = Math.max(maxX, x);
		minY = Math.min(minY, y); maxY = Math.max(maxY, y);
	}
	const inside = (x, y) => {
		let c = false;
		for (const r of rings) {
			for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
				const [xi, yi] = r[i], [xj, yj] = r[j];
				if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
			}
		}
		return c;
	};
	const edgeDist = (x, y) => {
		let best = Infinity;
		for (const r of rings) {
			for (let i = 0; i + 1 < r.length; i++) {
				const [ax, ay] = r[i], [bx, by] = r[i + 1];
				const dx = bx - ax, dy = by - ay;
				const t = dx || dy ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy))) : 0;
				best = Math.min(best, Math.hypot(x - ax - t * dx, y - ay - t * dy));
			}
		}
		return best;
	};
	let best = null, bestD = -1;
	const N = 16;
	for (let i = 0; i <= N; i++) {
		for (let j = 0; j <= N; j++) {
			const x = minX + ((maxX - minX) * i) / N, y = minY + ((maxY - minY) * j) / N;
			if (!inside(x, y)) continue;
			const d = edgeDist(x, y);
			if (d > bestD) { bestD = d; best = [x, y]; }
		}
	}
	return best ? { lon: best[0], lat: best[1], radius: bestD } : null;
}

// mapEl.dataset.outline tells the browser tests when the outline is drawn (or failed).
export async function addOutline(map, mapEl) {
	const labels = [];
	const updateLabels = () => {
		const pxPerDeg = (256 * 2 ** map.getZoom()) / 360;
		for (const { marker, radius, name } of labels) {
			// show a label only where the country is wide enough around the label point
			const fits = radius * pxPerDeg * 2 > Math.max(40, name.length * 7);
			const e = marker.getElement();
			if (e) e.style.display = fits ? '' : 'none'; // leaflet.css forces display:block, so not `hidden`
		}
	};
	try {
		const res = await fetch('data/countries.geojson', { headers: { Accept: 'application/geo+json, application/json' } });
		if (!res.ok) throw new Error(`HTTP ${res.status}`);
		const data = await res.json();
		L.geoJSON(data, {
			pane: 'outline',
			interactive: false,
			attribution: 'Outline: <a href="https://www.naturalearthdata.com/" target="_blank" rel="noopener noreferrer">Natural Earth</a>',
			style: { color: '#8f8a80', weight: 0.8, fillColor: '#f6f3ec', fillOpacity: 1, className: 'country' },
		}).addTo(map);
		for (const f of data.features || []) {
			const g = f.geometry;
			if (!g) continue;
			const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
			let best = null;
			for (const poly of polys) {
				const lp = labelPoint(poly);
				if (lp && (!best || lp.radius > best.radius)) best = lp;
			}
			if (!best) continue;
			const name = str(f.properties && f.properties.name);
			const marker = L.marker([best.lat, best.lon], {
				pane: 'countryLabels',
				interactive: false,
				keyboard: false,
				icon: L.divIcon({ className: 'country-label', html: el('span', null, name), iconSize: null }),
			}).addTo(map);
			labels.push({ marker, radius: best.radius, name });
		}
		updateLabels();
		map.on('zoomend', updateLabels);
		mapEl.dataset.outline = 'ready';
	} catch (err) {
		mapEl.dataset.outline = 'error';
		console.warn('country outline not loaded:', err);
	}
}
