// eventmap: the static Leaflet map (served at /map/).
//
// Plain ES module, no build step. Leaflet comes from static/vendor/leaflet/leaflet.js (a
// classic script loaded before this module) and is used through window.L.
//
// Data comes only from the public API: GET /collections/events/items?bbox=W,S,E,N&limit=1000,
// re-queried on every moveend (debounced, stale requests aborted), following `next` links.
// Base map: the bundled country outline (data/countries.geojson) and, only when config.json
// names one, a raster tile layer. With no tile_url the page talks to no host but its own.
//
// Every piece of event data is inserted with textContent / setAttribute, never as HTML.
//
// Test hooks (e2e/map.spec.mjs): point markers have class `event-marker`, areas `event-area`;
// both carry data-event-id, data-event-type, data-place. #map carries data-state
// (starting | pending | loading | ready | error) and data-event-count once drawn.

const L = window.L;

const ITEMS_PATH = '/collections/events/items';
const PAGE_LIMIT = 1000;
const MAX_PAGES = 10;
const DEBOUNCE_MS = 250;
const START = { center: [34.8, 38.5], zoom: 7 };

// Colours live in css/map.css (.event-type-*); this is the order and wording of the legend.
const TYPES = [
	['raid', 'Raid'],
	['airstrike', 'Airstrike'],
	['cache_destruction', 'Weapons cache destroyed'],
	['clash', 'Clash'],
	['arrest', 'Arrest'],
	['explosion', 'Explosion'],
	['other', 'Other'],
];
const TYPE_LABEL = new Map(TYPES);

const TIME_PRECISION = {
	exact: 'exact time',
	day: 'known to the day',
	week: 'known to the week',
	month: 'known to the month',
};
const GEO_PRECISION = {
	exact: 'exact location',
	town: 'town or village',
	region: 'approximate: somewhere in a region',
};
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
	'September', 'October', 'November', 'December'];

// ---- small DOM helpers (text only, never HTML) -------------------------------------------

function el(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k === 'class') e.className = v;
		else if (k === 'dataset') Object.assign(e.dataset, v);
		else e.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false) continue;
		e.append(c instanceof Node ? c : String(c));
	}
	return e;
}

