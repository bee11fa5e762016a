#!/usr/bin/env node
// The map scenario of `make bench` (bench/browser.go): map_load.mjs's first view and pans in a
// 1400×900 window, against a server whose database the bench loaded, with every request's time
// kept. Unlike map_load.mjs it judges nothing: it prints one JSON line of figures (with the
// problems it saw, and the failure if a step failed) and the bench compares them with the goals.
//
//   node e2e/map_bench.mjs BASE_URL ARTIFACT_DIR LABEL TOWN_VIEW
//
// TOWN_VIEW is the permalink view zoomed into the densest town, e.g. 12/33.52/36.33.
import { Failure, fail, launch, openSession, screenshot, statusLine, view, waitForEventsDrawn } from './map_lib.mjs';

const [baseArg, dir, label, townView] = process.argv.slice(2);
if (!baseArg || !dir || !label || !townView) {
	console.error('usage: node e2e/map_bench.mjs BASE_URL ARTIFACT_DIR LABEL TOWN_VIEW');
	process.exit(1);
}
const base = new URL(baseArg);
const out = { screenshots: [], problems: [] };

const watchdog = setTimeout(() => {
	out.failure = 'no result after 200s';
	console.log(JSON.stringify(out));
	process.exit(1);
}, 200_000);

async function run() {
	const browser = await launch();
	const s = await openSession(browser, base, { viewport: { width: 1400, height: 900 } });
	const { page } = s;
	// Every request to the server with its time: from the request's start to the response's
	// last byte (Resource Timing, as the browser measured it).
	const timed = [];
	page.on('requestfinished', async (r) => {
		const u = new URL(r.url());
		if (u.host !== base.host) return;
		const t = r.timing();
		const resp = await r.response().catch(() => null);
		timed.push({ url: `${u.pathname}${u.search}`, ms: Math.round(t.responseEnd * 10) / 10, status: resp ? resp.status() : 0 });
	});
	try {
		const t0 = Date.now();
		await page.goto(new URL('/map/', base).href, { waitUntil: 'commit' });
		// Events drawn, or the map's error state (a 503 answer), whichever comes first.
		await page.waitForFunction(() => {
			const st = document.getElementById('map')?.dataset.state;
			return st === 'error' || (st === 'ready' && document.querySelector('.server-cluster, .event-marker'));
		}, null, { polling: 50, timeout: 30_000 });
		if (await page.evaluate(() => document.getElementById('map').dataset.state) === 'error') {
			out.screenshots.push(await screenshot(page, dir, `map-bench-${label}`));
			fail(`the map shows an error on its first view after ${Date.now() - t0} ms: "${await statusLine(page)}"`);
		}
		out.firstPaintMs = Date.now() - t0;
		const first = await waitForEventsDrawn(page, 'on the first view');
		out.inView = first.count;
		out.mode = first.mode;
		out.clusters = await page.locator('.server-cluster').count();
		out.screenshots.push(await screenshot(page, dir, `map-bench-${label}`));

		// Drag the map like a user: each drag is one pan (as map_load.mjs).
		out.requestsPerPan = [];
		out.msPerPan = [];
		const moves = [[-250, 0], [0, 180], [300, 0], [0, -200], [-150, -120], [120, 150]];
		for (const [dx, dy] of moves) {
			const before = s.requests.length;
			const t = Date.now();
			await page.mouse.move(700, 450);
			await page.mouse.down();
			await page.mouse.move(700 + dx / 2, 450 + dy / 2, { steps: 4 });
			await page.mouse.move(700 + dx, 450 + dy, { steps: 4 });
			await page.mouse.up();
			await page.waitForFunction(() => document.getElementById('map').dataset.state !== 'ready', null, { polling: 10, timeout: 5_000 });
			await page.waitForFunction(() => document.getElementById('map').dataset.state === 'ready', null, { polling: 25, timeout: 30_000 });
			out.msPerPan.push(Date.now() - t);
			await waitForEventsDrawn(page, 'after a pan');
			out.requestsPerPan.push(s.requests.slice(before).filter((r) => r.url.startsWith('/collections/')).length);
		}
		out.maxRequestsPerPan = Math.max(...out.requestsPerPan);

		// Into the densest town at zoom 12.
		await page.evaluate((v) => { location.hash = `map=${v}`; }, townView);
		const town = await waitForEventsDrawn(page, 'zoomed into the densest town');
		out.town = { count: town.count, mode: town.mode, drawn: (await view(page)).markers };
		out.screenshots.push(await screenshot(page, dir, `map-bench-${label}-town`));
	} catch (err) {
		out.failure = err instanceof Failure ? err.message : err && err.stack ? err.stack : String(err);
	} finally {
		await page.waitForTimeout(300); // the last requestfinished handlers
		const api = timed.filter((r) => r.url.startsWith('/collections/'));
		out.apiRequests = api.length;
		out.requests = timed.length;
		out.maxRequestMs = Math.max(0, ...timed.map((r) => r.ms));
		out.maxAPIRequestMs = Math.max(0, ...api.map((r) => r.ms));
		out.slowest = timed.slice().sort((a, b) => b.ms - a.ms).slice(0, 5);
		out.problems = s.problems.slice(0, 12);
		await browser.close().catch(() => {});
	}
}

await run();
clearTimeout(watchdog);
console.log(JSON.stringify(out));
process.exit(out.failure ? 1 : 0);
