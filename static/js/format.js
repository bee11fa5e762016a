// Dates and counts as the map writes them.
//
// when() is the map's copy of eventmap.FormatWhen (when.go), the rule the HTML pages use: an
// event's time in its own zone (the tz property: "+03:00" or an IANA name; UTC when empty), to
// its precision, with the UTC time or the period for a hover. Both are tested against the same
// cases, testdata/when_cases.json (e2e/format_rules.mjs here, when_test.go there).
import { str } from './dom.js';

export const DAY_MS = 86_400_000;
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
	'September', 'October', 'November', 'December'];

export const isoDay = (d) => d.toISOString().slice(0, 10);
// "9 Jun 2025"
export const shortDay = (d) => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()].slice(0, 3)} ${d.getUTCFullYear()}`;

const OFFSET_RE = /^([+-])(\d{2}):(\d{2})$/;
const pad = (n) => String(n).padStart(2, '0');

// Minutes east of UTC of tz at instant d, or null for an empty or unknown zone.
function offsetMinutes(d, tz) {
	const m = OFFSET_RE.exec(tz);
	if (m) {
		const mins = Number(m[2]) * 60 + Number(m[3]);
		if (mins > (m[1] === '-' ? 12 : 14) * 60) return null;
		return m[1] === '-' ? -mins : mins;
	}
	if (!tz || tz === 'Local') return null;
	try {
		const parts = new Intl.DateTimeFormat('en-US', {
			timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
		}).formatToParts(d);
		const f = Object.fromEntries(parts.map((p) => [p.type, Number(p.value)]));
		const local = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
		return Math.round((local - Math.floor(d.getTime() / 1000) * 1000) / 60000);
	} catch {
		return null; // a zone this browser does not know: shown in UTC
	}
}

// "+03:00" for 180 minutes.
const offsetText = (mins) => `${mins < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(mins) / 60))}:${pad(Math.abs(mins) % 60)}`;

// { text, title } for an occurred_at (RFC 3339), its time_precision and tz:
//   exact  19 Oct 2025, 03:00 UTC+03:00   (title 2025-10-19 00:00 UTC)
//   day    19 Oct 2025
//   week   week of 13 Oct 2025             (title 13 Oct 2025 – 19 Oct 2025)
//   month  November 2025                   (title 1 Nov 2025 – 30 Nov 2025)
export function when(iso, precision, tz) {
	const d = new Date(str(iso));
	if (!iso || Number.isNaN(d.getTime())) return { text: 'unknown date', title: '' };
	tz = str(tz);
	const off = offsetMinutes(d, tz);
	// "local" wall-clock time, read with the UTC getters
	const local = new Date(d.getTime() + (off ?? 0) * 60000);
	switch (precision) {
		case 'day':
			return { text: shortDay(local), title: '' };
		case 'week':
			return { text: `week of ${shortDay(local)}`, title: `${shortDay(local)} – ${shortDay(new Date(local.getTime() + 6 * DAY_MS))}` };
		case 'month': {
			const y = local.getUTCFullYear(), m = local.getUTCMonth();
			return { text: `${MONTHS[m]} ${y}`, title: `${shortDay(new Date(Date.UTC(y, m, 1)))} – ${shortDay(new Date(Date.UTC(y, m + 1, 0)))}` };
		}
		default: {
			let zone = 'UTC';
			if (off !== null && tz !== 'UTC') {
				zone = `UTC${offsetText(off)}`;
				if (!OFFSET_RE.test(tz)) zone += ` (${tz})`;
			}
			const utc = d.toISOString();
			return {
				text: `${shortDay(local)}, ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())} ${zone}`,
				title: `${utc.slice(0, 10)} ${utc.slice(11, 16)} UTC`,
			};
		}
	}
}

export const formatWhen = (iso, precision, tz) => when(iso, precision, tz).text;

// null/undefined/garbage is "unknown", never 0.
export function formatCount(n) {
	return typeof n === 'number' && Number.isFinite(n) ? String(n) : 'unknown';
}

export const plural = (n, word) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
