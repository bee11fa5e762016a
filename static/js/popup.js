// The popup of one event: title, summary, a list of facts, sources and links.
//
// Which properties the fact list shows, in which order and under which name comes from the
// server's JSON Schema (/collections/events/schema): the properties marked x-eventmap-popup,
// ordered by x-ogc-propertySeq, labelled with their title unless labels.js words them. A
// property the server starts to mark shows up without a change here. The rows the map
// composes from several properties (date, place, actors) take their place in that order from
// their first property.
import { ITEMS_PATH, getRevisions } from './api.js';
import { el, safeHref, str } from './dom.js';
import { formatCount, formatWhen, when } from './format.js';
import { FIELD_LABELS, GEO_PRECISION, TIME_PRECISION, TYPE_LABEL, VALUE_LABELS, typeKey } from './labels.js';

export const POPUP_OPTIONS = { maxWidth: 340, minWidth: 240, maxHeight: 420, autoPanPadding: [20, 20] };

const precisionNote = (text) => el('span', { class: 'precision' }, ` (${text})`);

// data-field names the browser tests read; the properties each row shows in its own way.
const COMPOSITES = [
	{
		// In the event's own zone, to its precision (format.js when()); UTC on hover, and beside
		// for an exact time with a zone, since a phone has no hover.
		field: 'date',
		props: ['occurred_at', 'time_precision', 'tz'],
		value: (p) => {
			const w = when(p.occurred_at, p.time_precision, p.tz);
			const exact = !['day', 'week', 'month'].includes(p.time_precision);
			return [
				el('time', { datetime: str(p.occurred_at), title: w.title || null }, w.text),
				exact && p.tz && w.title ? el('span', { class: 'utc' }, ` (${w.title})`) : null,
				p.time_precision ? precisionNote(TIME_PRECISION[p.time_precision] || str(p.time_precision)) : null,
			];
		},
	},
	{
		field: 'place',
		props: ['place', 'admin1', 'country', 'geo_precision'],
		value: (p) => [
			[p.place, p.admin1, p.country].map(str).filter(Boolean).join(', ') || 'unknown',
			p.geo_precision ? precisionNote(GEO_PRECISION[p.geo_precision] || str(p.geo_precision)) : null,
		],
	},
	{
		field: 'actors',
		props: ['actors'],
		value: (p) => {
			const actors = Array.isArray(p.actors) ? p.actors : [];
			if (!actors.length) return null;
			return el('ul', { class: 'actors' }, actors.map((a) => el('li', null, str(a && a.name) || 'unnamed',
				a && a.role ? el('span', { class: 'role' }, ` (${str(a.role)})`) : null)));
		},
	},
];
// Shown outside the fact list (heading, summary, sources section), never as a row.
const OUTSIDE_ROWS = ['title', 'summary', 'sources'];

const schemaTypes = (s) => new Set([s.type].flat());

// One property's value as its schema types it: null is "unknown" for a count (never 0); an
// empty string or list has no row.
function scalarValue(name, s, v) {
	const types = schemaTypes(s);
	if (types.has('integer') || types.has('number')) return formatCount(v);
	if (types.has('boolean')) return typeof v === 'boolean' ? (v ? 'yes' : 'no') : 'unknown';
	if (types.has('array')) {
		const items = Array.isArray(v) ? v.map(str).filter(Boolean) : [];
		return items.length ? items.join(', ') : null;
	}
	if (typeof v !== 'string' || v === '') return null;
	if (Array.isArray(s.enum)) {
		const label = VALUE_LABELS.get(name)?.get(v) ?? v;
		// data-value lets css/map.css style some values (status badges) without class names
		// made from server data.
		return el('span', { class: 'enum', dataset: { value: v } }, label);
	}
	if (s.format === 'date-time') return el('time', { datetime: v }, formatWhen(v, 'exact'));
	if (s.format === 'uri' && safeHref(v)) return el('a', { href: safeHref(v), target: '_blank', rel: 'noopener noreferrer' }, v);
	return v;
}

