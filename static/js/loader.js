// The load loop: what the map shows follows the view and the filters. A change is debounced, and
// the requests of the previous one are aborted, so a pan costs at most three requests (clusters
// or items first, the other if needed, histogram).
import { CLUSTERS_PATH, ITEMS_PATH, apiURL, getJSON } from './api.js';
import { updateDownloads } from './filters.js';
import { plural } from './format.js';
import { filterParams, writeHash } from './state.js';

// Up to this many events in view are drawn one by one (clustered in the browser); above it the
// server counts them per cell. 2000 markers keep Leaflet.markercluster responsive on a phone.
const LIMIT = 2000;
// A cell opened at the deepest zoom gets at most this many (the API's largest page by default).
const CELL_LIMIT = 10000;
const DEBOUNCE_MS = 250;

// #map gets data-mode (items | clusters) and data-event-count (events in the view under the
// filters) once drawn; setStatus puts data-state on it.
export function createLoader({ map, mapEl, overlays, timeline, setStatus }) {
	let controller = null;
	let timer = null;
	let seq = 0;
	// Which endpoint answered the last view: the next view asks it first, so a dense map does
	// not fetch a page of events only to throw it away. Clusters first on a cold start: they
	// are cheap.
	let mode = 'clusters';

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

	async function load() {
		clearTimeout(timer);
		if (controller) controller.abort();
		const ctl = new AbortController();
		controller = ctl;
		const mine = ++seq;
		writeHash(map);
		const bbox = viewBbox();
		updateDownloads(bbox);

		if (!bbox) {
			overlays.clear();
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

		const histogram = timeline.loadHistogram(bbox, ctl.signal);
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
				n = overlays.renderEvents(items.features);
				setStatus(n === 0 ? 'No events in view' : `${plural(n, 'event')} in view`, 'ready');
			} else {
				mode = 'clusters';
				overlays.renderClusters(clusters);
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

	// A server cluster opened at the deepest zoom: there is no closer view that would hold fewer
	// events, so its events are asked from items (the cell's box, the same filters, up to the
	// largest page) and spread out around the spot. #map gets data-expanded (how many).
	async function expandCell({ cell, marker }) {
		if (!cell || !Array.isArray(cell.bbox)) return;
		const ctl = controller || new AbortController();
		const mine = seq;
		const pad = 1e-4; // ~10 m: a box around one spot has an area
		const [w, s, e, n] = cell.bbox;
		const r = (v) => Math.round(v * 1e6) / 1e6;
		const params = filterParams();
		params.set('bbox', [r(w - pad), r(s - pad), r(e + pad), r(n + pad)].join(','));
		params.set('limit', String(CELL_LIMIT));
		setStatus(`loading the ${plural(cell.properties.count, 'event')} at this spot…`, 'loading');
		try {
			const items = await getJSON(apiURL(ITEMS_PATH, params), ctl.signal);
			if (mine !== seq) return;
			const features = Array.isArray(items.features) ? items.features : [];
			const k = overlays.spiderfyCell(marker, features);
			const total = Number.isInteger(items.numberMatched) ? items.numberMatched : features.length;
			mapEl.dataset.expanded = String(features.length);
			setStatus(`${plural(Number(mapEl.dataset.eventCount) || total, 'event')} in view; ${plural(k, 'event')} at this spot spread out${total > features.length ? ` (the first ${plural(features.length, 'event')} of ${total.toLocaleString('en')})` : ''}`, 'ready');
		} catch (err) {
			if (mine !== seq || (err && err.name === 'AbortError')) return;
			setStatus(`Could not load the events at this spot: ${err && err.message ? err.message : err}`, 'error');
		}
	}
	map.on('eventmap:expandcell', expandCell);

	function schedule() {
		clearTimeout(timer);
		if (controller) controller.abort(); // the view changed: the running answer is stale
		seq++;
		mapEl.dataset.state = 'pending';
		timer = setTimeout(load, DEBOUNCE_MS);
	}

	// The histogram of the current view, under the current request's abort signal (for the
	// slider, whose periods arrive after the first view was asked).
	function loadHistogram() {
		const bbox = viewBbox();
		if (bbox) timeline.loadHistogram(bbox, controller ? controller.signal : undefined);
	}

	return { load, schedule, loadHistogram, mode: () => mode };
}
