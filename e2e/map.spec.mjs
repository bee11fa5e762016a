#!/usr/bin/env node
// Browser check of the static map against a running eventmap server.
//
//   node e2e/map.spec.mjs BASE_URL EXPECTED_COUNT SCREENSHOT_PATH
//   e.g. node e2e/map.spec.mjs http://127.0.0.1:8080 7 .artifacts/map.png
//
// Opens BASE_URL/map/ in /usr/bin/chromium (fresh profile) and fails on any console error,
// page error, failed request, HTTP error or request to a host other than BASE_URL's. Waits
// until the event layers are drawn, checks that .event-marker + .event-area elements number
// EXPECTED_COUNT, saves SCREENSHOT_PATH with "-overview" before ".png" (all events, no
// popup), opens the Dumayr raid's popup, checks its facts and saves SCREENSHOT_PATH. Prints one JSON line on success (exit 0); prints the reason on stderr and
// exits 1 on any failure. Needs: bash scripts/test-deps.sh.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const STEP_TIMEOUT_MS = 20_000;
const TOTAL_TIMEOUT_MS = 90_000;
const SETTLE_MS = 600; // longer than the map's 250 ms moveend debounce

function usage(msg) {
	console.error(`map.spec: ${msg}\nusage: node e2e/map.spec.mjs BASE_URL EXPECTED_COUNT SCREENSHOT_PATH`);
	process.exit(1);
}

const [baseArg, countArg, shotArg] = process.argv.slice(2);
if (!baseArg || countArg === undefined || !shotArg) usage('missing arguments');
let base;
try {
	base = new URL(baseArg);
} catch {
	usage(`BASE_URL is not a URL: ${baseArg}`);
}
if (!/^\d+$/.test(countArg)) usage(`EXPECTED_COUNT is not a non-negative integer: ${countArg}`);
const expected = Number(countArg);
const mapURL = `${base.origin}${base.pathname.replace(/\/+$/, '')}/map/`;
const shotPath = path.resolve(shotArg);

const started = Date.now();
const problems = []; // everything that makes the run fail, in order seen
const requests = []; // same-origin requests, for the summary

class Failure extends Error {}
const fail = (msg) => {
	throw new Failure(msg);
};

let browser;
let page;
const watchdog = setTimeout(() => {
	console.error(`map.spec: FAIL: no result after ${TOTAL_TIMEOUT_MS / 1000}s`);
	process.exit(1);
}, TOTAL_TIMEOUT_MS);

async function statusLine() {
	try {
		return (await page.locator('.status-text').first().textContent({ timeout: 1000 })) ?? '';
	} catch {
		return '';
	}
}

// Resolves when the map has drawn the answer for the current view and stayed idle for
// SETTLE_MS (no debounced reload pending). Fails on the map's own error state.
async function waitForEventsDrawn(what) {
	const deadline = Date.now() + STEP_TIMEOUT_MS;
	let last = '';
	while (Date.now() < deadline) {
		const state = await page.evaluate(() => {
			const m = document.getElementById('map');
			return m ? `${m.dataset.state}|${m.dataset.outline ?? ''}|${m.dataset.eventCount ?? ''}` : 'missing';
		});
		if (state === 'missing') fail('no #map element on the page');
		const [s, outline] = state.split('|');
		if (s === 'error') fail(`the map reports an error ${what}: "${await statusLine()}"`);
		if (outline === 'error') fail('the country outline (data/countries.geojson) did not load');
		if (s === 'ready' && outline === 'ready' && state === last) return state;
		last = s === 'ready' && outline === 'ready' ? state : '';
		await page.waitForTimeout(last ? SETTLE_MS : 100);
	}
	fail(`event layers not drawn ${what} within ${STEP_TIMEOUT_MS / 1000}s (state ${last || 'not ready'}, status "${await statusLine()}")`);
}

function listProblems(list = problems) {
	const shown = list.slice(0, 12);
	if (list.length > shown.length) shown.push(`… and ${list.length - shown.length} more`);
	return shown.join('\n  ');
}

function checkProblems() {
	if (problems.length) fail(listProblems());
}

