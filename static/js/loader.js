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