function escapeHtml(s) {
	return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Tile attributions are configured as HTML (`&copy; <a href="…">OpenStreetMap</a>`) and
// Leaflet inserts them as HTML. Keep only text and http(s) links: parse in an inert
// document (DOMParser loads and runs nothing), then rebuild escaped markup.
function attributionHtml(html) {
	const doc = new DOMParser().parseFromString(`<body>${str(html)}</body>`, 'text/html');
	const walk = (node) => {
		if (node.nodeType === Node.TEXT_NODE) return escapeHtml(node.data);
		if (node.nodeType !== Node.ELEMENT_NODE || /^(script|style|template|noscript)$/.test(node.localName)) return '';
		const inner = [...node.childNodes].map(walk).join('');
		const href = node.localName === 'a' ? safeHref(node.getAttribute('href')) : null;
		return href ? `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${inner}</a>` : inner;
	};
	return [...doc.body.childNodes].map(walk).join('');
}

const str = (v) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

// Only http(s) links are made clickable; anything else (javascript:, data:) stays text.
function safeHref(u) {
	try {
		const url = new URL(str(u), window.location.href);
		return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
	} catch {
		return null;
	}
}

// Known types map to themselves, anything else to "other" (also keeps class names clean).
const typeKey = (t) => (TYPE_LABEL.has(t) ? t : 'other');
const precisionKey = (p) => (p in GEO_PRECISION ? p : 'exact');

// ---- formatting ------------------------------------------------------------------------

export function formatWhen(iso, precision) {
	const d = new Date(str(iso));
	if (!iso || Number.isNaN(d.getTime())) return 'unknown date';
	const full = d.toISOString();
	const ymd = full.slice(0, 10);
	switch (precision) {
		case 'exact':
			return `${ymd} ${full.slice(11, 16)} UTC`;
		case 'week':
			return `week of ${ymd}`;
		case 'month':
			return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
		case 'day':
		default:
			return ymd;
	}
}

// null/undefined/garbage is "unknown", never 0.
export function formatCount(n) {
	return typeof n === 'number' && Number.isFinite(n) ? String(n) : 'unknown';
}

// ---- popup -----------------------------------------------------------------------------

function row(label, field, ...value) {
	return [el('dt', null, label), el('dd', { dataset: { field } }, ...value)];
}

// Long summaries start folded so the facts stay in view; the button unfolds them.
const SUMMARY_FOLD = 180;
function summaryBlock(text) {
	if (!text) return null;
	const para = el('p', { class: 'summary' });
	if (text.length <= SUMMARY_FOLD + 40) {
		para.textContent = text;
		return para;
	}
	const cut = text.lastIndexOf(' ', SUMMARY_FOLD);
	const short = `${text.slice(0, cut > 80 ? cut : SUMMARY_FOLD).replace(/[\s,;:.]+$/, '')}…`;
	const body = el('span', null, short);
	const more = el('button', { type: 'button', class: 'more', 'aria-expanded': 'false' }, 'more');
	more.addEventListener('click', () => {
		const open = more.getAttribute('aria-expanded') !== 'true';
		body.textContent = open ? text : short;
		more.textContent = open ? 'less' : 'more';
		more.setAttribute('aria-expanded', String(open));
	});
	para.append(body, ' ', more);
	return para;
}

function popupContent(f) {
	const p = f.properties || {};
	const type = typeKey(p.type);
	const place = [p.place, p.admin1, p.country].map(str).filter(Boolean).join(', ');

	const actors = Array.isArray(p.actors) ? p.actors : [];
	const sources = Array.isArray(p.sources) ? p.sources : [];

	const dl = el('dl', null,
		row('Date', 'date',
			el('time', { datetime: str(p.occurred_at) }, formatWhen(p.occurred_at, p.time_precision)),
			p.time_precision ? el('span', { class: 'precision' }, ` (${TIME_PRECISION[p.time_precision] || str(p.time_precision)})`) : null),
		row('Type', 'type', TYPE_LABEL.get(type) + (p.type && p.type !== type ? ` (${str(p.type)})` : '')),
		row('Place', 'place', place || 'unknown',
			p.geo_precision ? el('span', { class: 'precision' }, ` (${GEO_PRECISION[p.geo_precision] || str(p.geo_precision)})`) : null),
		row('Fatalities', 'fatalities', formatCount(p.fatalities)),
		row('Civilian fatalities', 'civilian_fatalities', formatCount(p.civilian_fatalities)),
		row('Status', 'status', el('span', { class: `status status-${str(p.status).replace(/[^a-z]/g, '') || 'unknown'}` }, str(p.status) || 'unknown')),
	);
	if (actors.length) {
		dl.append(...row('Actors', 'actors', el('ul', { class: 'actors' },
			actors.map((a) => el('li', null, str(a && a.name) || 'unnamed',
				a && a.role ? el('span', { class: 'role' }, ` (${str(a.role)})`) : null)))));
	}

	const srcList = el('ol', { class: 'sources' }, sources.map((s) => {
		s = s || {};
		const href = safeHref(s.url);
		const label = str(s.title) || str(s.publisher) || str(s.url) || 'source';
		const meta = [str(s.publisher), s.published_at ? formatWhen(s.published_at, 'day') : ''].filter(Boolean).join(', ');
		let excerpt = str(s.excerpt);
		if (excerpt.length > 280) excerpt = `${excerpt.slice(0, 277)}…`;
		return el('li', null,
			href ? el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, label) : label,
			meta ? el('span', { class: 'source-meta' }, ` (${meta})`) : null,
			excerpt ? el('q', { class: 'excerpt' }, excerpt) : null);
	}));

	const id = str(f.id);
	return el('article', { class: 'event-popup', dataset: { eventId: id } },
		el('h2', { class: `event-title event-type-${type}` }, str(p.title) || 'Untitled event'),
		summaryBlock(str(p.summary)),
		dl,
		el('h3', null, sources.length ? 'Sources' : 'No sources recorded'),
		sources.length ? srcList : null,
		id ? el('p', { class: 'feature-link' },
			el('a', { href: `${ITEMS_PATH}/${encodeURIComponent(id)}`, type: 'application/geo+json' }, 'This event as GeoJSON')) : null,
	);
}

// ---- map ------------------------------------------------------------------------------