// The fact rows for a schema (null: composite rows only). Computed once: the schema is read
// once at start.
export function factRows(schema) {
	const props = (schema && schema.properties) || {};
	const prop = (name) => (Object.hasOwn(props, name) && props[name] && typeof props[name] === 'object' ? props[name] : null);
	const seq = (name) => (Number.isInteger(prop(name)?.['x-ogc-propertySeq']) ? prop(name)['x-ogc-propertySeq'] : Infinity);
	const label = (name) => FIELD_LABELS.get(name) ?? (str(prop(name)?.title) || name);

	const rows = COMPOSITES.map((c) => ({ field: c.field, label: label(c.props[0]), seq: seq(c.props[0]), value: c.value }));
	const taken = new Set([...OUTSIDE_ROWS, ...COMPOSITES.flatMap((c) => c.props)]);
	for (const name of Object.keys(props)) {
		const s = prop(name);
		if (!s || s['x-eventmap-popup'] !== true || taken.has(name)) continue;
		rows.push({ field: name, label: label(name), seq: seq(name), value: (p) => scalarValue(name, s, p[name]) });
	}
	// stable sort: rows without a position keep the order above, after those with one
	return rows.sort((a, b) => a.seq - b.seq || 0);
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

function sourceList(sources) {
	return el('ol', { class: 'sources' }, sources.map((s) => {
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
}

// The popup's content for one feature, with the fact rows of factRows().
export function popupContent(f, rows) {
	const p = f.properties || {};
	const type = typeKey(p.type);
	const sources = Array.isArray(p.sources) ? p.sources : [];

	const dl = el('dl');
	for (const r of rows) {
		const value = r.value(p);
		if (value === null || value === undefined) continue;
		dl.append(el('dt', null, r.label), el('dd', { dataset: { field: r.field } }, value));
	}

	const id = str(f.id);
	const item = `${ITEMS_PATH}/${encodeURIComponent(id)}`;
	return el('article', { class: 'event-popup', dataset: { eventId: id } },
		el('h2', { class: `event-title event-type-${type}` }, str(p.title) || 'Untitled event'),
		summaryBlock(str(p.summary)),
		dl,
		id ? historyBlock(id) : null,
		el('h3', null, sources.length ? 'Sources' : 'No sources recorded'),
		sources.length ? sourceList(sources) : null,
		id ? el('p', { class: 'feature-link' },
			el('a', { href: `${item}/revisions?f=html`, class: 'history-link', type: 'text/html' }, 'History of changes'),
			' · ',
			el('a', { href: item, class: 'geojson-link', type: 'application/geo+json' }, 'This event as GeoJSON')) : null,
	);
}

// ---- what changed --------------------------------------------------------------------------

// "What changed": the event's revisions (read when first opened), newest first, each with its
// time, editor (the API names editors to token holders only), reason and the changes the server
// words for people: old → new, word diffs of the title and summary, actors and sources added
// and removed, how far the location moved. The popup is asked to re-measure itself after.
function historyBlock(id) {
	const body = el('div', { class: 'history-body' }, 'loading…');
	const box = el('details', { class: 'history', dataset: { eventId: id } }, el('summary', null, 'What changed'), body);
	let loaded = false;
	box.addEventListener('toggle', async () => {
		if (!box.open || loaded) return;
		loaded = true;
		try {
			const h = await getRevisions(id);
			const revs = Array.isArray(h.revisions) ? [...h.revisions].reverse() : [];
			body.replaceChildren(revs.length ? el('ol', { class: 'revisions' }, revs.map(revisionItem)) : 'No history recorded.');
			box.dataset.loaded = String(revs.length);
		} catch (err) {
			loaded = false;
			body.replaceChildren(`Could not load the history: ${err && err.message ? err.message : err}`);
		}
		box.dispatchEvent(new CustomEvent('eventmap:resize', { bubbles: true }));
		// the popup scrolls inside: bring what was opened to its top
		const scroller = box.closest('.leaflet-popup-content');
		if (scroller) scroller.scrollTop += box.getBoundingClientRect().top - scroller.getBoundingClientRect().top - 4;
	});
	return box;
}

function revisionItem(r) {
	r = r || {};
	const changes = Array.isArray(r.changes) ? r.changes : [];
	const head = [el('time', { datetime: str(r.recorded_at) }, formatWhen(r.recorded_at, 'exact', '')), r.editor ? ` · ${str(r.editor)}` : null];
	let what;
	if (changes.length) what = el('ul', { class: 'changes' }, changes.map(changeItem));
	else if (r.action === 'create') what = el('p', { class: 'first' }, 'First recorded as: ', el('q', null, str(r.feature?.properties?.title)));
	else if (r.action === 'delete') what = el('p', null, 'Deleted.');
	else what = el('p', { class: 'muted' }, 'No property changed.');
	return el('li', { class: 'revision', dataset: { version: str(r.version) } },
		el('p', { class: 'rev-meta' }, el('strong', null, `Version ${str(r.version)}`), ' · ', ...head),
		r.reason ? el('p', { class: 'reason' }, str(r.reason)) : null,
		what);
}

const shown = (c, v) => (c.property === 'type' ? TYPE_LABEL.get(str(v)) ?? str(v) : str(v) || '(empty)');

// One change: the runs of a word diff, old → new, list members added and removed, a move.
function changeItem(c) {
	c = c || {};
	const parts = [];
	if (Array.isArray(c.diff) && c.diff.length) {
		c.diff.forEach((d, i) => {
			const text = str(d && d.text);
			if (d.op === '-') parts.push(el('del', null, text), ' ');
			else if (d.op === '+') parts.push(i > 0 && c.diff[i - 1].op === '-' ? el('span', { class: 'arrow' }, '→ ') : null, el('ins', null, text), ' ');
			else parts.push(text, ' ');
		});
	} else if (c.old !== undefined || c.new !== undefined) {
		parts.push(el('del', null, shown(c, c.old)), el('span', { class: 'arrow' }, ' → '), el('ins', null, shown(c, c.new)));
	}
	if (typeof c.moved_km === 'number') parts.push(` moved ${c.moved_km.toFixed(1)} km`);
	const list = [
		...(c.added || []).map((a) => el('li', null, el('ins', null, `added: ${str(a)}`))),
		...(c.removed || []).map((a) => el('li', null, el('del', null, `removed: ${str(a)}`))),
		...(c.changed || []).map((a) => el('li', null, `changed: ${str(a)}`)),
	];
	const label = el('span', { class: 'change-label' }, `${str(c.label) || str(c.property)}: `);
	const value = [...parts, list.length ? el('ul', null, list) : null];
	// a long text's diff folds away, so the other changes stay in view
	if (c.property === 'summary') return el('li', { dataset: { property: 'summary' } }, el('details', null, el('summary', null, label, 'changed'), el('p', null, value)));
	return el('li', { dataset: { property: str(c.property) } }, label, value);
}

// A popup whose content grew (its history was read) is measured again, so it keeps its maximum
// height, scrolls inside and stays in view.
export function refitPopupsOnResize(map) {
	let open = null;
	map.on('popupopen', (e) => { open = e.popup; });
	map.on('popupclose', (e) => { if (open === e.popup) open = null; });
	map.getContainer().addEventListener('eventmap:resize', () => { if (open) open.update(); });
}

// Popups open under the filter panel (it sits above the map's panes): on a phone the panel folds
// away, on a wide screen the map moves the popup clear of it.
export function keepPopupsClearOf(map, panel, filtersBox) {
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
}
