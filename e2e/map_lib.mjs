// Shared harness of the map's browser scenarios (map_scenarios.mjs, map_load.mjs): headless
// Debian chromium through playwright-core, the page served under the Content-Security-Policy
// the server is meant to send for /map/, and a record of everything that must fail a run.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const STEP_TIMEOUT_MS = 30_000;
const SETTLE_MS = 600; // longer than the map's 250 ms debounce

export class Failure extends Error {}
export const fail = (msg) => {
	throw new Failure(msg);
};

// The CSP of /map/ (see README "The map"): no inline script or style, no eval, data only from
// the page's own origin. tileHost is added to img-src when a tile server is configured.
export function mapCSP(tileHost) {
	return `default-src 'self'; img-src 'self' data:${tileHost ? ` ${tileHost}` : ''}; style-src 'self'; script-src 'self'; connect-src 'self'`;
}

export async function launch() {
	return chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync',
			'--disable-dev-shm-usage'],
	});
}

// A 1×1 PNG (light grey): the tile a served tile server answers with.
const TILE_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGO4cOECAATkAnECaf5bAAAAAElFTkSuQmCC', 'base64');

// openSession makes a fresh browser context watched for problems: console errors (CSP
// violations are console errors too), page errors, HTTP errors and failed requests. Requests to
// any host but base's are aborted: foreign 'fail' makes them a problem, 'expect' only counts
// them (a configured tile server that is unreachable). serveTiles answers requests to tileHost
// with a PNG instead (a tile server that works), counted in s.tiles.
export async function openSession(browser, base, { viewport = { width: 1280, height: 800 }, foreign = 'fail', tileHost = '', serveTiles = false } = {}) {
	const context = await browser.newContext({ viewport, serviceWorkers: 'block', acceptDownloads: true });
	context.setDefaultTimeout(STEP_TIMEOUT_MS);
	const s = { context, problems: [], requests: [], blocked: [], tiles: 0 };
	await context.route('**/*', async (route) => {
		const req = route.request();
		const u = new URL(req.url());
		if (serveTiles && tileHost && u.origin === new URL(tileHost).origin) {
			s.tiles++;
			return route.fulfill({ status: 200, contentType: 'image/png', body: TILE_PNG });
		}
		if ((u.protocol === 'http:' || u.protocol === 'https:') && u.host !== base.host) {
			if (foreign === 'fail') s.problems.push(`request to another host: ${req.method()} ${u.href}`);
			s.blocked.push(u.href);
			return route.abort('blockedbyclient');
		}
		if (req.resourceType() === 'document' && u.pathname.startsWith('/map/')) {
			const res = await route.fetch();
			return route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': mapCSP(tileHost) } });
		}
		return route.continue();
	});
	const page = await context.newPage();
	s.page = page;
	page.on('console', (m) => {
		if (m.type() !== 'error') return;
		if (m.text().includes('ERR_BLOCKED_BY_CLIENT')) return; // our own block of another host
		const loc = m.location();
		s.problems.push(`console error: ${m.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
	});
	page.on('pageerror', (err) => s.problems.push(`page error: ${err.message}`));
	page.on('request', (r) => {
		const u = new URL(r.url());
		if (u.host === base.host) s.requests.push({ at: Date.now(), url: `${u.pathname}${u.search}` });
	});
	page.on('requestfailed', (r) => {
		const why = r.failure()?.errorText ?? '';
		// fetches cancelled by the map's AbortController (stale view) are expected
		if (why === 'net::ERR_ABORTED' && r.resourceType() === 'fetch') return;
		if (why.startsWith('net::ERR_BLOCKED_BY_CLIENT')) return;
		s.problems.push(`request failed: ${r.method()} ${r.url()} ${why}`);
	});
	page.on('response', (r) => {
		if (r.status() >= 400) s.problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
	});
	return s;
}

export function checkProblems(s) {
	if (s.problems.length) fail(s.problems.slice(0, 12).join('\n  '));
}

export async function statusLine(page) {
	try {
		return (await page.locator('.status-text').first().textContent({ timeout: 1000 })) ?? '';
	} catch {
		return '';
	}
}

// Resolves when the map has drawn the answer for the current view and stayed idle for
// SETTLE_MS (no debounced reload pending). Fails on the map's own error state.
export async function waitForEventsDrawn(page, what, timeout = STEP_TIMEOUT_MS) {
	const deadline = Date.now() + timeout;
	let last = '';
	while (Date.now() < deadline) {
		const state = await page.evaluate(() => {
			const m = document.getElementById('map');
			return m ? `${m.dataset.state}|${m.dataset.outline ?? ''}|${m.dataset.eventCount ?? ''}|${m.dataset.mode ?? ''}|${location.hash}` : 'missing';
		});
		if (state === 'missing') fail('no #map element on the page');
		const [st, outline] = state.split('|');
		if (st === 'error') fail(`the map reports an error ${what}: "${await statusLine(page)}"`);
		if (outline === 'error') fail('the country outline (data/countries.geojson) did not load');
		if (st === 'ready' && outline === 'ready' && state === last) return view(page);
		last = st === 'ready' && outline === 'ready' ? state : '';
		await page.waitForTimeout(last ? SETTLE_MS : 50);
	}
	fail(`events not drawn ${what} within ${timeout / 1000}s (status "${await statusLine(page)}")`);
}

// What the map shows now: mode, count, the drawn layers.
export async function view(page) {
	return page.evaluate(() => {
		const m = document.getElementById('map');
		const v = window.eventmapView();
		return {
			state: m.dataset.state,
			mode: m.dataset.mode,
			count: Number(m.dataset.eventCount),
			markers: document.querySelectorAll('.event-marker').length,
			areas: document.querySelectorAll('.event-area').length,
			clusterIcons: document.querySelectorAll('.marker-cluster').length,
			ids: v.ids.slice().sort(),
			requests: v.requests,
			hash: location.hash,
			status: document.querySelector('.status-text')?.textContent ?? '',
		};
	});
}

export async function screenshot(page, dir, name) {
	mkdirSync(dir, { recursive: true });
	const file = path.join(dir, `${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
	return file;
}

const rgb = (css) => (/rgba?\(([^)]+)\)/.exec(css)?.[1] ?? '0,0,0').split(',').slice(0, 3).map(Number);
const distance = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

// A group of events must not look like an event: the bubble of the first `selector` (its inner
// div, where the count is) is compared with every event type's colour in the legend, and must be
// far from each (RGB distance at least 120 of 441); Arrest's green was the old clusters' colour.
export async function clusterColourCheck(page, selector) {
	const c = await page.evaluate((sel) => {
		const bubble = document.querySelector(`${sel} div`);
		const types = Object.fromEntries([...document.querySelectorAll('.legend .legend-swatch[class*="event-type-"]')]
			.map((sw) => [/event-type-(\w+)/.exec(sw.className)[1], getComputedStyle(sw).backgroundColor]));
		return { bubble: bubble && getComputedStyle(bubble).backgroundColor, ring: bubble && getComputedStyle(bubble.parentElement).backgroundColor, types };
	}, selector);
	if (!c.bubble) fail(`no ${selector} bubble on the map`);
	if (!c.types.arrest || Object.keys(c.types).length < 7) fail(`the legend's type colours were not found: ${JSON.stringify(c.types)}`);
	const near = Object.entries(c.types).map(([t, col]) => [t, Math.round(distance(rgb(c.bubble), rgb(col)))]).sort((a, b) => a[1] - b[1]);
	if (near[0][1] < 120) fail(`the ${selector} colour ${c.bubble} is close to the ${near[0][0]} colour ${c.types[near[0][0]]} (distance ${near[0][1]})`);
	return { bubble: c.bubble, ring: c.ring, arrest: c.types.arrest, nearest: near[0] };
}