const mapEl = document.getElementById('map');
const map = L.map(mapEl, {
	center: START.center,
	zoom: START.zoom,
	minZoom: 4, // the bundled outline covers lon 25..60, lat 10..45 only; tiles lower this to 2
	maxZoom: 12,
	worldCopyJump: false,
	keyboard: true,
});
map.attributionControl.setPrefix('<a href="https://leafletjs.com" target="_blank" rel="noopener noreferrer" title="A JavaScript library for interactive maps">Leaflet</a>');

// Outline under everything (even under tiles, where it is the fallback when tiles fail);
// labels just above it. Neither takes pointer events.
map.createPane('outline').style.zIndex = '150';
map.createPane('countryLabels').style.zIndex = '190';
map.getPane('outline').style.pointerEvents = 'none';
map.getPane('countryLabels').style.pointerEvents = 'none';

// status + title box
const statusText = el('span', { class: 'status-text', role: 'status', 'aria-live': 'polite' }, 'loading…');
const InfoControl = L.Control.extend({
	options: { position: 'topright' },
	onAdd() {
		const box = el('div', { class: 'leaflet-bar info-box' },
			el('h1', null, 'eventmap'),
			statusText);
		L.DomEvent.disableClickPropagation(box);
		return box;
	},
});
new InfoControl().addTo(map);

function setStatus(text, state) {
	statusText.textContent = text;
	statusText.className = `status-text state-${state}`;
	mapEl.dataset.state = state;
}

// legend
const LegendControl = L.Control.extend({
	options: { position: 'bottomright' },
	onAdd() {
		// <details>: collapsible, closed by default on narrow screens
		const box = el('details', { class: 'leaflet-bar legend', open: window.innerWidth > 600 },
			el('summary', null, 'Legend'),
			el('h2', null, 'Event type'),
			el('ul', null, TYPES.map(([key, label]) => el('li', null,
				el('span', { class: `legend-swatch swatch-dot event-type-${key}`, 'aria-hidden': 'true' }), label))),
			el('h2', null, 'Location'),
			el('ul', null,
				el('li', null, el('span', { class: 'legend-swatch swatch-dot swatch-neutral', 'aria-hidden': 'true' }), 'exact'),
				el('li', null, el('span', { class: 'legend-swatch swatch-dot swatch-town swatch-neutral', 'aria-hidden': 'true' }), 'town or village'),
				el('li', null, el('span', { class: 'legend-swatch swatch-region swatch-neutral', 'aria-hidden': 'true' }), 'approximate (region)'),
				el('li', null, el('span', { class: 'legend-swatch swatch-area swatch-neutral', 'aria-hidden': 'true' }), 'area: imprecise location')));
		L.DomEvent.disableClickPropagation(box);
		L.DomEvent.disableScrollPropagation(box);
		return box;
	},
});
new LegendControl().addTo(map);

// ---- base layers ------------------------------------------------------------------------

async function loadConfig() {
	try {
		const res = await fetch('config.json', { headers: { Accept: 'application/json' } });
		if (!res.ok) return {};
		const cfg = await res.json();
		return cfg && typeof cfg === 'object' ? cfg : {};
	} catch {
		return {};
	}
}

async function addTiles() {
	const cfg = await loadConfig();
	const url = str(cfg.tile_url).trim();
	if (!url) return; // outline only: no request to any tile host
	map.setMinZoom(2);
	map.setMaxZoom(18);
	L.tileLayer(url, {
		maxZoom: 18,
		attribution: attributionHtml(cfg.tile_attribution), // Leaflet treats attribution as HTML
	}).addTo(map);
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

const countryLabels = [];
function updateCountryLabels() {
	const pxPerDeg = (256 * 2 ** map.getZoom()) / 360;
	for (const { marker, radius, name } of countryLabels) {
		// show a label only where the country is wide enough around the label point
		const fits = radius * pxPerDeg * 2 > Math.max(40, name.length * 7);
		const e = marker.getElement();
		if (e) e.style.display = fits ? '' : 'none'; // leaflet.css forces display:block, so not `hidden`
	}
}

async function addOutline() {
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
			countryLabels.push({ marker, radius: best.radius, name });
		}
		updateCountryLabels();
		map.on('zoomend', updateCountryLabels);
		mapEl.dataset.outline = 'ready';
	} catch (err) {
		mapEl.dataset.outline = 'error';
		console.warn('country outline not loaded:', err);
	}
}

// ---- events ---------------------------------------------------------------------------

