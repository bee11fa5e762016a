// The filter panel (type, status, words, actor), the time slider over its histogram, and the
// "download this view" links. All read and write state.js; onChange asks for a reload.
import { COLLECTION_PATH, HISTOGRAM_PATH, ITEMS_PATH, apiURL, getJSON } from './api.js';
import { el, str } from './dom.js';
import { DAY_MS, MONTHS, isoDay, plural, shortDay } from './format.js';
import { STATUSES, TYPES } from './labels.js';
import { filterParams, state } from './state.js';

const byId = (id) => document.getElementById(id);

// ---- filter form ----------------------------------------------------------------------

export function createFilterForm(onChange) {
	const form = byId('filters');
	const filtersBox = byId('filters-box');
	const filterSummary = byId('filter-summary');
	const qInput = byId('filter-q');
	const actorInput = byId('filter-actor');

	function checkboxes(fieldsetId, items, name, swatch) {
		const fs = byId(fieldsetId);
		for (const [key, label] of items) {
			fs.append(el('label', { class: 'check' }, el('input', { type: 'checkbox', name, value: key }),
				el('span', { class: `legend-swatch swatch-dot ${swatch(key)}`, 'aria-hidden': 'true' }),
				label));
		}
	}
	checkboxes('type-filter', TYPES, 'type', (k) => `event-type-${k}`);
	checkboxes('status-filter', STATUSES, 'status', (k) => `swatch-neutral status-${k}`);
	filtersBox.open = window.innerWidth > 700;

	function showSummary() {
		const n = (state.types.size ? 1 : 0) + (state.statuses.size ? 1 : 0) + (state.q ? 1 : 0) + (state.actor ? 1 : 0);
		filterSummary.textContent = n ? `(${n} active)` : '';
	}

	// Put the inputs where state says (at start, and when the hash is edited).
	function sync() {
		for (const input of form.querySelectorAll('input[type=checkbox]')) {
			input.checked = (input.name === 'type' ? state.types : state.statuses).has(input.value);
		}
		qInput.value = state.q;
		actorInput.value = state.actor;
		showSummary();
	}

	function read() {
		const data = new FormData(form);
		state.types = new Set(data.getAll('type').map(String));
		state.statuses = new Set(data.getAll('status').map(String));
		state.q = str(data.get('q')).trim();
		state.actor = str(data.get('actor')).trim();
		showSummary();
		onChange();
	}

	form.addEventListener('change', read);
	form.addEventListener('input', (e) => {
		if (e.target instanceof HTMLInputElement && e.target.type === 'search') read();
	});
	form.addEventListener('submit', (e) => { e.preventDefault(); read(); });
	// the form is reset after this event: read it once the inputs are cleared
	form.addEventListener('reset', () => setTimeout(read, 0));

	sync();
	return { sync, box: filtersBox };
}

// ---- downloads ------------------------------------------------------------------------

// "Download this view": the same filters and box as the map, as many events as one request
// may return (the server's maximum page).
export function updateDownloads(bbox) {
	const p = filterParams();
	if (bbox) p.set('bbox', bbox.join(','));
	p.set('limit', '10000');
	byId('download-geojson').href = apiURL(ITEMS_PATH, p);
	const csv = new URLSearchParams(p);
	csv.set('f', 'csv');
	byId('download-csv').href = apiURL(ITEMS_PATH, csv);
}

// ---- time slider with a count per period ------------------------------------------------

// The periods from the first to the last event, so empty months show as gaps. Each keeps the
// calendar period it is in as key (the histogram's bucket start), but the first starts on the
// first event's day and the last ends with the last event's day: the slider spans exactly the
// data, not the whole weeks or months around it.
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
		out.push({ key: isoDay(d), start: d, end });
		d = end;
	}
	if (out.length) {
		const firstDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate()));
		const afterLast = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), last.getUTCDate()) + DAY_MS);
		out[0].start = new Date(Math.max(out[0].start.getTime(), firstDay.getTime()));
		out[out.length - 1].end = new Date(Math.min(out[out.length - 1].end.getTime(), afterLast.getTime()));
	}
	return out;
}

const lastDay = (p) => isoDay(new Date(p.end.getTime() - DAY_MS));
// A range of periods as the days it covers: "9 Jun 2025 – 2 Nov 2025".
const rangeName = (a, b) => `${shortDay(a.start)} – ${shortDay(new Date(b.end.getTime() - DAY_MS))}`;

