// The map's own wording. Which event properties the popup lists, their order and their names
// come from the server's schema (see popup.js); what is here is what the map draws in its own
// way: the type colours and legend (css/map.css has the colours), the status styles, the
// precision notes of the composite rows.

// Order and wording of the legend and the type filter.
export const TYPES = [
	['raid', 'Raid'],
	['airstrike', 'Airstrike'],
	['cache_destruction', 'Weapons cache destroyed'],
	['clash', 'Clash'],
	['arrest', 'Arrest'],
	['explosion', 'Explosion'],
	['other', 'Other'],
];
export const TYPE_LABEL = new Map(TYPES);

// The filter's wording names how each status is drawn.
export const STATUSES = [
	['reported', 'Reported (faded)'],
	['corroborated', 'Corroborated'],
	['confirmed', 'Confirmed'],
	['disputed', 'Disputed (dashed)'],
	['retracted', 'Retracted (struck)'],
];

export const TIME_PRECISION = {
	exact: 'exact time',
	day: 'known to the day',
	week: 'known to the week',
	month: 'known to the month',
};
export const GEO_PRECISION = {
	exact: 'exact location',
	town: 'town or village',
	region: 'approximate: somewhere in a region',
};

// Popup row labels the map words itself, by property name; any other row is labelled with
// the property's schema title. These are the rows the map composes from several properties.
export const FIELD_LABELS = new Map([
	['occurred_at', 'Date'],
	['place', 'Place'],
	['actors', 'Actors'],
]);

// Values the map names itself, by property name; other enum values are shown as sent.
export const VALUE_LABELS = new Map([
	['type', TYPE_LABEL],
]);

// Known values map to themselves, anything else to a safe default (also keeps class names clean).
export const typeKey = (t) => (TYPE_LABEL.has(t) ? t : 'other');
export const precisionKey = (p) => (Object.hasOwn(GEO_PRECISION, p) ? p : 'exact');
export const statusKey = (s) => (STATUSES.some(([k]) => k === s) ? s : 'reported');
