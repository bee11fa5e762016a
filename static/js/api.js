// The map's client of the public API: the same endpoints any other client uses, no private one.
import { str } from './dom.js';

export const ITEMS_PATH = '/collections/events/items';
export const CLUSTERS_PATH = '/collections/events/clusters';
export const HISTOGRAM_PATH = '/collections/events/histogram';
export const REGIONS_PATH = '/collections/regions/items';
export const COLLECTION_PATH = '/collections/events';
const SCHEMA_PATH = '/collections/events/schema';

// Commas and slashes stay readable in the URL (and in what the browser tests compare).
export const apiURL = (path, params) => `${path}?${params.toString().replaceAll('%2C', ',').replaceAll('%2F', '/')}`;

// The server's errors are problem+json: its detail is what the user should read.
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

// The last URLs asked through getJSON, for the browser tests (window.eventmapView).
const requestLog = [];
export const recentRequests = () => [...requestLog];

export async function getJSON(url, signal) {
	requestLog.push(url);
	if (requestLog.length > 20) requestLog.shift();
	const res = await fetch(url, { signal, headers: { Accept: 'application/geo+json, application/json;q=0.9' } });
	if (!res.ok) throw await problemError(res);
	return res.json();
}

export async function getEvent(id) {
	const res = await fetch(`${ITEMS_PATH}/${encodeURIComponent(str(id))}`, { headers: { Accept: 'application/geo+json' } });
	if (!res.ok) throw await problemError(res);
	return res.json();
}

// An event's history with what changed in each version (GET …/revisions).
export async function getRevisions(id) {
	const res = await fetch(`${ITEMS_PATH}/${encodeURIComponent(str(id))}/revisions`, { headers: { Accept: 'application/json' } });
	if (!res.ok) throw await problemError(res);
	return res.json();
}

// The basemap settings; {} (outline only) when they cannot be read.
export async function loadConfig() {
	try {
		const res = await fetch('config.json', { headers: { Accept: 'application/json' } });
		if (!res.ok) return {};
		const cfg = await res.json();
		return cfg && typeof cfg === 'object' ? cfg : {};
	} catch {
		return {};
	}
}

// The JSON Schema of the event properties: their titles, order and which ones the popup lists.
// null when it cannot be read: the map then works without those rows rather than not at all.
export async function loadSchema() {
	try {
		const res = await fetch(SCHEMA_PATH, { headers: { Accept: 'application/schema+json, application/json;q=0.9' } });
		if (!res.ok) throw await problemError(res);
		const schema = await res.json();
		if (!schema || typeof schema.properties !== 'object' || schema.properties === null) throw new Error('no "properties" in the schema');
		return schema;
	} catch (err) {
		console.warn('event schema not loaded, popups show no property rows:', err);
		return null;
	}
}
