// eventmap: the static Leaflet map (served at /map/).
//
// Plain ES module, no build step. Leaflet and Leaflet.markercluster come from static/vendor/
// (classic scripts loaded before this module) and are used through window.L.
//
// Data comes only from the public API, like any other client:
//   /collections/events/clusters   per-cell counts for the view: cheap whatever the event count
//   /collections/events/items      the events themselves, once the view holds at most LIMIT
//   /collections/events/histogram  counts per period for the time slider
//   /collections/regions/items     the region overlay (Badiya), when switched on
//   /collections/events            the temporal extent, once, for the slider's range
// A change of view or filter is debounced, and the requests of the previous one are aborted, so a
// pan costs at most three requests (clusters or items first, the other if needed, histogram).
//
// Every piece of event data is inserted with textContent / setAttribute, never as HTML, and no
// style="" attribute is ever written (the page runs under a CSP without 'unsafe-inline').
//
// Test hooks (e2e/map*.mjs): event markers have class `event-marker`, areas `event-area`, server
// clusters `server-cluster`; markers and areas carry data-event-id, data-event-type, data-place.
// #map carries data-state (starting | pending | loading | ready | error), data-mode (items |
// clusters) and data-event-count (events in the view under the filters) once drawn.
// window.eventmapView() returns the ids drawn in items mode and the last request URLs.

const L = window.L;

const ITEMS_PATH = '/collections/events/items';
const CLUSTERS_PATH = '/collections/events/clusters';
const HISTOGRAM_PATH = '/collections/events/histogram';
const REGIONS_PATH = '/collections/regions/items';
const COLLECTION_PATH = '/collections/events';
// Up to this many events in view are drawn one by one (clustered in the browser); above it the
// server counts them per cell. 2000 markers keep Leaflet.markercluster responsive on a phone.
const LIMIT = 2000;
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
const STATUSES = [
	['reported', 'Reported (faded)'],
	['corroborated', 'Corroborated'],
	['confirmed', 'Confirmed'],
	['disputed', 'Disputed (dashed)'],
	['retracted', 'Retracted (struck)'],
];

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
const DAY_MS = 86_400_000;

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

// Known values map to themselves, anything else to a safe default (also keeps class names clean).
const typeKey = (t) => (TYPE_LABEL.has(t) ? t : 'other');
const precisionKey = (p) => (p in GEO_PRECISION ? p : 'exact');
const statusKey = (s) => (STATUSES.some(([k]) => k === s) ? s : 'reported');

// ---- formatting ------------------------------------------------------------------------

const isoDay = (d) => d.toISOString().slice(0, 10);

// An imprecise date is shown as the range it stands for, never as a falsely exact day.
// occurred_at of a week or month event is the start of its period.
export function formatWhen(iso, precision) {
	const d = new Date(str(iso));
	if (!iso || Number.isNaN(d.getTime())) return 'unknown date';
	const full = d.toISOString();
	const ymd = full.slice(0, 10);
	switch (precision) {
		case 'exact':
			return `${ymd} ${full.slice(11, 16)} UTC`;
		case 'week':
			return `${ymd} – ${isoDay(new Date(d.getTime() + 6 * DAY_MS))} (some day that week)`;
		case 'month': {
			const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
			return `${ymd} – ${isoDay(last)} (some day in ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()})`;
		}
		case 'day':
		default:
			return ymd;
	}
}

// null/undefined/garbage is "unknown", never 0.
export function formatCount(n) {
	return typeof n === 'number' && Number.isFinite(n) ? String(n) : 'unknown';
}

const plural = (n, word) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;

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
	const item = `${ITEMS_PATH}/${encodeURIComponent(id)}`;
	return el('article', { class: 'event-popup', dataset: { eventId: id } },
		el('h2', { class: `event-title event-type-${type}` }, str(p.title) || 'Untitled event'),
		summaryBlock(str(p.summary)),
		dl,
		el('h3', null, sources.length ? 'Sources' : 'No sources recorded'),
		sources.length ? srcList : null,
		id ? el('p', { class: 'feature-link' },
			el('a', { href: `${item}/revisions`, class: 'history-link', type: 'application/json' }, 'History of changes'),
			' · ',
			el('a', { href: item, class: 'geojson-link', type: 'application/geo+json' }, 'This event as GeoJSON')) : null,
	);
}

