// The map's own boxes: title with the status line, and the legend.
import { el } from './dom.js';
import { TYPES } from './labels.js';

const L = window.L;

// Adds the title box and returns setStatus(text, state). state (starting | pending | loading |
// ready | error) is also put on #map as data-state, which the browser tests wait on.
export function addInfoBox(map, mapEl) {
	const statusText = el('span', { class: 'status-text', role: 'status', 'aria-live': 'polite' }, 'loading…');
	const InfoControl = L.Control.extend({
		options: { position: 'topright' },
		onAdd() {
			const box = el('div', { class: 'leaflet-bar info-box' },
				el('h1', null, 'eventmap'),
				statusText);
			L.DomEvent.disableClickPropagation(box);
			return box;
		},
	});
	new InfoControl().addTo(map);
	return (text, state) => {
		statusText.textContent = text;
		statusText.className = `status-text state-${state}`;
		mapEl.dataset.state = state;
	};
}

const swatch = (classes) => el('span', { class: `legend-swatch ${classes}`, 'aria-hidden': 'true' });

export function addLegend(map) {
	const LegendControl = L.Control.extend({
		options: { position: 'bottomright' },
		onAdd() {
			// <details>: collapsible, closed by default on narrow screens
			const box = el('details', { class: 'leaflet-bar legend', open: window.innerWidth > 700 },
				el('summary', null, 'Legend'),
				el('h2', null, 'Event type'),
				el('ul', null, TYPES.map(([key, label]) => el('li', null, swatch(`swatch-dot event-type-${key}`), label))),
				el('h2', null, 'Location'),
				el('ul', null,
					el('li', null, swatch('swatch-dot swatch-neutral'), 'exact'),
					el('li', null, swatch('swatch-dot swatch-town swatch-neutral'), 'town or village'),
					el('li', null, swatch('swatch-region swatch-neutral'), 'approximate (region)'),
					el('li', null, swatch('swatch-area swatch-neutral'), 'area: imprecise location'),
					el('li', null, swatch('swatch-cluster'), 'group of events: select to see them')),
				el('h2', null, 'Status'),
				el('ul', null,
					el('li', null, swatch('swatch-dot swatch-neutral status-confirmed'), 'confirmed, corroborated'),
					el('li', null, swatch('swatch-dot swatch-neutral status-reported'), 'reported (faded)'),
					el('li', null, swatch('swatch-dot swatch-neutral status-disputed'), 'disputed (dashed)'),
					el('li', null, swatch('swatch-dot swatch-neutral status-retracted'), 'retracted (struck)')));
			L.DomEvent.disableClickPropagation(box);
			L.DomEvent.disableScrollPropagation(box);
			return box;
		},
	});
	new LegendControl().addTo(map);
}
