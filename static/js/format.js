// Dates and counts as the map writes them. All dates are UTC, as the API gives them.
import { str } from './dom.js';

export const DAY_MS = 86_400_000;
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
	'September', 'October', 'November', 'December'];

export const isoDay = (d) => d.toISOString().slice(0, 10);
// "9 Jun 2025"
export const shortDay = (d) => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()].slice(0, 3)} ${d.getUTCFullYear()}`;

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

export const plural = (n, word) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