const markersLayer = L.featureGroup().addTo(map);
const areasLayer = L.featureGroup().addTo(map);
const shown = new Map(); // id -> { key, layers }

function tagElement(node, f, label) {
	const p = f.properties || {};
	node.dataset.eventId = str(f.id);
	node.dataset.eventType = str(p.type);
	node.dataset.place = str(p.place);
	node.dataset.precision = str(p.geo_precision);
	if (label) node.setAttribute('aria-label', label);
}

function describe(f) {
	const p = f.properties || {};
	const parts = [str(p.title) || 'Untitled event'];
	if (p.place && !str(p.title).includes(str(p.place))) parts.push(str(p.place));
	parts.push(formatWhen(p.occurred_at, p.time_precision));
	return parts.join(' · ');
}

function pointLayer(f, coords) {
	const p = f.properties || {};
	const prec = precisionKey(p.geo_precision);
	const size = prec === 'region' ? 30 : 16;
	const label = describe(f);
	const m = L.marker([coords[1], coords[0]], {
		icon: L.divIcon({
			className: `event-marker event-type-${typeKey(p.type)} precision-${prec}`,
			html: '',
			iconSize: [size, size],
			popupAnchor: [0, -size / 2],
		}),
		title: label,
		alt: label,
		keyboard: true,
		riseOnHover: true,
	});
	m.bindPopup(() => popupContent(f), { maxWidth: 340, minWidth: 240, maxHeight: 420, autoPanPadding: [20, 20] });
	markersLayer.addLayer(m);
	const e = m.getElement();
	if (e) {
		tagElement(e, f, label);
		e.setAttribute('role', 'button');
	}
	return m;
}

function areaLayer(f, latlngs, isLine) {
	const p = f.properties || {};
	const label = describe(f);
	const opts = {
		className: `event-area event-type-${typeKey(p.type)}`,
		color: '#555',
		weight: 2,
		dashArray: '6 5',
		fillOpacity: 0.14,
		opacity: 0.9,
	};
	const layer = isLine ? L.polyline(latlngs, opts) : L.polygon(latlngs, opts);
	layer.bindPopup(() => popupContent(f), { maxWidth: 340, minWidth: 240, maxHeight: 420, autoPanPadding: [20, 20] });
	areasLayer.addLayer(layer);
	const e = layer.getElement();
	if (e) {
		tagElement(e, f, label);
		e.setAttribute('tabindex', '0');
		e.setAttribute('role', 'button');
		const t = document.createElementNS('http://www.w3.org/2000/svg', 'title');
		t.textContent = label;
		e.append(t);
		e.addEventListener('keydown', (ev) => {
			if (ev.key === 'Enter' || ev.key === ' ') {
				ev.preventDefault();
				layer.openPopup();
			}
		});
	}
	return layer;
}

function layersFor(f, g = f.geometry) {
	if (!g) return [];
	const c = g.coordinates;
	try {
		switch (g.type) {
			case 'Point':
				return [pointLayer(f, c)];
			case 'MultiPoint':
				return c.map((pt) => pointLayer(f, pt));
			case 'Polygon':
				return [areaLayer(f, L.GeoJSON.coordsToLatLngs(c, 1))];
			case 'MultiPolygon':
				return [areaLayer(f, L.GeoJSON.coordsToLatLngs(c, 2))];
			case 'LineString':
				return [areaLayer(f, L.GeoJSON.coordsToLatLngs(c, 0), true)];
			case 'MultiLineString':
				return [areaLayer(f, L.GeoJSON.coordsToLatLngs(c, 1), true)];
			case 'GeometryCollection':
				return (g.geometries || []).flatMap((sub) => layersFor(f, sub));
			default:
				return [];
		}
	} catch (err) {
		console.warn('event not drawn, bad geometry:', f.id, err);
		return [];
	}
}

