#!/usr/bin/env node
// The map's user scenarios in headless Chromium, against a running eventmap with the sample data.
//
//   node e2e/map_scenarios.mjs BASE_URL ARTIFACT_DIR [TILED_BASE_URL]
//
// BASE_URL serves with no tile server (EVENTMAP_TILE_URL=); TILED_BASE_URL, if given, is the same
// database served with a tile server configured, which the browser cannot reach (every host but
// the server's is blocked). Every page runs under the /map/ Content-Security-Policy; any console
// error (CSP violations included), page error, HTTP error or request to another host fails the
// run. One screenshot per scenario goes to ARTIFACT_DIR. Prints one JSON line on success.
import { Failure, checkProblems, clusterColourCheck, fail, launch, openSession, screenshot, view, waitForEventsDrawn } from './map_lib.mjs';

const [baseArg, dirArg, tiledArg] = process.argv.slice(2);
if (!baseArg || !dirArg) {
	console.error('usage: node e2e/map_scenarios.mjs BASE_URL ARTIFACT_DIR [TILED_BASE_URL]');
	process.exit(1);
}
const base = new URL(baseArg);
const mapURL = new URL('/map/', base).href;
const dir = dirArg;
const DUMAYR = '6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e01';
const RESTRICTED = '6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e08';
const PUBLIC_SAMPLE = 7;

const results = {};
const watchdog = setTimeout(() => {
	console.error('map_scenarios: FAIL: no result after 240s');
	process.exit(1);
}, 240_000);

const lastRequest = (v, path) => [...v.requests].reverse().find((r) => r.startsWith(path)) ?? '';

async function scenario(browser, name, opts, fn) {
	const s = await openSession(browser, opts.base ?? base, opts);
	try {
		const out = await fn(s.page, s);
		out.screenshot = await screenshot(s.page, dir, `map-${name}`);
		checkProblems(s);
		results[name] = out;
	} catch (err) {
		await screenshot(s.page, dir, `map-${name}-failed`).catch(() => {});
		throw err instanceof Failure ? new Failure(`${name}: ${err.message}`) : err;
	} finally {
		await s.context.close();
	}
}

async function open(page, hash = '') {
	const resp = await page.goto(mapURL + hash, { waitUntil: 'load' });
	if (!resp || !resp.ok()) fail(`GET ${mapURL} answered ${resp && resp.status()}`);
	return waitForEventsDrawn(page, 'after load');
}

