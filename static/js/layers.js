// The overlays: events drawn one by one (markers clustered in the browser, imprecise locations
// as areas), the server's clusters when the view holds too many events, and the region outlines.
//
// Test hooks (e2e/map*.mjs): event markers have class `event-marker`, areas `event-area`, server
// clusters `server-cluster`; markers and areas carry data-event-id, data-event-type, data-place.
import { REGIONS_PATH, getEvent, getJSON } from './api.js';
import { el, str } from './dom.js';
import { formatWhen, plural } from './format.js';
import { TYPE_LABEL, precisionKey, statusKey, typeKey } from './labels.js';
import { POPUP_OPTIONS } from './popup.js';

const L = window.L;

function tagElement(node, f, label) {
	const p = f.properties || {};
	node.dataset.eventId = str(f.id);
	node.dataset.eventType = str(p.type);
	node.dataset.place = str(p.place);
	node.dataset.precision = str(p.geo_precision);
	node.dataset.status = str(p.status);
	if (label) node.setAttribute('aria-label', label);
}

// The accessible name and hover title of a marker or area.
function describe(f) {
	const p = f.properties || {};
	const parts = [str(p.title) || 'Untitled event'];
	if (p.place && !str(p.title).includes(str(p.place))) parts.push(str(p.place));
	parts.push(formatWhen(p.occurred_at, p.time_precision, p.tz));
	if (p.status) parts.push(str(p.status));
	return parts.join(' · ');
}

// A popup's content is made when it first opens and kept: Leaflet calls a content function
// again on every update() (the popup re-measured after its history was read), which would
// replace what the reader opened with a fresh copy.
function once(make) {
	let node = null;
	return () => (node ??= make());
}

function eventIcon(type, precision, status) {
	const prec = precisionKey(precision);
	const size = prec === 'region' ? 30 : 16;
	return L.divIcon({
		className: `event-marker event-type-${typeKey(type)} precision-${prec} status-${statusKey(status)}`,
		html: '',
		iconSize: [size, size],
		popupAnchor: [0, -size / 2],
	});
}

