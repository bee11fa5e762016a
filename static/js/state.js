// Filters, time range and view, mirrored in the URL hash so that a link restores them:
//   #map=ZOOM/LAT/LON&type=raid,clash&status=…&q=…&actor=…&time=FROM/TO&regions=1
import { STATUSES, TYPES } from './labels.js';

// What the API gets and the permalink keeps. time is [from, to] as inclusive YYYY-MM-DD
// dates, or null for all time.
export const state = {
	types: new Set(),
	statuses: new Set(),
	q: '',
	actor: '',
	time: null,
	regions: false,
};

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

// A hand-edited hash is untrusted input: values outside the known lists and limits are dropped.
export function readHash() {
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

// Sets the filters from a hash read by readHash; the view is the map's to apply.
export function applyHash(h) {
	Object.assign(state, { types: h.types, statuses: h.statuses, q: h.q, actor: h.actor, time: h.time, regions: h.regions });
}

// replaceState, not a new history entry per pan: Back leaves the map rather than undoing moves.
export function writeHash(map) {
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
export function filterParams(withTime = true) {
	const p = new URLSearchParams();
	if (state.types.size) p.set('type', [...state.types].join(','));
	if (state.statuses.size) p.set('status', [...state.statuses].join(','));
	if (state.q) p.set('q', state.q);
	if (state.actor) p.set('actor', state.actor);
	if (withTime && state.time) p.set('datetime', state.time.join('/'));
	return p;
}
