#!/usr/bin/env node
// The deepest zoom with a crowded cell (see map_deepzoom_test.go): 3000 events at one spot are a
// server cluster at the map's maximum zoom; selecting it loads the cell's events through items
// and spiderfies them. Same CSP and problem checks as map_scenarios.mjs.
//
//   node e2e/map_deepzoom.mjs BASE_URL ARTIFACT_DIR
import { Failure, checkProblems, clusterColourCheck, fail, launch, openSession, screenshot, waitForEventsDrawn } from './map_lib.mjs';

const [baseArg, dir] = process.argv.slice(2);
if (!baseArg || !dir) {
	console.error('usage: node e2e/map_deepzoom.mjs BASE_URL ARTIFACT_DIR');
	process.exit(1);
}
const base = new URL(baseArg);
const SPOT = { lon: 38.9, lat: 35.0 };
const N = 3000;

const watchdog = setTimeout(() => {
	console.error('map_deepzoom: FAIL: no result after 150s');
	process.exit(1);
}, 150_000);

async function run() {
	const browser = await launch();
	const s = await openSession(browser, base);
	const { page } = s;
	try {
		await page.goto(new URL(`/map/#map=12/${SPOT.lat}/${SPOT.lon}`, base).href, { waitUntil: 'load' });
		const v = await waitForEventsDrawn(page, 'at the deepest zoom');
		const maxZoom = await page.evaluate(() => window.eventmapView().zoom);
		if (v.mode !== 'clusters' || v.count !== N) fail(`at zoom ${maxZoom}: mode ${v.mode}, ${v.count} events; want ${N} as server clusters`);
		const cell = page.locator(`.server-cluster[data-count="${N}"]`);
		if ((await cell.count()) !== 1) fail(`no server cluster of ${N} events at the spot`);
		const colours = await clusterColourCheck(page, '.server-cluster');
		await screenshot(page, dir, 'map-deepzoom-cluster');

		const before = s.requests.length;
		const t0 = Date.now();
		await cell.click();
		await page.waitForFunction((n) => Number(document.getElementById('map').dataset.expanded) === n
			&& document.getElementById('map').dataset.state === 'ready', N, { polling: 50, timeout: 60_000 });
		await page.waitForFunction((n) => document.querySelectorAll('.event-marker').length >= n, N, { polling: 100, timeout: 30_000 });
		const ms = Date.now() - t0;
		const asked = s.requests.slice(before).map((r) => r.url);
		const items = asked.find((u) => u.startsWith('/collections/events/items?'));
		if (!items) fail(`opening the cell asked ${JSON.stringify(asked)}, want its events from items`);
		const q = new URL(items, base).searchParams;
		const [w, so, e, n] = (q.get('bbox') || '').split(',').map(Number);
		if (!(w < SPOT.lon && e > SPOT.lon && so < SPOT.lat && n > SPOT.lat && e - w < 0.01 && n - so < 0.01)) fail(`items asked for bbox ${q.get('bbox')}, want a small box around the spot`);
		if (Number(q.get('limit')) < N) fail(`items asked for limit ${q.get('limit')}, fewer than the cell's ${N}`);
		const spread = await page.evaluate(() => {
			const ms = [...document.querySelectorAll('.event-marker')].map((m) => m.getBoundingClientRect());
			const xs = ms.map((r) => r.x), ys = ms.map((r) => r.y);
			return { markers: ms.length, width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys), legs: document.querySelectorAll('.leaflet-overlay-pane path').length };
		});
		if (spread.width < 100 || spread.height < 100) fail(`the ${spread.markers} markers are not spread out: ${Math.round(spread.width)}x${Math.round(spread.height)} px`);
		const status = await page.locator('.status-text').textContent();
		await screenshot(page, dir, 'map-deepzoom-spiderfied');
		// a marker of the spread opens its popup
		await page.locator('.event-marker').nth(5).click({ force: true });
		await page.locator('.event-popup').waitFor({ state: 'visible' });
		checkProblems(s);
		return { maxZoom, cell: N, expandMs: ms, markers: spread.markers, legs: spread.legs, spreadPx: [Math.round(spread.width), Math.round(spread.height)], status, colours, items };
	} finally {
		await browser.close().catch(() => {});
	}
}

let code = 0;
try {
	console.log(JSON.stringify({ ok: true, ...(await run()) }));
} catch (err) {
	code = 1;
	console.error(`map_deepzoom: FAIL: ${err instanceof Failure ? err.message : err && err.stack ? err.stack : err}`);
} finally {
	clearTimeout(watchdog);
}
process.exit(code);