const POPUP_OPTIONS = { maxWidth: 340, minWidth: 240, maxHeight: 420, autoPanPadding: [20, 20] };

// ---- state: filters, time range, view; mirrored in the URL hash -------------------------

// The filters the API gets, and the permalink keeps. time is [from, to] as inclusive
// YYYY-MM-DD dates, or null for all time.
const state = {
	types: new Set(),
	statuses: new Set(),
	q: '',
	actor: '',
	time: null,
	regions: false,
};

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

// #map=ZOOM/LAT/LON&type=raid,clash&status=…&q=…&actor=…&time=FROM/TO&regions=1
function readHash() {
	const h = new URLSearchParams(window.location.hash.replace(/^#/, ''));
	const view = (h.get('map') || '').split('/').map(Number);
	const list = (k, allowed) => new Set((h.get(k) || '').split(',').filter((v) => allowed.some(([a]) => a === v)));
	const time = (h.get('time') || '').split('/');
	return {
		view: view.length === 3 && view.every(Number.isFinite) && Math.abs(view[1]) <= 90 && Math.abs(view[2]) <= 180
			? { zoom: view[0], center: [view[1], view[2]] } : null,
		types: list('type', TYPES),
		statuses: list('status', STATUSES),
		q: (h.get('q') || '').slice(0, 200),
		actor: (h.get('actor') || '').slice(0, 300),
		time: time.length === 2 && DATE_RE.test(time[0]) && DATE_RE.test(time[1]) && time[0] <= time[1] ? time : null,
		regions: h.get('regions') === '1',
	};
}

function writeHash() {
	const c = map.getCenter();
	const h = new URLSearchParams();
	h.set('map', `${map.getZoom()}/${c.lat.toFixed(4)}/${c.lng.toFixed(4)}`);
	if (state.types.size) h.set('type', [...state.types].join(','));
	if (state.statuses.size) h.set('status', [...state.statuses].join(','));
	if (state.q) h.set('q', state.q);
	if (state.actor) h.set('actor', state.actor);
	if (state.time) h.set('time', state.time.join('/'));
	if (state.regions) h.set('regions', '1');
	const hash = `#${h.toString().replaceAll('%2C', ',').replaceAll('%2F', '/')}`;
	if (hash !== window.location.hash) history.replaceState(null, '', hash);
}

// The API parameters for the current filters; withTime false leaves the time range out (the
// histogram shows every period, so the slider can widen the range again).
function filterParams(withTime = true) {
	const p = new URLSearchParams();
	if (state.types.size) p.set('type', [...state.types].join(','));
	if (state.statuses.size) p.set('status', [...state.statuses].join(','));
	if (state.q) p.set('q', state.q);
	if (state.actor) p.set('actor', state.actor);
	if (withTime && state.time) p.set('datetime', state.time.join('/'));
	return p;
}

const apiURL = (path, params) => `${path}?${params.toString().replaceAll('%2C', ',').replaceAll('%2F', '/')}`;

// ---- map ------------------------------------------------------------------------------

const initial = readHash();
Object.assign(state, { types: initial.types, statuses: initial.statuses, q: initial.q, actor: initial.actor, time: initial.time, regions: initial.regions });

// The basemap decides the zoom range, which must be known before Leaflet.markercluster is
// added: it sizes its per-zoom cluster tree from the map's maxZoom once.
const config = await loadConfig();
const tileURL = str(config.tile_url).trim();
const zooms = tileURL ? { min: 2, max: 18 } : { min: 4, max: 12 }; // the bundled outline covers lon 25..60, lat 10..45 only

const mapEl = document.getElementById('map');
const map = L.map(mapEl, {
	center: initial.view ? initial.view.center : START.center,
	zoom: initial.view ? Math.min(zooms.max, Math.max(zooms.min, Math.round(initial.view.zoom))) : START.zoom,
	minZoom: zooms.min,
	maxZoom: zooms.max,
	worldCopyJump: false,
	keyboard: true,
});
map.attributionControl.setPrefix('<a href="https://leafletjs.com" target="_blank" rel="noopener noreferrer" title="A JavaScript library for interactive maps">Leaflet</a>');

// Outline under everything (even under tiles, where it is the fallback when tiles fail);
// labels just above it. Neither takes pointer events.
map.createPane('outline').style.zIndex = '150';
map.createPane('countryLabels').style.zIndex = '190';
map.createPane('regions').style.zIndex = '350';
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
		const box = el('details', { class: 'leaflet-bar legend', open: window.innerWidth > 700 },
			el('summary', null, 'Legend'),
			el('h2', null, 'Event type'),
			el('ul', null, TYPES.map(([key, label]) => el('li', null,
				el('span', { class: `legend-swatch swatch-dot event-type-${key}`, 'aria-hidden': 'true' }), label))),
			el('h2', null, 'Location'),
			el('ul', null,
				el('li', null, el('span', { class: 'legend-swatch swatch-dot swatch-neutral', 'aria-hidden': 'true' }), 'exact'),
				el('li', null, el('span', { class: 'legend-swatch swatch-dot swatch-town swatch-neutral', 'aria-hidden': 'true' }), 'town or village'),
				el('li', null, el('span', { class: 'legend-swatch swatch-region swatch-neutral', 'aria-hidden': 'true' }), 'approximate (region)'),
				el('li', null, el('span', { class: 'legend-swatch swatch-area swatch-neutral', 'aria-hidden': 'true' }), 'area: imprecise location'),
				el('li', null, el('span', { class: 'legend-swatch swatch-cluster', 'aria-hidden': 'true' }), 'group of events: select to zoom in')),
			el('h2', null, 'Status'),
			el('ul', null,
				el('li', null, el('span', { class: 'legend-swatch swatch-dot swatch-neutral status-confirmed', 'aria-hidden': 'true' }), 'confirmed, corroborated'),
				el('li', null, el('span', { class: 'legend-swatch swatch-dot swatch-neutral status-reported', 'aria-hidden': 'true' }), 'reported (faded)'),
				el('li', null, el('span', { class: 'legend-swatch swatch-dot swatch-neutral status-disputed', 'aria-hidden': 'true' }), 'disputed (dashed)'),
				el('li', null, el('span', { class: 'legend-swatch swatch-dot swatch-neutral status-retracted', 'aria-hidden': 'true' }), 'retracted (struck)')));
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

function addTiles() {
	if (!tileURL) return; // outline only: no request to any tile host
	L.tileLayer(tileURL, {
		maxZoom: zooms.max,
		attribution: attributionHtml(config.tile_attribution), // Leaflet treats attribution as HTML
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

// ---- overlays: events (one by one, or server clusters) and regions ----------------------

// Events drawn one by one are clustered in the browser; events at one place spiderfy.
const markersLayer = L.markerClusterGroup({
	spiderfyOnMaxZoom: true,
	showCoverageOnHover: false,
	zoomToBoundsOnClick: true,
	maxClusterRadius: 50,
	chunkedLoading: true,
});
const areasLayer = L.featureGroup();
const serverClusters = L.featureGroup();
const eventsLayer = L.layerGroup([areasLayer, markersLayer, serverClusters]).addTo(map);
const regionsLayer = L.featureGroup();

const layersControl = L.control.layers(null, {
	'Events': eventsLayer,
	'Regions (approximate outlines)': regionsLayer,
}, { collapsed: window.innerWidth <= 700, position: 'topright' }).addTo(map);
layersControl.getContainer().setAttribute('aria-label', 'Layers');

const shown = new Map(); // id -> { key, layers }

function tagElement(node, f, label) {
	const p = f.properties || {};
	node.dataset.eventId = str(f.id);
	node.dataset.eventType = str(p.type);
	node.dataset.place = str(p.place);
	node.dataset.precision = str(p.geo_precision);
	node.dataset.status = str(p.status);
	if (label) node.setAttribute('aria-label', label);
}

function describe(f) {
	const p = f.properties || {};
	const parts = [str(p.title) || 'Untitled event'];
	if (p.place && !str(p.title).includes(str(p.place))) parts.push(str(p.place));
	parts.push(formatWhen(p.occurred_at, p.time_precision));
	if (p.status) parts.push(str(p.status));
	return parts.join(' · ');
}

function eventIcon(type, precision, status) {
	const prec = precisionKey(precision);
	const size = prec === 'region' ? 30 : 16;
	return L.divIcon({
		className: `event-marker event-type-${typeKey(type)} precision-${prec} status-${statusKey(status)}`,
		html: '',
		iconSize: [size, size],
		popupAnchor: [0, -size / 2],
	});
}

function pointLayer(f, coords) {
	const p = f.properties || {};
	const label = describe(f);
	const m = L.marker([coords[1], coords[0]], {
		icon: eventIcon(p.type, p.geo_precision, p.status),
		title: label,
		alt: label,
		keyboard: true,
		riseOnHover: true,
	});
	m.bindPopup(() => popupContent(f), POPUP_OPTIONS);
	// Inside a cluster a marker has no element; Leaflet makes a new one each time it is shown.
	m.on('add', () => {
		const e = m.getElement();
		if (e) {
			tagElement(e, f, label);
			e.setAttribute('role', 'button');
		}
	});
	markersLayer.addLayer(m);
	return m;
}

function areaLayer(f, latlngs, isLine) {
	const p = f.properties || {};
	const label = describe(f);
	const opts = {
		className: `event-area event-type-${typeKey(p.type)} status-${statusKey(p.status)}`,
		color: '#555',
		weight: 2,
		dashArray: '6 5',
		fillOpacity: 0.14,
		opacity: 0.9,
	};
	const layer = isLine ? L.polyline(latlngs, opts) : L.polygon(latlngs, opts);
	layer.bindPopup(() => popupContent(f), POPUP_OPTIONS);
	layer.on('add', () => {
		const e = layer.getElement();
		if (!e || e.dataset.eventId) return;
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
	});
	areasLayer.addLayer(layer);
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
function renderEvents(features) {
	serverClusters.clearLayers();
	const next = new Map();
	for (const f of features) {
		if (!f || typeof f !== 'object') continue;
		const id = str(f.id) || JSON.stringify(f.geometry);
		next.set(id, f);
	}
	const gone = [];
	for (const [id, entry] of shown) {
		const f = next.get(id);
		if (!f || JSON.stringify(f) !== entry.key) {
			for (const l of entry.layers) {
				if (markersLayer.hasLayer(l)) gone.push(l);
				areasLayer.removeLayer(l);
			}
			shown.delete(id);
		}
	}
	markersLayer.removeLayers(gone);
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

function clearEvents() {
	markersLayer.clearLayers();
	areasLayer.clearLayers();
	shown.clear();
}

// A cell of one event is drawn as that event; its facts are fetched when it is opened.
function singleEventMarker(cell) {
	const p = cell.properties;
	const [lon, lat] = cell.geometry.coordinates;
	const label = `${TYPE_LABEL.get(typeKey(p.type))} event: select for its details`;
	const m = L.marker([lat, lon], { icon: eventIcon(p.type, p.geo_precision, null), title: label, alt: label, keyboard: true });
	m.bindPopup(el('p', null, 'loading…'), POPUP_OPTIONS);
	m.on('popupopen', async () => {
		try {
			const res = await fetch(`${ITEMS_PATH}/${encodeURIComponent(str(p.id))}`, { headers: { Accept: 'application/geo+json' } });
			if (!res.ok) throw await problemError(res);
			m.setPopupContent(popupContent(await res.json()));
		} catch (err) {
			m.setPopupContent(el('p', null, `Could not load the event: ${err.message || err}`));
		}
	});
	m.on('add', () => {
		const e = m.getElement();
		if (e) {
			e.dataset.eventId = str(p.id);
			e.dataset.eventType = str(p.type);
			e.setAttribute('role', 'button');
		}
	});
	return m;
}

function clusterMarker(cell) {
	const n = cell.properties.count;
	const size = n < 100 ? 'small' : n < 1000 ? 'medium' : 'large';
	const label = `${plural(n, 'event')} here: select to zoom in`;
	const text = n >= 1000 ? `${(n / 1000).toFixed(n < 10000 ? 1 : 0)}k` : String(n); // fits the 40px bubble
	const m = L.marker([cell.geometry.coordinates[1], cell.geometry.coordinates[0]], {
		icon: L.divIcon({ className: `marker-cluster marker-cluster-${size} server-cluster`, html: el('div', null, el('span', null, text)), iconSize: [40, 40] }),
		title: label,
		alt: label,
		keyboard: true,
	});
	m.on('click', () => {
		const [w, s, e, nth] = cell.bbox;
		const b = L.latLngBounds([s, w], [nth, e]);
		// events at (nearly) one spot: zoom in two steps rather than to an empty point
		if (b.getNorth() - b.getSouth() < 1e-4 && b.getEast() - b.getWest() < 1e-4) map.setView(b.getCenter(), Math.min(map.getMaxZoom(), map.getZoom() + 2));
		else map.fitBounds(b.pad(0.2), { maxZoom: map.getMaxZoom() });
	});
	m.on('add', () => {
		const e = m.getElement();
		if (e) {
			e.dataset.count = String(n);
			e.setAttribute('role', 'button');
		}
	});
	return m;
}

function renderClusters(fc) {
	clearEvents();
	serverClusters.clearLayers();
	for (const cell of fc.features || []) {
		if (!cell || !cell.geometry || !cell.properties) continue;
		serverClusters.addLayer(cell.properties.count === 1 && cell.properties.id ? singleEventMarker(cell) : clusterMarker(cell));
	}
}

let regionsLoaded = false;
async function loadRegions() {
	if (regionsLoaded) return;
	regionsLoaded = true;
	try {
		const fc = await getJSON(REGIONS_PATH, undefined);
		L.geoJSON(fc, {
			pane: 'regions',
			style: { className: 'region-area', color: '#6b5b3e', weight: 2, dashArray: '2 6', fillOpacity: 0.08 },
			onEachFeature(f, layer) {
				const p = f.properties || {};
				const name = str(p.name) || str(f.id);
				layer.bindTooltip(`${name}${p.approximate ? ' (approximate outline)' : ''}`, { sticky: true });
				layer.on('add', () => {
					const e = layer.getElement();
					if (e) e.dataset.region = str(f.id);
				});
			},
		}).eachLayer((l) => regionsLayer.addLayer(l));
		mapEl.dataset.regions = String(regionsLayer.getLayers().length);
	} catch (err) {
		regionsLoaded = false;
		console.warn('regions not loaded:', err);
	}
}

// Popups open under the filter panel (it sits above the map's panes): on a phone the panel folds
// away, on a wide screen the map moves the popup clear of it.
const panel = document.getElementById('panel');
map.on('popupopen', (e) => {
	const box = e.popup.getElement();
	if (!box) return;
	if (window.innerWidth <= 700) {
		filtersBox.open = false;
		return;
	}
	const r = box.getBoundingClientRect(), pr = panel.getBoundingClientRect();
	if (r.left < pr.right && r.right > pr.left && r.top < pr.bottom && r.bottom > pr.top) map.panBy([-(pr.right + 12 - r.left), 0]);
});

map.on('overlayadd', (e) => {
	if (e.layer === regionsLayer) {
		state.regions = true;
		loadRegions();
		writeHash();
	}
});
map.on('overlayremove', (e) => {
	if (e.layer === regionsLayer) {
		state.regions = false;
		writeHash();
	}
});

// ---- requests -------------------------------------------------------------------------

// Visible bbox clamped to what the API accepts (lon ±180, lat ±90). Features are drawn at
// their own longitudes, so the part of the view beyond ±180 has nothing to show anyway.
function viewBbox() {
	const b = map.getBounds();
	const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
	const r = (v) => Math.round(v * 1e5) / 1e5;
	const w = r(clamp(b.getWest(), -180, 180));
	const e = r(clamp(b.getEast(), -180, 180));
	const s = r(clamp(b.getSouth(), -85, 85));
	const n = r(clamp(b.getNorth(), -85, 85));
	if (!(w < e && s < n)) return null;
	return [w, s, e, n];
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

const lastRequests = [];
async function getJSON(url, signal) {
	lastRequests.push(url);
	if (lastRequests.length > 20) lastRequests.shift();
	const res = await fetch(url, { signal, headers: { Accept: 'application/geo+json, application/json;q=0.9' } });
	if (!res.ok) throw await problemError(res);
	return res.json();
}

let controller = null;
let timer = null;
let seq = 0;
// Which endpoint answered the last view: the next view asks it first, so a dense map does not
// fetch a page of events only to throw it away. Clusters first on a cold start: they are cheap.
let mode = 'clusters';

async function loadView() {
	clearTimeout(timer);
	if (controller) controller.abort();
	const ctl = new AbortController();
	controller = ctl;
	const mine = ++seq;
	writeHash();
	updateDownloads();

	const bbox = viewBbox();
	if (!bbox) {
		clearEvents();
		serverClusters.clearLayers();
		mapEl.dataset.eventCount = '0';
		setStatus('No events: this view is outside the map’s ±180° range', 'ready');
		return;
	}
	setStatus('loading…', 'loading');
	const params = filterParams();
	params.set('bbox', bbox.join(','));
	const clustersParams = new URLSearchParams(params);
	clustersParams.set('zoom', String(Math.round(map.getZoom())));
	const itemsParams = new URLSearchParams(params);
	itemsParams.set('limit', String(LIMIT));

	const histogram = loadHistogram(bbox, ctl.signal);
	try {
		let items = null, clusters = null;
		if (mode === 'clusters') {
			clusters = await getJSON(apiURL(CLUSTERS_PATH, clustersParams), ctl.signal);
			if (clusters.numberMatched <= LIMIT) items = await getJSON(apiURL(ITEMS_PATH, itemsParams), ctl.signal);
		} else {
			items = await getJSON(apiURL(ITEMS_PATH, itemsParams), ctl.signal);
			const complete = Number.isInteger(items.numberMatched) && items.numberMatched <= LIMIT;
			if (!complete) {
				items = null;
				clusters = await getJSON(apiURL(CLUSTERS_PATH, clustersParams), ctl.signal);
			}
		}
		if (mine !== seq) return;
		let n;
		if (items) {
			if (!Array.isArray(items.features)) throw new Error('the server did not answer with a FeatureCollection');
			mode = 'items';
			n = renderEvents(items.features);
			setStatus(n === 0 ? 'No events in view' : `${plural(n, 'event')} in view`, 'ready');
		} else {
			mode = 'clusters';
			renderClusters(clusters);
			n = clusters.numberMatched;
			setStatus(`${plural(n, 'event')} in view, grouped; zoom in or narrow the filters to see each one`, 'ready');
		}
		mapEl.dataset.mode = mode;
		mapEl.dataset.eventCount = String(n);
		await histogram;
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
	timer = setTimeout(loadView, DEBOUNCE_MS);
}

// ---- downloads ------------------------------------------------------------------------

const downloadGeoJSON = document.getElementById('download-geojson');
const downloadCSV = document.getElementById('download-csv');

// "Download this view": the same filters and box as the map, as many events as one request
// may return (the server's maximum page).
function updateDownloads() {
	const p = filterParams();
	const bbox = viewBbox();
	if (bbox) p.set('bbox', bbox.join(','));
	p.set('limit', '10000');
	downloadGeoJSON.href = apiURL(ITEMS_PATH, p);
	const csv = new URLSearchParams(p);
	csv.set('f', 'csv');
	downloadCSV.href = apiURL(ITEMS_PATH, csv);
}

// ---- filter form ----------------------------------------------------------------------

const form = document.getElementById('filters');
const filtersBox = document.getElementById('filters-box');
const filterSummary = document.getElementById('filter-summary');
const qInput = document.getElementById('filter-q');
const actorInput = document.getElementById('filter-actor');

function checkboxes(fieldsetId, items, name, set, swatch) {
	const fs = document.getElementById(fieldsetId);
	for (const [key, label] of items) {
		const input = el('input', { type: 'checkbox', name, value: key });
		input.checked = set.has(key);
		fs.append(el('label', { class: 'check' }, input,
			swatch ? el('span', { class: `legend-swatch swatch-dot ${swatch(key)}`, 'aria-hidden': 'true' }) : null,
			label));
	}
}
checkboxes('type-filter', TYPES, 'type', state.types, (k) => `event-type-${k}`);
checkboxes('status-filter', STATUSES, 'status', state.statuses, (k) => `swatch-neutral status-${k}`);
qInput.value = state.q;
actorInput.value = state.actor;
filtersBox.open = window.innerWidth > 700;

function readForm() {
	const data = new FormData(form);
	state.types = new Set(data.getAll('type').map(String));
	state.statuses = new Set(data.getAll('status').map(String));
	state.q = str(data.get('q')).trim();
	state.actor = str(data.get('actor')).trim();
	showFilterSummary();
}

function showFilterSummary() {
	const n = (state.types.size ? 1 : 0) + (state.statuses.size ? 1 : 0) + (state.q ? 1 : 0) + (state.actor ? 1 : 0);
	filterSummary.textContent = n ? `(${n} active)` : '';
}
showFilterSummary();

form.addEventListener('change', () => { readForm(); scheduleLoad(); });
form.addEventListener('input', (e) => {
	if (e.target instanceof HTMLInputElement && e.target.type === 'search') { readForm(); scheduleLoad(); }
});
form.addEventListener('submit', (e) => { e.preventDefault(); readForm(); scheduleLoad(); });
form.addEventListener('reset', () => {
	// the form is reset after this event: read it once the inputs are cleared
	setTimeout(() => { readForm(); scheduleLoad(); }, 0);
});

// ---- time slider with a count per period ------------------------------------------------

const timeFrom = document.getElementById('time-from');
const timeTo = document.getElementById('time-to');
const timeLabel = document.getElementById('time-label');
const timeAll = document.getElementById('time-all');
const histogramEl = document.getElementById('histogram');
const timeline = { interval: 'month', periods: [] }; // periods: [{ start: Date, end: Date }]

// The periods from the first to the last event, so empty months show as gaps.
function periodsBetween(first, last, interval) {
	const out = [];
	let d;
	if (interval === 'week') {
		d = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate()));
		d = new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * DAY_MS); // ISO weeks start on Monday
	} else {
		d = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), 1));
	}
	while (d <= last && out.length < 600) {
		const end = interval === 'week' ? new Date(d.getTime() + 7 * DAY_MS) : new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
		out.push({ start: d, end });
		d = end;
	}
	return out;
}

const lastDay = (p) => isoDay(new Date(p.end.getTime() - DAY_MS));
const shortDay = (d) => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()].slice(0, 3)} ${d.getUTCFullYear()}`;
const periodName = (p) => (timeline.interval === 'week' ? `week of ${shortDay(p.start)}` : `${MONTHS[p.start.getUTCMonth()].slice(0, 3)} ${p.start.getUTCFullYear()}`);
// A range of periods as the days it covers: "9 Jun 2025 – 2 Nov 2025".
const rangeName = (a, b) => `${shortDay(a.start)} – ${shortDay(new Date(b.end.getTime() - DAY_MS))}`;

async function setupTimeline() {
	try {
		const c = await getJSON(COLLECTION_PATH, undefined);
		const iv = c && c.extent && c.extent.temporal && c.extent.temporal.interval && c.extent.temporal.interval[0];
		if (!iv || !iv[0] || !iv[1]) throw new Error('no temporal extent');
		const first = new Date(iv[0]), last = new Date(iv[1]);
		// weeks when the record spans less than ~8 months, so the slider has enough steps
		timeline.interval = last - first < 240 * DAY_MS ? 'week' : 'month';
		timeline.periods = periodsBetween(first, last, timeline.interval);
	} catch (err) {
		console.warn('time slider disabled:', err);
		timeline.periods = [];
	}
	const n = timeline.periods.length;
	for (const input of [timeFrom, timeTo]) {
		input.max = String(Math.max(0, n - 1));
		input.disabled = n < 2;
	}
	histogramEl.replaceChildren(...timeline.periods.map((p) => el('div', { class: 'bar', dataset: { start: isoDay(p.start) } })));
	syncSlider();
	mapEl.dataset.timeline = 'ready';
	// the first view was loaded before the periods were known: add its histogram now
	const bbox = viewBbox();
	if (bbox) loadHistogram(bbox, controller ? controller.signal : undefined);
}

// Put the handles where state.time says.
function syncSlider() {
	const ps = timeline.periods;
	if (!ps.length) return;
	let i = 0, j = ps.length - 1;
	if (state.time) {
		const [from, to] = state.time;
		i = Math.max(0, ps.findIndex((p) => lastDay(p) >= from));
		const k = ps.findLastIndex((p) => isoDay(p.start) <= to);
		j = k < 0 ? ps.length - 1 : Math.max(i, k);
	}
	timeFrom.value = String(i);
	timeTo.value = String(j);
	showTimeLabel();
}

function showTimeLabel() {
	const ps = timeline.periods;
	const i = Number(timeFrom.value), j = Number(timeTo.value);
	let text;
	if (!state.time) text = ps.length ? `All time: ${rangeName(ps[0], ps[ps.length - 1])}` : 'All time';
	else if (ps.length) text = rangeName(ps[i], ps[j]);
	else text = state.time.join(' – ');
	timeLabel.textContent = text;
	timeFrom.setAttribute('aria-valuetext', ps[i] ? `from ${periodName(ps[i])}` : '');
	timeTo.setAttribute('aria-valuetext', ps[j] ? `to ${periodName(ps[j])}` : '');
	timeAll.disabled = !state.time;
	for (const [k, bar] of [...histogramEl.children].entries()) bar.classList.toggle('in-range', !state.time || (k >= i && k <= j));
}

function onSlide(e) {
	let i = Number(timeFrom.value), j = Number(timeTo.value);
	if (i > j) { // the handles may not cross: push the other one along
		if (e.target === timeFrom) j = i; else i = j;
		timeFrom.value = String(i);
		timeTo.value = String(j);
	}
	const ps = timeline.periods;
	state.time = i === 0 && j === ps.length - 1 ? null : [isoDay(ps[i].start), lastDay(ps[j])];
	showTimeLabel();
	scheduleLoad();
}
timeFrom.addEventListener('input', onSlide);
timeTo.addEventListener('input', onSlide);
timeAll.addEventListener('click', () => {
	state.time = null;
	syncSlider();
	scheduleLoad();
});

async function loadHistogram(bbox, signal) {
	if (!timeline.periods.length) return;
	const p = filterParams(false);
	p.set('bbox', bbox.join(','));
	p.set('interval', timeline.interval);
	try {
		const h = await getJSON(apiURL(HISTOGRAM_PATH, p), signal);
		const counts = new Map((h.buckets || []).map((b) => [str(b.start).slice(0, 10), b.count]));
		const max = Math.max(1, ...counts.values());
		for (const bar of histogramEl.children) {
			const n = counts.get(bar.dataset.start) || 0;
			bar.dataset.count = String(n);
			bar.title = `${bar.dataset.start}: ${plural(n, 'event')}`;
			// CSSOM, not a style attribute: allowed under the page's CSP
			bar.style.height = n ? `${Math.max(8, Math.round((100 * n) / max))}%` : '0';
		}
		histogramEl.dataset.total = String(h.numberMatched);
	} catch (err) {
		if (err && err.name === 'AbortError') return;
		console.warn('histogram not loaded:', err);
	}
}

// ---- permalink: a pasted or edited hash restores everything ------------------------------

window.addEventListener('hashchange', () => {
	const h = readHash();
	Object.assign(state, { types: h.types, statuses: h.statuses, q: h.q, actor: h.actor, time: h.time });
	for (const input of form.querySelectorAll('input[type=checkbox]')) {
		input.checked = (input.name === 'type' ? state.types : state.statuses).has(input.value);
	}
	qInput.value = state.q;
	actorInput.value = state.actor;
	showFilterSummary();
	syncSlider();
	if (h.regions !== map.hasLayer(regionsLayer)) {
		if (h.regions) map.addLayer(regionsLayer); else map.removeLayer(regionsLayer);
	}
	if (h.view) map.setView(h.view.center, h.view.zoom); // moveend schedules the load
	scheduleLoad();
});

// For the browser tests: what is drawn, and what was asked.
window.eventmapView = () => ({
	mode,
	ids: [...shown.keys()],
	clusters: serverClusters.getLayers().length,
	requests: [...lastRequests],
	center: map.getCenter(),
	zoom: map.getZoom(),
});

map.on('moveend', scheduleLoad);
if (state.regions) map.addLayer(regionsLayer);
addOutline();
addTiles();
setupTimeline();
loadView();