// mapEl.dataset.timeline is set once the slider knows its periods.
export function createTimeline(mapEl, onChange) {
	const timeFrom = byId('time-from');
	const timeTo = byId('time-to');
	const timeLabel = byId('time-label');
	const timeAll = byId('time-all');
	const histogramEl = byId('histogram');
	let interval = 'month';
	let periods = []; // [{ start: Date, end: Date }]

	const periodName = (p) => (interval === 'week' ? `week of ${shortDay(p.start)}` : `${MONTHS[p.start.getUTCMonth()].slice(0, 3)} ${p.start.getUTCFullYear()}`);

	function showLabel() {
		const i = Number(timeFrom.value), j = Number(timeTo.value);
		let text;
		if (!state.time) text = periods.length ? `All time: ${rangeName(periods[0], periods[periods.length - 1])}` : 'All time';
		else if (periods.length) text = rangeName(periods[i], periods[j]);
		else text = state.time.join(' – ');
		timeLabel.textContent = text;
		timeFrom.setAttribute('aria-valuetext', periods[i] ? `from ${periodName(periods[i])}` : '');
		timeTo.setAttribute('aria-valuetext', periods[j] ? `to ${periodName(periods[j])}` : '');
		timeAll.disabled = !state.time;
		for (const [k, bar] of [...histogramEl.children].entries()) bar.classList.toggle('in-range', !state.time || (k >= i && k <= j));
	}

	// Put the handles where state.time says.
	function sync() {
		if (!periods.length) return;
		let i = 0, j = periods.length - 1;
		if (state.time) {
			const [from, to] = state.time;
			i = Math.max(0, periods.findIndex((p) => lastDay(p) >= from));
			const k = periods.findLastIndex((p) => isoDay(p.start) <= to);
			j = k < 0 ? periods.length - 1 : Math.max(i, k);
		}
		timeFrom.value = String(i);
		timeTo.value = String(j);
		showLabel();
	}

	// The slider's range is the collection's temporal extent, read once.
	async function setup() {
		try {
			const c = await getJSON(COLLECTION_PATH, undefined);
			const iv = c && c.extent && c.extent.temporal && c.extent.temporal.interval && c.extent.temporal.interval[0];
			if (!iv || !iv[0] || !iv[1]) throw new Error('no temporal extent');
			const first = new Date(iv[0]), last = new Date(iv[1]);
			// weeks when the record spans less than ~8 months, so the slider has enough steps
			interval = last - first < 240 * DAY_MS ? 'week' : 'month';
			periods = periodsBetween(first, last, interval);
		} catch (err) {
			console.warn('time slider disabled:', err);
			periods = [];
		}
		for (const input of [timeFrom, timeTo]) {
			input.max = String(Math.max(0, periods.length - 1));
			input.disabled = periods.length < 2;
		}
		histogramEl.replaceChildren(...periods.map((p) => el('div', { class: 'bar', dataset: { start: p.key } })));
		// the slider's span, for the browser tests: the first and last event's days
		if (periods.length) mapEl.dataset.timeRange = `${isoDay(periods[0].start)}/${lastDay(periods[periods.length - 1])}`;
		sync();
		mapEl.dataset.timeline = 'ready';
	}

	function onSlide(e) {
		let i = Number(timeFrom.value), j = Number(timeTo.value);
		if (i > j) { // the handles may not cross: push the other one along
			if (e.target === timeFrom) j = i; else i = j;
			timeFrom.value = String(i);
			timeTo.value = String(j);
		}
		state.time = i === 0 && j === periods.length - 1 ? null : [isoDay(periods[i].start), lastDay(periods[j])];
		showLabel();
		onChange();
	}
	timeFrom.addEventListener('input', onSlide);
	timeTo.addEventListener('input', onSlide);
	timeAll.addEventListener('click', () => {
		state.time = null;
		sync();
		onChange();
	});

	// Counts per period for the view, under every filter but the time range.
	async function loadHistogram(bbox, signal) {
		if (!periods.length) return;
		const p = filterParams(false);
		p.set('bbox', bbox.join(','));
		p.set('interval', interval);
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

	return { setup, sync, loadHistogram };
}