// Adds the event and region overlays and the layer control to map. popup(feature) makes a
// popup's content. mapEl.dataset.regions counts the regions once drawn.
export function createOverlays(map, mapEl, popup) {
	map.createPane('regions').style.zIndex = '350';

	// Events drawn one by one are clustered in the browser; events at one place spiderfy.
	const markersLayer = L.markerClusterGroup({
		spiderfyOnMaxZoom: true,
		showCoverageOnHover: false,
		zoomToBoundsOnClick: true,
		maxClusterRadius: 50,
		chunkedLoading: true,
	});
	const areasLayer = L.featureGroup();
	const serverClusters = L.featureGroup();
	// The events of one server cell opened at the deepest zoom (loader.js expandCell): clustered
	// apart from the view's markers and spiderfied at once. Not chunked, so its clusters exist as
	// soon as the markers are added.
	const cellLayer = L.markerClusterGroup({
		spiderfyOnMaxZoom: true,
		showCoverageOnHover: false,
		zoomToBoundsOnClick: false,
		maxClusterRadius: 50,
		chunkedLoading: false,
		animate: false, // thousands of legs: placed at once, not flown out one by one
	});
	const eventsLayer = L.layerGroup([areasLayer, markersLayer, serverClusters, cellLayer]).addTo(map);
	const regionsLayer = L.featureGroup();

	const layersControl = L.control.layers(null, {
		'Events': eventsLayer,
		'Regions (approximate outlines)': regionsLayer,
	}, { collapsed: window.innerWidth <= 700, position: 'topright' }).addTo(map);
	layersControl.getContainer().setAttribute('aria-label', 'Layers');

	const shown = new Map(); // id -> { key, layers }

	function pointLayer(f, coords, into = markersLayer) {
		const p = f.properties || {};
		const label = describe(f);
		const m = L.marker([coords[1], coords[0]], {
			icon: eventIcon(p.type, p.geo_precision, p.status),
			title: label,
			alt: label,
			keyboard: true,
			riseOnHover: true,
		});
		m.bindPopup(once(() => popup(f)), POPUP_OPTIONS);
		// Inside a cluster a marker has no element; Leaflet makes a new one each time it is shown.
		m.on('add', () => {
			const e = m.getElement();
			if (e) {
				tagElement(e, f, label);
				e.setAttribute('role', 'button');
			}
		});
		if (into) into.addLayer(m);
		return m;
	}

	function areaLayer(f, latlngs, isLine) {
		const p = f.properties || {};
		const label = describe(f);
		const opts = {
			className: `event-area event-type-${typeKey(p.type)} status-${statusKey(p.status)}`,
			color: '#555',
			weight: 2,
			dashArray: '6 5',
			fillOpacity: 0.14,
			opacity: 0.9,
		};
		const layer = isLine ? L.polyline(latlngs, opts) : L.polygon(latlngs, opts);
		layer.bindPopup(once(() => popup(f)), POPUP_OPTIONS);
		layer.on('add', () => {
			const e = layer.getElement();
			if (!e || e.dataset.eventId) return;
			tagElement(e, f, label);
			// SVG paths are not focusable or announced by themselves: make the area a button.
			e.setAttribute('tabindex', '0');
			e.setAttribute('role', 'button');
			const t = document.createElementNS('http://www.w3.org/2000/svg', 'title');
			t.textContent = label;
			e.append(t);
			e.addEventListener('keydown', (ev) => {
				if (ev.key === 'Enter' || ev.key === ' ') {
					ev.preventDefault();
					layer.openPopup();
				}
			});
		});
		areasLayer.addLayer(layer);
		return layer;
	}

	function layersFor(f, g = f.geometry) {
		if (!g) return [];
		const c = g.coordinates;
		try {
			switch (g.type) {
				case 'Point':
					return [pointLayer(f, c)];
				case 'MultiPoint':
					return c.map((pt) => pointLayer(f, pt));
				case 'Polygon':
					return [areaLayer(f, L.GeoJSON.coordsToLatLngs(c, 1))];
				case 'MultiPolygon':
					return [areaLayer(f, L.GeoJSON.coordsToLatLngs(c, 2))];
				case 'LineString':
					return [areaLayer(f, L.GeoJSON.coordsToLatLngs(c, 0), true)];
				case 'MultiLineString':
					return [areaLayer(f, L.GeoJSON.coordsToLatLngs(c, 1), true)];
				case 'GeometryCollection':
					return (g.geometries || []).flatMap((sub) => layersFor(f, sub));
				default:
					return [];
			}
		} catch (err) {
			console.warn('event not drawn, bad geometry:', f.id, err);
			return [];
		}
	}

	function clearEvents() {
		markersLayer.clearLayers();
		areasLayer.clearLayers();
		shown.clear();
	}

	// Draw the new set, keeping layers of events that did not change (so an open popup survives
	// the reload that its own auto-pan triggers). Returns the number of events.
	function renderEvents(features) {
		serverClusters.clearLayers();
		cellLayer.clearLayers();
		const next = new Map();
		for (const f of features) {
			if (!f || typeof f !== 'object') continue;
			const id = str(f.id) || JSON.stringify(f.geometry);
			next.set(id, f);
		}
		const gone = [];
		for (const [id, entry] of shown) {
			const f = next.get(id);
			if (!f || JSON.stringify(f) !== entry.key) {
				for (const l of entry.layers) {
					if (markersLayer.hasLayer(l)) gone.push(l);
					areasLayer.removeLayer(l);
				}
				shown.delete(id);
			}
		}
		markersLayer.removeLayers(gone);
		// big areas first so smaller ones stay clickable on top of them
		const area = (f) => {
			const g = f.geometry || {};
			if (g.type !== 'Polygon' && g.type !== 'MultiPolygon') return 0;
			const b = L.geoJSON(g).getBounds();
			return (b.getEast() - b.getWest()) * (b.getNorth() - b.getSouth());
		};
		const added = [...next].filter(([id]) => !shown.has(id)).sort(([, a], [, b]) => area(b) - area(a));
		for (const [id, f] of added) shown.set(id, { key: JSON.stringify(f), layers: layersFor(f) });
		return next.size;
	}

	// A cell of one event is drawn as that event; its facts are fetched when it is opened.
	function singleEventMarker(cell) {
		const p = cell.properties;
		const [lon, lat] = cell.geometry.coordinates;
		const label = `${TYPE_LABEL.get(typeKey(p.type))} event: select for its details`;
		const m = L.marker([lat, lon], { icon: eventIcon(p.type, p.geo_precision, null), title: label, alt: label, keyboard: true });
		m.bindPopup(el('p', null, 'loading…'), POPUP_OPTIONS);
		m.on('popupopen', async () => {
			try {
				m.setPopupContent(popup(await getEvent(p.id)));
			} catch (err) {
				m.setPopupContent(el('p', null, `Could not load the event: ${err.message || err}`));
			}
		});
		m.on('add', () => {
			const e = m.getElement();
			if (e) {
				e.dataset.eventId = str(p.id);
				e.dataset.eventType = str(p.type);
				e.setAttribute('role', 'button');
			}
		});
		return m;
	}

	function clusterMarker(cell) {
		const n = cell.properties.count;
		const size = n < 100 ? 'small' : n < 1000 ? 'medium' : 'large';
		const label = `${plural(n, 'event')} here: select to zoom in`;
		const text = n >= 1000 ? `${(n / 1000).toFixed(n < 10000 ? 1 : 0)}k` : String(n); // fits the 40px bubble
		const m = L.marker([cell.geometry.coordinates[1], cell.geometry.coordinates[0]], {
			icon: L.divIcon({ className: `marker-cluster marker-cluster-${size} server-cluster`, html: el('div', null, el('span', null, text)), iconSize: [40, 40] }),
			title: label,
			alt: label,
			keyboard: true,
		});
		m.on('click', () => {
			// Nowhere deeper to go: the loader fetches the cell's events and spreads them out.
			if (map.getZoom() >= map.getMaxZoom()) {
				map.fire('eventmap:expandcell', { cell, marker: m });
				return;
			}
			const [w, s, e, nth] = cell.bbox;
			const b = L.latLngBounds([s, w], [nth, e]);
			// events at (nearly) one spot: zoom in two steps rather than to an empty point
			if (b.getNorth() - b.getSouth() < 1e-4 && b.getEast() - b.getWest() < 1e-4) map.setView(b.getCenter(), Math.min(map.getMaxZoom(), map.getZoom() + 2));
			else map.fitBounds(b.pad(0.2), { maxZoom: map.getMaxZoom() });
		});
		m.on('add', () => {
			const e = m.getElement();
			if (e) {
				e.dataset.count = String(n);
				e.setAttribute('role', 'button');
			}
		});
		return m;
	}

	function renderClusters(fc) {
		clearEvents();
		serverClusters.clearLayers();
		cellLayer.clearLayers();
		for (const cell of fc.features || []) {
			if (!cell || !cell.geometry || !cell.properties) continue;
			serverClusters.addLayer(cell.properties.count === 1 && cell.properties.id ? singleEventMarker(cell) : clusterMarker(cell));
		}
	}

	// Fetched the first time the overlay is switched on; again only if that failed.
	let regionsLoaded = false;
	async function loadRegions() {
		if (regionsLoaded) return;
		regionsLoaded = true;
		try {
			const fc = await getJSON(REGIONS_PATH, undefined);
			L.geoJSON(fc, {
				pane: 'regions',
				style: { className: 'region-area', color: '#6b5b3e', weight: 2, dashArray: '2 6', fillOpacity: 0.08 },
				onEachFeature(f, layer) {
					const p = f.properties || {};
					const name = str(p.name) || str(f.id);
					layer.bindTooltip(`${name}${p.approximate ? ' (approximate outline)' : ''}`, { sticky: true });
					layer.on('add', () => {
						const e = layer.getElement();
						if (e) e.dataset.region = str(f.id);
					});
				},
			}).eachLayer((l) => regionsLayer.addLayer(l));
			mapEl.dataset.regions = String(regionsLayer.getLayers().length);
		} catch (err) {
			regionsLoaded = false;
			console.warn('regions not loaded:', err);
		}
	}

	// Draws a cell's events in place of its server cluster and spiderfies the biggest group they
	// form (all of them when they share one spot; any others open on a click). Returns how many
	// were drawn.
	function spiderfyCell(marker, features) {
		cellLayer.clearLayers();
		const points = [];
		for (const f of features) {
			const g = f && f.geometry;
			if (g && g.type === 'Point') points.push(pointLayer(f, g.coordinates, null));
			else layersFor(f); // areas and others are drawn as usual
		}
		cellLayer.addLayers(points);
		serverClusters.removeLayer(marker);
		const groups = new Map();
		for (const p of points) {
			const parent = cellLayer.getVisibleParent(p);
			if (parent && parent !== p && typeof parent.spiderfy === 'function') groups.set(parent, (groups.get(parent) || 0) + 1);
		}
		const biggest = [...groups].sort((a, b) => b[1] - a[1])[0];
		if (biggest) biggest[0].spiderfy();
		return points.length;
	}

	return {
		regionsLayer,
		renderEvents,
		renderClusters,
		spiderfyCell,
		clear() {
			clearEvents();
			serverClusters.clearLayers();
			cellLayer.clearLayers();
		},
		expandedCount: () => cellLayer.getLayers().length,
		loadRegions,
		shownIds: () => [...shown.keys()],
		clusterCount: () => serverClusters.getLayers().length,
	};
}