async function run() {
	browser = await chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync',
			'--disable-dev-shm-usage'],
	});
	const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
	context.setDefaultTimeout(STEP_TIMEOUT_MS);

	// Nothing may leave BASE_URL's host: no CDN, no tile server, no fonts.
	await context.route('**/*', (route) => {
		const u = new URL(route.request().url());
		if ((u.protocol === 'http:' || u.protocol === 'https:') && u.host !== base.host) {
			problems.push(`request to another host: ${route.request().method()} ${u.href}`);
			return route.abort('blockedbyclient');
		}
		return route.continue();
	});

	page = await context.newPage();
	page.on('console', (m) => {
		if (m.type() === 'error') {
			const loc = m.location();
			if (m.text().includes('ERR_BLOCKED_BY_CLIENT')) return; // our own block of another host
			problems.push(`console error: ${m.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
		}
	});
	page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
	page.on('request', (r) => {
		const u = new URL(r.url());
		if (u.host === base.host) requests.push(`${r.method()} ${u.pathname}${u.search}`);
	});
	page.on('requestfailed', (r) => {
		const why = r.failure()?.errorText ?? '';
		// fetches cancelled by the map's AbortController (stale bbox) are expected
		if (why === 'net::ERR_ABORTED' && r.resourceType() === 'fetch') return;
		if (why.startsWith('net::ERR_BLOCKED_BY_CLIENT')) return; // already reported as another host
		problems.push(`request failed: ${r.method()} ${r.url()} ${why}`);
	});
	page.on('response', (r) => {
		if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
	});

	const resp = await page.goto(mapURL, { waitUntil: 'load' });
	if (!resp) fail(`no response for ${mapURL}`);
	if (!resp.ok()) fail(`GET ${mapURL} answered HTTP ${resp.status()}`);
	if ((await page.getAttribute('html', 'lang')) !== 'en') problems.push('<html> has no lang="en"');
	if (!(await page.title())) problems.push('page has no <title>');

	await waitForEventsDrawn('after load');
	checkProblems();

	const markers = await page.locator('.event-marker').count();
	const areas = await page.locator('.event-area').count();
	if (markers + areas !== expected) {
		const places = await page.locator('.event-marker, .event-area').evaluateAll((els) =>
			els.map((e) => `${e.dataset.eventType}@${e.dataset.place}`));
		fail(`expected ${expected} event layers, found ${markers + areas} (${markers} markers, ${areas} areas): ${places.join(', ')}; status "${await statusLine()}"`);
	}

	// the whole view before any popup covers part of it
	const overviewPath = shotPath.replace(/(\.png)?$/i, '-overview.png');
	mkdirSync(path.dirname(shotPath), { recursive: true });
	await page.screenshot({ path: overviewPath, fullPage: true });

	// The seed record: the Dumayr raid of 19 Oct 2025.
	let target = page.locator('.event-marker[data-event-type="raid"][data-place*="Dumayr" i], .event-area[data-event-type="raid"][data-place*="Dumayr" i]');
	if ((await target.count()) === 0) target = page.locator('.event-marker[title*="Dumayr" i], .event-area[data-place*="Dumayr" i], .event-marker[data-place*="Dumayr" i]');
	if ((await target.count()) === 0) {
		const places = await page.locator('.event-marker, .event-area').evaluateAll((els) => els.map((e) => e.dataset.place || e.getAttribute('title')));
		fail(`no event layer for Dumayr (places drawn: ${places.join(', ') || 'none'})`);
	}
	await target.first().click();
	const popup = page.locator('.leaflet-popup-content .event-popup');
	await popup.waitFor({ state: 'visible' });
	// the popup's auto-pan moves the map, which reloads the events: let that settle and
	// make sure the popup survived it
	await waitForEventsDrawn('after opening the popup');
	await popup.waitFor({ state: 'visible', timeout: 2000 }).catch(() => fail('the popup closed when the map reloaded events after auto-pan'));

	const text = (await popup.innerText()).replace(/\s+/g, ' ');
	const field = async (name) => ((await popup.locator(`[data-field="${name}"]`).first().textContent()) ?? '').trim();
	const facts = {
		title: ((await popup.locator('h2').first().textContent()) ?? '').trim(),
		date: await field('date'),
		place: await field('place'),
		status: await field('status'),
		fatalities: await field('fatalities'),
		civilian_fatalities: await field('civilian_fatalities'),
	};
	const links = await popup.locator('ol.sources a').evaluateAll((as) =>
		as.map((a) => ({ href: a.href, target: a.target, rel: a.rel })));
	const missing = [];
	if (!text.includes('Dumayr')) missing.push('"Dumayr"');
	if (!facts.date.includes('2025-10-19')) missing.push(`date 2025-10-19 (got "${facts.date}")`);
	if (!/\bcorroborated\b/.test(facts.status)) missing.push(`status corroborated (got "${facts.status}")`);
	if (facts.fatalities !== '1') missing.push(`fatalities 1 (got "${facts.fatalities}")`);
	const good = links.filter((l) => /^https?:\/\//.test(l.href) && l.target === '_blank' && /\bnoopener\b/.test(l.rel));
	if (good.length === 0) missing.push(`a source link with target=_blank rel=noopener (got ${JSON.stringify(links)})`);
	if (missing.length) fail(`Dumayr popup lacks ${missing.join(', ')}; popup text: "${text.slice(0, 400)}"`);

	await page.screenshot({ path: shotPath, fullPage: true });
	checkProblems();

	return {
		ok: true,
		url: mapURL,
		expected,
		markers,
		areas,
		status: await statusLine(),
		popup: { ...facts, sources: links.length },
		requests: requests.length,
		item_requests: requests.filter((r) => r.includes('/collections/events/items?')).length,
		screenshot: shotPath,
		overview: overviewPath,
		ms: Date.now() - started,
	};
}

let code = 0;
try {
	const summary = await run();
	console.log(JSON.stringify(summary));
} catch (err) {
	code = 1;
	const msg = err instanceof Failure ? err.message : `${err && err.message ? err.message : err}`;
	const extra = problems.length && !(err instanceof Failure && msg.includes(problems[0])) ? `\n  also: ${listProblems().replaceAll('\n  ', '\n  also: ')}` : '';
	console.error(`map.spec: FAIL: ${msg}${extra}`);
	if (page) {
		try {
			mkdirSync(path.dirname(shotPath), { recursive: true });
			await page.screenshot({ path: shotPath, fullPage: true, timeout: 5000 });
			console.error(`map.spec: screenshot of the failure: ${shotPath}`);
		} catch { /* the page is gone */ }
	}
} finally {
	clearTimeout(watchdog);
	if (browser) await browser.close().catch(() => {});
}
process.exit(code);
