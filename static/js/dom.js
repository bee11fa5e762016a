// DOM helpers. Event data reaches the page as text or attribute values, never as HTML, and no
// style="" attribute is ever written: the page runs under a CSP without 'unsafe-inline'.

export const str = (v) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));

export function el(tag, attrs, ...children) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k === 'class') e.className = v;
		else if (k === 'dataset') Object.assign(e.dataset, v);
		else e.setAttribute(k, v === true ? '' : String(v));
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false) continue;
		e.append(c instanceof Node ? c : String(c));
	}
	return e;
}

// Only http(s) links are made clickable; anything else (javascript:, data:) stays text.
export function safeHref(u) {
	try {
		const url = new URL(str(u), window.location.href);
		return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
	} catch {
		return null;
	}
}

function escapeHtml(s) {
	return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Tile attributions are configured as HTML (`&copy; <a href="…">OpenStreetMap</a>`) and
// Leaflet inserts them as HTML. Keep only text and http(s) links: parse in an inert
// document (DOMParser loads and runs nothing), then rebuild escaped markup.
export function attributionHtml(html) {
	const doc = new DOMParser().parseFromString(`<body>${str(html)}</body>`, 'text/html');
	const walk = (node) => {
		if (node.nodeType === Node.TEXT_NODE) return escapeHtml(node.data);
		if (node.nodeType !== Node.ELEMENT_NODE || /^(script|style|template|noscript)$/.test(node.localName)) return '';
		const inner = [...node.childNodes].map(walk).join('');
		const href = node.localName === 'a' ? safeHref(node.getAttribute('href')) : null;
		return href ? `<a href="${escapeHtml(href)}" target="_blank" rel="noopener noreferrer">${inner}</a>` : inner;
	};
	return [...doc.body.childNodes].map(walk).join('');
}
