#!/usr/bin/env node
// Load scenario of the map: against a server whose database holds ~100 000 events (see
// map_load_test.go), measures the time to first paint of events, the requests each pan costs,
// and what a zoom into one town shows. Same CSP and problem checks as map_scenarios.mjs.
//
//   node e2e/map_load.mjs BASE_URL ARTIFACT_DIR
//
// Prints one JSON line of figures on success; exits 1 with the reason on stderr.
import { Failure, checkProblems, fail, launch, openSession, screenshot, view, waitForEventsDrawn } from './map_lib.mjs';

const [baseArg, dir] = process.argv.slice(2);
if (!baseArg || !dir) {
	console.error('usage: node e2e/map_load.mjs BASE_URL ARTIFACT_DIR');
	process.exit(1);
}
const base = new URL(baseArg);
const PANS = 6;

const watchdog = setTimeout(() => {
	console.error('map_load: FAIL: no result after 200s');
	process.exit(1);
}, 200_000);

async function run() {
	const browser = await launch();
	const s = await openSession(browser, base);
	const { page } = s;
	try {
		const t0 = Date.now();
		await page.goto(new URL('/map/', base).href, { waitUntil: 'commit' });
		await page.waitForFunction(() => document.getElementById('map')?.dataset.state === 'ready'
			&& document.querySelector('.server-cluster, .event-marker'), null, { polling: 50, timeout: 30_000 });
		const firstPaintMs = Date.now() - t0;
		const first = await waitForEventsDrawn(page, 'on the first view');
		if (first.mode !== 'clusters') fail(`100k events drawn in mode ${first.mode}, want server clusters`);
		const clusters = await page.locator('.server-cluster').count();
		await screenshot(page, dir, 'map-load-100k');

		// Drag the map like a user: each drag is one pan.
		const requestsPerPan = [];
		const msPerPan = [];
		const moves = [[-250, 0], [0, 180], [300, 0], [0, -200], [-150, -120], [120, 150]];
		for (const [dx, dy] of moves.slice(0, PANS)) {
			const before = s.requests.length;
			const t = Date.now();
			await page.mouse.move(700, 400);
			await page.mouse.down();
			await page.mouse.move(700 + dx / 2, 400 + dy / 2, { steps: 4 });
			await page.mouse.move(700 + dx, 400 + dy, { steps: 4 });
			await page.mouse.up();
			// Leaflet's inertia keeps the map gliding after the mouse is up: the pan ends (and the
			// reload is scheduled) with its moveend, so first wait for that reload to start.
			await page.waitForFunction(() => document.getElementById('map').dataset.state !== 'ready', null, { polling: 10, timeout: 5_000 });
			await page.waitForFunction(() => document.getElementById('map').dataset.state === 'ready', null, { polling: 25, timeout: 30_000 });
			msPerPan.push(Date.now() - t);
			await waitForEventsDrawn(page, 'after a pan');
			requestsPerPan.push(s.requests.slice(before).filter((r) => r.url.startsWith('/collections/')).length);
		}

		// Into one town (Homs) at the deepest zoom: events one by one or small clusters.
		await page.evaluate(() => { location.hash = 'map=12/34.73/36.72'; });
		const town = await waitForEventsDrawn(page, 'zoomed into Homs');
		await screenshot(page, dir, 'map-load-100k-town');
		checkProblems(s);
		return {
			firstPaintMs,
			inView: first.count,
			clusters,
			requestsPerPan,
			maxRequestsPerPan: Math.max(...requestsPerPan),
			msPerPan,
			zoomedInEvents: town.count,
			zoomedInMode: town.mode,
			zoomedInDrawn: (await view(page)).markers,
		};
	} finally {
		await browser.close().catch(() => {});
	}
}

let code = 0;
try {
	console.log(JSON.stringify(await run()));
} catch (err) {
	code = 1;
	console.error(`map_load: FAIL: ${err instanceof Failure ? err.message : err && err.stack ? err.stack : err}`);
} finally {
	clearTimeout(watchdog);
}
process.exit(code);
