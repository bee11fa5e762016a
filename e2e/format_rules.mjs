#!/usr/bin/env node
// The map's date rule (static/js/format.js when()) against the cases the pages' rule
// (eventmap.FormatWhen, when_test.go) is tested with: testdata/when_cases.json.
//   node e2e/format_rules.mjs
import { readFileSync } from 'node:fs';
import { when } from '../static/js/format.js';

const { cases } = JSON.parse(readFileSync(new URL('../testdata/when_cases.json', import.meta.url), 'utf8'));
let failed = 0;
for (const c of cases) {
	const got = when(c.occurred_at, c.precision, c.tz);
	if (got.text !== c.text || got.title !== c.title) {
		failed++;
		console.error(`FAIL ${c.name}: when(${c.occurred_at}, ${JSON.stringify(c.precision)}, ${JSON.stringify(c.tz)}) = ${JSON.stringify(got)}, want ${JSON.stringify({ text: c.text, title: c.title })}`);
	}
}
if (when('', 'exact', '').text !== 'unknown date') { failed++; console.error('FAIL: an empty time is not "unknown date"'); }
if (cases.length < 10) { failed++; console.error(`FAIL: only ${cases.length} cases read`); }
if (failed) process.exit(1);
console.log(JSON.stringify({ ok: true, cases: cases.length }));
