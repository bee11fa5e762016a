// eventmap: the static Leaflet map (served at /map/), as plain ES modules with no build step.
// index.html loads this module after the vendored Leaflet and Leaflet.markercluster
// (static/vendor/), classic scripts that the modules use as window.L.
//
// Data comes only from the public API, like any other client (api.js):
//   /collections/events/clusters   per-cell counts for the view: cheap whatever the event count
//   /collections/events/items      the events themselves, once the view holds few enough
//   /collections/events/histogram  counts per period for the time slider
//   /collections/events/schema     the event properties: which the popup lists, named how (once)
//   /collections/regions/items     the region overlay (Badiya), when switched on
//   /collections/events            the temporal extent, once, for the slider's range
//
// Test hooks (e2e/map*.mjs): #map carries data-state (starting | pending | loading | ready |
// error), data-mode and data-event-count (loader.js); window.eventmapView() returns the ids
// drawn in items mode and the last request URLs; layers.js lists the hooks on drawn events.
import { loadConfig, loadSchema, recentRequests } from './api.js';
import { addOutline, addPanes, addTiles, zoomRange } from './basemap.js';
import { addInfoBox, addLegend } from './controls.js';
import { createFilterForm, createTimeline } from './filters.js';
import { createOverlays } from './layers.js';
import { createLoader } from './loader.js';
import { factRows, keepPopupsClearOf, popupContent, refitPopupsOnResize } from './popup.js';
import { applyHash, readHash, state, writeHash } from './state.js';

const L = window.L;
const START = { center: [34.8, 38.5], zoom: 7 };

const initial = readHash();
applyHash(initial);

// The basemap decides the zoom range, which must be known before Leaflet.markercluster is
// added: it sizes its per-zoom cluster tree from the map's maxZoom once. The schema is small
// and read in the same wait.
const [config, schema] = await Promise.all([loadConfig(), loadSchema()]);
const zooms = zoomRange(config);
const rows = factRows(schema);

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

// Controls stack in the order they are added: title box above the layer control.
addPanes(map);
const setStatus = addInfoBox(map, mapEl);
addLegend(map);
const overlays = createOverlays(map, mapEl, (f) => popupContent(f, rows));

// The panel and slider ask for reloads through the loader, which reads the slider's histogram.
const reload = () => loader.schedule();
const filters = createFilterForm(reload);
const timeline = createTimeline(mapEl, reload);
const loader = createLoader({ map, mapEl, overlays, timeline, setStatus });
keepPopupsClearOf(map, document.getElementById('panel'), filters.box);
refitPopupsOnResize(map);

map.on('overlayadd', (e) => {
	if (e.layer === overlays.regionsLayer) {
		state.regions = true;
		overlays.loadRegions();
		writeHash(map);
	}
});
map.on('overlayremove', (e) => {
	if (e.layer === overlays.regionsLayer) {
		state.regions = false;
		writeHash(map);
	}
});

// A pasted or edited permalink restores everything.
window.addEventListener('hashchange', () => {
	const h = readHash();
	applyHash(h);
	filters.sync();
	timeline.sync();
	if (h.regions !== map.hasLayer(overlays.regionsLayer)) {
		if (h.regions) map.addLayer(overlays.regionsLayer); else map.removeLayer(overlays.regionsLayer);
	}
	if (h.view) map.setView(h.view.center, h.view.zoom); // moveend schedules the load
	loader.schedule();
});

// For the browser tests: what is drawn, and what was asked.
window.eventmapView = () => ({
	mode: loader.mode(),
	ids: overlays.shownIds(),
	clusters: overlays.clusterCount(),
	expanded: overlays.expandedCount(),
	requests: recentRequests(),
	center: map.getCenter(),
	zoom: map.getZoom(),
});

map.on('moveend', reload);
if (state.regions) map.addLayer(overlays.regionsLayer);
addOutline(map, mapEl);
addTiles(map, config, mapEl);
// the first view is asked before the slider knows its periods: its histogram follows them
timeline.setup().then(loader.loadHistogram);
loader.load();