// Draw the new set, keeping layers of events that did not change (so an open popup survives
// the reload that its own auto-pan triggers).
function render(features) {
	const next = new Map();
	for (const f of features) {
		if (!f || typeof f !== 'object') continue;
		const id = str(f.id) || JSON.stringify(f.geometry);
		next.set(id, f);
	}
	for (const [id, entry] of shown) {
		const f = next.get(id);
		if (!f || JSON.stringify(f) !== entry.key) {
			for (const l of entry.layers) {
				markersLayer.removeLayer(l);
				areasLayer.removeLayer(l);
			}
			shown.delete(id);
		}
	}
	// big areas first so smaller ones stay clickable on top of them
	const area = (f) => {
		const g = f.geometry || {};
		if (g.type !== 'Polygon' && g.type !== 'MultiPolygon') return 0;
		const b = L.geoJSON(g).getBounds();
		return (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth());
	};
	const added = [...next].filter(([id]) => !shown.has(id)).sort(([, a], [, b]) => area(b) - area(a));
	for (const [id, f] of added) shown.set(id, { key: JSON.stringify(f), layers: layersFor(f) });
	return next.size;
}

// Visible bbox clamped to what the API accepts (lon ±180, lat ±90). Features are drawn at
// their own longitudes, so the part of the view beyond ±180 has nothing to show anyway.
function viewBbox() {
	const b = map.getBounds();
	const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
	const r = (v) => Math.round(v * 1e6) / 1e6;
	const w = r(clamp(b.getWest(), -180, 180));
	const e = r(clamp(b.getEast(), -180, 180));
	const s = r(clamp(b.getSouth(), -90, 90));
	const n = r(clamp(b.getNorth(), -90, 90));
	if (!(w < e && s < n)) return null;
	return [w, s, e, n];
}

function nextHref(links) {
	if (!Array.isArray(links)) return null;
	const next = links.find((l) => l && l.rel === 'next' && (!l.type || /json/.test(l.type)));
	if (!next || !next.href) return null;
	// Stay on this origin whatever host the server put in its links (proxies, 0.0.0.0, …).
	const u = new URL(next.href, window.location.href);
	return u.pathname + u.search;
}

async function problemError(res) {
	let detail = '';
	try {
		if (/json/.test(res.headers.get('content-type') || '')) {
			const p = await res.json();
			detail = str(p && (p.detail || p.title));
		}
	} catch { /* not JSON: fall back to the status line */ }
	return new Error(detail || `HTTP ${res.status} ${res.statusText}`.trim());
}

let controller = null;
let timer = null;
let seq = 0;

async function loadEvents() {
	clearTimeout(timer);
	if (controller) controller.abort();
	const ctl = new AbortController();
	controller = ctl;
	const mine = ++seq;

	const bbox = viewBbox();
	if (!bbox) {
		const n = render([]);
		mapEl.dataset.eventCount = String(n);
		setStatus('No events: this view is outside the map’s ±180° range', 'ready');
		return;
	}
	setStatus('loading…', 'loading');
	try {
		const features = [];
		let url = `${ITEMS_PATH}?bbox=${bbox.join(',')}&limit=${PAGE_LIMIT}`;
		let pages = 0;
		let truncated = false;
		let matched = null;
		while (url) {
			const res = await fetch(url, {
				signal: ctl.signal,
				headers: { Accept: 'application/geo+json, application/json;q=0.9' },
			});
			if (!res.ok) throw await problemError(res);
			const body = await res.json();
			if (!body || !Array.isArray(body.features)) throw new Error('the server did not answer with a FeatureCollection');
			features.push(...body.features);
			if (pages === 0 && Number.isInteger(body.numberMatched)) matched = body.numberMatched;
			pages++;
			url = nextHref(body.links);
			if (url && pages >= MAX_PAGES) {
				truncated = true;
				url = null;
			}
		}
		if (mine !== seq) return;
		const n = render(features);
		mapEl.dataset.eventCount = String(n);
		let text = n === 0 ? 'No events in view' : `${n} event${n === 1 ? '' : 's'} in view`;
		if (truncated) text += matched ? ` (first ${n} of ${matched}; zoom in for the rest)` : ' (more exist; zoom in)';
		setStatus(text, 'ready');
	} catch (err) {
		if (mine !== seq || (err && err.name === 'AbortError')) return;
		setStatus(`Could not load events: ${err && err.message ? err.message : err}`, 'error');
	}
}

function scheduleLoad() {
	clearTimeout(timer);
	if (controller) controller.abort(); // the view changed: the running answer is stale
	seq++;
	mapEl.dataset.state = 'pending';
	timer = setTimeout(loadEvents, DEBOUNCE_MS);
}

map.on('moveend', scheduleLoad);
addOutline();
addTiles();
loadEvents();