async function run() {
	const browser = await launch();
	try {
		// The page itself: no inline script or style that a CSP would have to allow.
		await scenario(browser, 'page', {}, async (page) => {
			const html = await (await page.request.get(mapURL)).text();
			if (/<style|\sstyle=|<script(?![^>]*\ssrc=)/i.test(html)) fail('index.html has inline script or style');
			const v = await open(page);
			if ((await page.getAttribute('html', 'lang')) !== 'en' || !(await page.title())) fail('no lang or title');
			return { mode: v.mode, count: v.count };
		});

		// All public sample events at the start view, one layer each; nothing restricted.
		await scenario(browser, 'overview', {}, async (page) => {
			const v = await open(page);
			if (v.mode !== 'items' || v.count !== PUBLIC_SAMPLE || v.markers + v.areas !== PUBLIC_SAMPLE) {
				fail(`want ${PUBLIC_SAMPLE} events drawn one by one, got mode ${v.mode}, count ${v.count}, ${v.markers} markers + ${v.areas} areas`);
			}
			if (v.ids.includes(RESTRICTED)) fail('the restricted sample event is drawn for an anonymous visitor');
			if (v.areas !== 1 || (await page.locator('.event-area[data-precision="region"]').count()) !== 1) fail('the weapons caches ("across southern Syria") are not drawn as one area');
			if ((await page.locator('.event-marker.status-reported').count()) < 1 || (await page.locator('.event-marker.status-disputed').count()) !== 1) fail('statuses are not marked on the markers');
			const bars = await page.locator('#histogram .bar').evaluateAll((bs) => bs.map((b) => Number(b.dataset.count || 0)));
			if (bars.reduce((a, b) => a + b, 0) !== PUBLIC_SAMPLE) fail(`the histogram bars count ${bars.join(',')}, want ${PUBLIC_SAMPLE} in all`);
			return { count: v.count, markers: v.markers, areas: v.areas, bars: bars.length, requests: v.requests };
		});

		// Marker counts per view: zoomed on Dumayr only the raid; zoomed out it is grouped.
		await scenario(browser, 'views', {}, async (page) => {
			const near = await open(page, '#map=11/33.6439/36.6939');
			if (near.count !== 1 || near.ids.join() !== DUMAYR) fail(`zoomed on Dumayr: ${near.count} events (${near.ids}), want only the raid`);
			const [w, s, e, n] = (/bbox=([^&]+)/.exec(lastRequest(near, '/collections/events/items')) ?? ['', '0,0,0,0'])[1].split(',').map(Number);
			if (!(w < 36.6939 && e > 36.6939 && s < 33.6439 && n > 33.6439 && e - w < 1.5)) fail(`the items request does not carry the view's bbox: ${lastRequest(near, '/collections/events/items')}`);
			await page.evaluate(() => { location.hash = 'map=4/34.8/38.5'; });
			const far = await waitForEventsDrawn(page, 'zoomed out');
			if (far.count !== PUBLIC_SAMPLE || far.clusterIcons < 1) fail(`zoomed out: ${far.count} events and ${far.clusterIcons} cluster icons, want ${PUBLIC_SAMPLE} with some grouped`);
			const grouped = await page.locator('.marker-cluster').evaluateAll((cs) => cs.reduce((n, c) => n + Number(c.textContent.trim() || 0), 0));
			if (grouped + far.markers + far.areas !== PUBLIC_SAMPLE) fail(`zoomed out: ${grouped} grouped + ${far.markers} markers + ${far.areas} areas != ${PUBLIC_SAMPLE}`);
			// a group is not mistaken for an event: its colour is no type's (Arrest's green was)
			const colours = await clusterColourCheck(page, '.marker-cluster');
			return { nearCount: near.count, farMarkers: far.markers, farClusters: far.clusterIcons, grouped, colours };
		});

		// The seed record: clicking the Dumayr raid shows its facts, sources and history link.
		await scenario(browser, 'popup', {}, async (page) => {
			await open(page);
			await page.locator(`.event-marker[data-event-id="${DUMAYR}"]`).click();
			const popup = page.locator('.leaflet-popup-content .event-popup');
			await popup.waitFor({ state: 'visible' });
			await waitForEventsDrawn(page, 'after opening the popup');
			await popup.waitFor({ state: 'visible', timeout: 2000 }).catch(() => fail('the popup closed when the map reloaded after auto-pan'));
			const field = async (n) => ((await popup.locator(`[data-field="${n}"]`).textContent()) ?? '').trim();
			const facts = { date: await field('date'), place: await field('place'), status: await field('status'), fatalities: await field('fatalities'), civilian: await field('civilian_fatalities'), actors: await field('actors') };
			// 03:00 local time (the raid's tz is +03:00), UTC beside and on hover (changed from "2025-10-19 00:00 UTC" by issue 17)
			const want = { date: '19 Oct 2025, 03:00 UTC+03:00 (2025-10-19 00:00 UTC)', place: 'Dumayr', status: 'corroborated', fatalities: '1', civilian: '1', actors: 'Khaled al-Masoud (victim)' };
			for (const [k, w] of Object.entries(want)) if (!facts[k].includes(w)) fail(`popup ${k} is "${facts[k]}", want "${w}"`);
			const hover = await popup.locator('[data-field="date"] time').getAttribute('title');
			if (hover !== '2025-10-19 00:00 UTC') fail(`the date's hover is ${JSON.stringify(hover)}, want the UTC time`);
			const links = await popup.locator('ol.sources a').evaluateAll((as) => as.map((a) => ({ href: a.href, target: a.target, rel: a.rel })));
			if (!links.length || !links.every((l) => /^https:\/\/example\.org\//.test(l.href) && l.target === '_blank' && /noopener/.test(l.rel))) fail(`source links ${JSON.stringify(links)}`);
			// The history link opens the history page (f=html since issue 17); its JSON holds the 2 revisions.
			const history = await popup.locator('a.history-link').getAttribute('href');
			const historyPage = await page.request.get(new URL(history, base).href);
			if (!historyPage.ok() || !(await historyPage.text()).includes('reported as the capture of an IS official</del>')) fail(`history link ${history} is not the history page`);
			const rev = await page.request.get(new URL(history.replace('f=html', 'f=json'), base).href);
			const revs = (await rev.json()).revisions ?? [];
			if (!rev.ok() || revs.length !== 2) fail(`history ${history} answered ${rev.status()} with ${revs.length} revisions, want the 2 of the correction`);
			// What changed, in the popup: the correction as old → new.
			await popup.locator('details.history > summary').click();
			await popup.locator('details.history[data-loaded="2"]').waitFor({ state: 'attached' });
			const v2 = popup.locator('li.revision[data-version="2"]');
			const title = { del: await v2.locator('li[data-property="title"] del').textContent(), ins: await v2.locator('li[data-property="title"] ins').textContent() };
			if (title.del !== 'reported as the capture of an IS official' || title.ins !== 'killed Khaled al-Masoud, an undercover anti-IS agent') fail(`the correction's title change reads ${JSON.stringify(title)}`);
			const changed = {};
			for (const f of ['fatalities', 'civilian_fatalities', 'status', 'actors']) changed[f] = ((await v2.locator(`li[data-property="${f}"]`).textContent()) ?? '').replace(/\s+/g, ' ').trim();
			const wantChanged = { fatalities: 'Fatalities: unknown → 1', civilian_fatalities: 'Civilian fatalities: unknown → 1', status: 'Status: reported → corroborated', actors: 'Actors: added: Khaled al-Masoud (victim)' };
			for (const [k, w] of Object.entries(wantChanged)) if (changed[k] !== w) fail(`what changed, ${k}: "${changed[k]}", want "${w}"`);
			if (!((await v2.locator('.reason').textContent()) ?? '').startsWith('Correction:')) fail('the correction\'s reason is not shown');
			if (await v2.locator('.rev-meta').textContent().then((t) => t.includes('sample-data'))) fail('an anonymous reader is shown the editor');
			await page.waitForTimeout(400); // the popup re-measured and panned into view
			// The popup must not hide under the filter panel.
			const [p, f] = await Promise.all([popup.boundingBox(), page.locator('#panel').boundingBox()]);
			if (p.x < f.x + f.width && p.y < f.y + f.height) fail('the popup is under the filter panel');
			return { ...facts, hover, sources: links.length, revisions: revs.length, title, changed };
		});

		// Keyboard only: Tab reaches the filters and the slider, Enter on a marker opens it.
		await scenario(browser, 'keyboard', {}, async (page) => {
			await open(page);
			await page.locator(`.event-marker[data-event-id="${DUMAYR}"]`).focus();
			await page.keyboard.press('Enter');
			await page.locator('.event-popup').waitFor({ state: 'visible' });
			await page.keyboard.press('Escape');
			await page.locator('#filter-q').focus();
			await page.keyboard.type('undercover agent');
			const v = await waitForEventsDrawn(page, 'after typing a search');
			if (v.count !== 1 || !lastRequest(v, '/collections/events/items').includes('q=undercover+agent')) fail(`search "undercover agent": ${v.count} events, request ${lastRequest(v, '/collections/events/items')}`);
			await page.locator('#time-from').focus();
			await page.keyboard.press('ArrowRight');
			const t = await waitForEventsDrawn(page, 'after moving the slider by keyboard');
			if (!t.hash.includes('time=')) fail('the slider did not move from the keyboard');
			return { searchCount: v.count };
		});

		// Filters change what is drawn, the request sent and the permalink.
		await scenario(browser, 'filters', {}, async (page) => {
			await open(page);
			await page.getByLabel('Clash', { exact: true }).check();
			let v = await waitForEventsDrawn(page, 'after filtering clashes');
			const req = lastRequest(v, '/collections/events/items');
			if (v.count !== 2 || !/[?&]type=clash(&|$)/.test(req) || !v.hash.includes('type=clash')) fail(`type=clash: ${v.count} events, request ${req}, hash ${v.hash}`);
			if ((await page.locator('.event-marker').evaluateAll((ms) => ms.filter((m) => m.dataset.eventType !== 'clash').length)) !== 0) fail('a non-clash event is still drawn');
			await page.getByLabel('Disputed (dashed)').check();
			v = await waitForEventsDrawn(page, 'after filtering disputed clashes');
			if (v.count !== 1 || !lastRequest(v, '/collections/events/items').includes('status=disputed')) fail(`clash + disputed: ${v.count} events`);
			await page.locator('#filter-actor').fill('Islamic State');
			await page.getByLabel('Clash', { exact: true }).uncheck();
			await page.getByLabel('Disputed (dashed)').uncheck();
			v = await waitForEventsDrawn(page, 'after filtering by actor');
			const actorReq = lastRequest(v, '/collections/events/items');
			if (!actorReq.includes('actor=Islamic+State') || v.count < 1 || v.count >= PUBLIC_SAMPLE) fail(`actor filter: ${v.count} events, request ${actorReq}`);
			const actorCount = v.count;
			await page.locator('#filter-reset').click();
			v = await waitForEventsDrawn(page, 'after clearing filters');
			if (v.count !== PUBLIC_SAMPLE || v.hash.includes('type=') || v.hash.includes('actor=')) fail(`after reset: ${v.count} events, hash ${v.hash}`);
			return { clash: 2, disputedClash: 1, actor: actorCount };
		});

		// The time slider: its end handle narrows the range, which the request and count follow.
		await scenario(browser, 'timeslider', {}, async (page) => {
			await open(page);
			// The slider spans exactly the data: the collection's temporal extent, day for day (it was
			// one day wider each side: whole weeks).
			const ext = (await (await page.request.get(new URL('/collections/events', base).href)).json()).extent.temporal.interval[0].map((t) => t.slice(0, 10));
			const span = await page.getAttribute('#map', 'data-time-range');
			const allLabel = await page.locator('#time-label').textContent();
			if (span !== ext.join('/') || allLabel !== 'All time: 10 Jun 2025 – 1 Nov 2025') fail(`the slider spans ${span} ("${allLabel}"), the data ${ext.join('/')}`);
			await page.locator('#time-to').focus();
			await page.keyboard.press('Home'); // the whole range collapses to the first period
			const firstWeek = await waitForEventsDrawn(page, 'on the first week');
			const first = /datetime=(\d{4}-\d{2}-\d{2})\//.exec(lastRequest(firstWeek, '/collections/events/items'))?.[1];
			if (first !== ext[0]) fail(`the first period starts ${first}, the data ${ext[0]}`);
			await page.locator('#time-all').click();
			await waitForEventsDrawn(page, 'after "All time"');
			await page.locator('#time-from').focus();
			await page.keyboard.press('End'); // the whole range collapses to the last period
			let v = await waitForEventsDrawn(page, 'after moving the slider');
			const req = lastRequest(v, '/collections/events/items');
			const m = /datetime=(\d{4}-\d{2}-\d{2})\/(\d{4}-\d{2}-\d{2})/.exec(req);
			if (!m || v.count !== 1 || !v.ids.includes('6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e02')) fail(`last period: ${v.count} events (${v.ids}), request ${req}; want only the weapons caches of November`);
			if (m[2] !== ext[1]) fail(`the last period ends ${m[2]}, the data ${ext[1]}`);
			const label = await page.locator('#time-label').textContent();
			const inRange = await page.locator('#histogram .bar.in-range').count();
			if (inRange !== 1) fail(`${inRange} histogram bars highlighted for one period`);
			// the histogram still shows every period, so the range can be widened again
			const histReq = lastRequest(v, '/collections/events/histogram');
			if (histReq.includes('datetime=')) fail(`the histogram request is limited to the chosen range: ${histReq}`);
			await page.locator('#time-all').click();
			v = await waitForEventsDrawn(page, 'after "All time"');
			if (v.count !== PUBLIC_SAMPLE || v.hash.includes('time=')) fail(`"All time": ${v.count} events, hash ${v.hash}`);
			return { span, allLabel, firstPeriodStart: first, range: `${m[1]}/${m[2]}`, label };
		});

		// A permalink restores view, filters and time range in a new browser context.
		let permalink;
		let before;
		await scenario(browser, 'permalink', {}, async (page) => {
			await open(page, '#map=8/35.0/37.5');
			await page.getByLabel('Arrest', { exact: true }).check();
			await page.getByLabel('Clash', { exact: true }).check();
			await page.locator('#time-to').focus();
			await page.keyboard.press('ArrowLeft');
			before = await waitForEventsDrawn(page, 'after setting filters');
			permalink = page.url();
			if (!/type=clash,arrest|type=arrest,clash/.test(permalink) || !permalink.includes('time=') || !permalink.includes('map=8/')) fail(`permalink ${permalink} lacks the filters or view`);
			return { permalink, count: before.count };
		});
		await scenario(browser, 'permalink-restored', {}, async (page) => {
			await page.goto(permalink, { waitUntil: 'load' });
			const v = await waitForEventsDrawn(page, 'from the permalink');
			const checked = await page.locator('#type-filter input:checked').evaluateAll((is) => is.map((i) => i.value).sort());
			if (checked.join() !== 'arrest,clash') fail(`restored type boxes ${checked}`);
			if (v.count !== before.count || v.ids.join() !== before.ids.join()) fail(`restored ${v.count} events (${v.ids}), before ${before.count} (${before.ids})`);
			if (v.hash !== before.hash) fail(`restored hash ${v.hash}, before ${before.hash}`);
			if (lastRequest(v, '/collections/events/items') !== lastRequest(before, '/collections/events/items')) fail(`restored request ${lastRequest(v, '/collections/events/items')}, before ${lastRequest(before, '/collections/events/items')}`);
			return { count: v.count };
		});

		// "Download this view" returns the events on the map, as GeoJSON and CSV.
		await scenario(browser, 'download', {}, async (page) => {
			await open(page, '#map=8/34.5/37.0');
			await page.getByLabel('Reported (faded)').check();
			const v = await waitForEventsDrawn(page, 'before downloading');
			const gj = await page.locator('#download-geojson').getAttribute('href');
			const csv = await page.locator('#download-csv').getAttribute('href');
			const fc = await (await page.request.get(new URL(gj, base).href)).json();
			const ids = fc.features.map((f) => f.id).sort();
			if (ids.join() !== v.ids.join() || ids.length === 0) fail(`GeoJSON download ${gj} has ${ids}, the map shows ${v.ids}`);
			const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download-csv').click()]);
			const text = await (await import('node:fs/promises')).readFile(await download.path(), 'utf8');
			const rows = text.trim().split('\n').slice(1);
			if (rows.length !== ids.length || !ids.every((id) => text.includes(id))) fail(`CSV download ${csv} has ${rows.length} rows, the map shows ${ids.length} events`);
			return { events: ids.length, csvRows: rows.length, file: download.suggestedFilename() };
		});

		// The region overlay is toggled in the layer control and kept in the permalink.
		await scenario(browser, 'regions', {}, async (page) => {
			await open(page);
			if (await page.locator('path.region-area').count()) fail('regions drawn before they are switched on');
			await page.getByLabel('Regions (approximate outlines)').check();
			await page.locator('path.region-area[data-region="badiya"]').waitFor({ state: 'attached' });
			await waitForEventsDrawn(page, 'after showing regions');
			if (!page.url().includes('regions=1')) fail('the permalink does not keep the region overlay');
			const shot = await screenshot(page, dir, 'map-regions-on');
			await page.getByLabel('Regions (approximate outlines)').uncheck();
			if (await page.locator('path.region-area').count()) fail('the region overlay did not switch off');
			return { on: shot };
		});

		// Phone width: readable, nothing wider than the screen, filters folded but reachable.
		await scenario(browser, 'phone', { viewport: { width: 390, height: 844 } }, async (page) => {
			const v = await open(page);
			const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
			if (overflow > 0) fail(`the page is ${overflow}px wider than the phone screen`);
			if (await page.locator('#filters-box').getAttribute('open') !== null) fail('the filters start open on a phone, covering the map');
			await page.locator(`.event-marker[data-event-id="${DUMAYR}"]`).click();
			await page.locator('.event-popup').waitFor({ state: 'visible' });
			await waitForEventsDrawn(page, 'after the popup panned the map');
			const box = await page.locator('.leaflet-popup').boundingBox();
			if (box.x < 0 || box.x + box.width > 390) fail(`the popup spans x ${box.x}..${box.x + box.width} on a 390px screen`);
			return { count: v.count, popupWidth: Math.round(box.width) };
		});

		// The server's HTML pages on a phone: nothing wider than the screen, one screenshot each.
		await scenario(browser, 'pages', { viewport: { width: 390, height: 844 } }, async (page) => {
			const pages = {
				landing: '/?f=html',
				collections: '/collections?f=html',
				collection: '/collections/events?f=html',
				items: '/collections/events/items?f=html',
				item: `/collections/events/items/${DUMAYR}?f=html`,
				'item-caches': '/collections/events/items/6f0c8f0e-2d4b-4c1e-9a51-0d3b8f1a9e02?f=html',
				history: `/collections/events/items/${DUMAYR}/revisions?f=html`,
				conformance: '/conformance?f=html',
				api: '/api.html',
			};
			const widths = {};
			for (const [name, path] of Object.entries(pages)) {
				const resp = await page.goto(new URL(path, base).href, { waitUntil: 'load' });
				if (!resp || !resp.ok()) fail(`${path} answered ${resp && resp.status()}`);
				const [sw, iw] = await page.evaluate(() => [document.scrollingElement.scrollWidth, window.innerWidth]);
				widths[name] = sw;
				if (sw > iw) fail(`${path} is ${sw}px wide on a ${iw}px screen: the page scrolls sideways`);
				await screenshot(page, dir, `page-${name}-390`);
			}
			// the items page reads like the report: local time, honest dates, type labels
			await page.goto(new URL(pages.items, base).href, { waitUntil: 'load' });
			// each card's values under their column names (the ::before labels are not innerText)
			const cards = await page.locator('table.events tbody tr').evaluateAll((rs) => rs.map((r) => [...r.cells]
				.filter((td) => getComputedStyle(td).display !== 'none').map((td) => `${td.dataset.label}: ${td.innerText}`).join(' | ').replace(/\s+/g, ' ')));
			const raid = cards.find((c) => c.includes('Dumayr killed')) ?? '';
			const caches = cards.find((c) => c.includes('15 IS weapons caches')) ?? '';
			if (!raid.includes('When: 19 Oct 2025, 03:00 UTC+03:00') || !raid.includes('Type: Raid')) fail(`the raid's card reads "${raid}"`);
			if (!caches.includes('When: November 2025') || !caches.includes('Type: Weapons cache destroyed')) fail(`the caches' card reads "${caches}"`);
			if (cards.some((c) => /: ,|, ,|, \||cache_destruction/.test(c))) fail(`a card has a stray separator or a type code: ${cards.join(' | ')}`);
			const cardWidth = await page.locator('table.events tbody tr').first().evaluate((r) => r.getBoundingClientRect().width);
			if (cardWidth > 390) fail(`an event card is ${cardWidth}px wide`);
			await page.setViewportSize({ width: 1400, height: 900 });
			await screenshot(page, dir, 'page-items-1400');
			return { widths, cards: cards.length };
		});

		// A tile server is configured but the network is blocked except for eventmap itself:
		// the outline and the events still render.
		if (tiledArg) {
			const tiled = new URL(tiledArg);
			await scenario(browser, 'offline', { base: tiled, foreign: 'expect', tileHost: 'https://tile.openstreetmap.org' }, async (page, s) => {
				await page.goto(new URL('/map/', tiled).href, { waitUntil: 'load' });
				const v = await waitForEventsDrawn(page, 'with tiles unreachable');
				if (v.count !== PUBLIC_SAMPLE || v.markers + v.areas !== PUBLIC_SAMPLE) fail(`with tiles blocked: ${v.count} events, ${v.markers + v.areas} drawn`);
				if (!s.blocked.length) fail('the tile server was never asked: the scenario tests nothing');
				// No tile was drawn: the outline is not OpenStreetMap's to credit.
				const credit = await page.locator('.leaflet-control-attribution').textContent();
				if (/OpenStreetMap/.test(credit) || (await page.getAttribute('#map', 'data-tiles')) !== null) fail(`with no tile loaded the attribution reads "${credit}"`);
				return { count: v.count, blockedTileRequests: s.blocked.length, attribution: credit };
			});
			// The same server with tiles that load: now the tile server is credited.
			await scenario(browser, 'tiles', { base: tiled, tileHost: 'https://tile.openstreetmap.org', serveTiles: true }, async (page, s) => {
				await page.goto(new URL('/map/', tiled).href, { waitUntil: 'load' });
				await waitForEventsDrawn(page, 'with tiles');
				await page.locator('#map[data-tiles="loaded"]').waitFor({ state: 'attached' });
				const credit = await page.locator('.leaflet-control-attribution').textContent();
				if (!/OpenStreetMap/.test(credit) || !s.tiles) fail(`with ${s.tiles} tiles loaded the attribution reads "${credit}"`);
				return { tiles: s.tiles, attribution: credit };
			});
		}
	} finally {
		await browser.close().catch(() => {});
	}
}

let code = 0;
try {
	await run();
	console.log(JSON.stringify({ ok: true, scenarios: results }));
} catch (err) {
	code = 1;
	console.error(`map_scenarios: FAIL: ${err instanceof Failure ? err.message : err && err.stack ? err.stack : err}`);
	console.error(`map_scenarios: passed before the failure: ${Object.keys(results).join(', ') || 'none'}`);
} finally {
	clearTimeout(watchdog);
}
process.exit(code);
