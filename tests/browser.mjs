// Browser tests: the release server on a fresh data directory, driven in Debian's Chromium by
// Playwright as a user would. Screenshots of each page go to tests/artifacts/.
// Run by `make test` (after the release build); `node tests/browser.mjs` from the repo root.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import assert from 'node:assert/strict';

import { ARGS, shots, DATASETS, startServer, api, waitStatus, until } from './browser/harness.mjs';
import proxyless from './browser/proxyless.mjs';
import enas from './browser/enas.mjs';
import flow from './browser/flow.mjs';
import sweeps from './browser/sweeps.mjs';
import study from './browser/study.mjs';
import uploads from './browser/uploads.mjs';

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

test('runs page lists runs, filters them after hydration, and reads without scripts', async ({ base, browser }) => {
  const [, sets] = await api(base, 'GET', '/api/datasets');
  const dataset = sets[0].id;
  const [, done] = await api(base, 'POST', '/api/runs', { dataset_id: dataset, config: { preset: 'tiny' } });
  await waitStatus(base, done.id, 'succeeded');
  const [, stopped] = await api(base, 'POST', '/api/runs', { dataset_id: dataset, config: { preset: 'tiny', epochs: 50 } });
  await api(base, 'POST', `/api/runs/${stopped.id}/cancel`);
  await waitStatus(base, stopped.id, 'cancelled');

  const page = await browser.newPage();
  await page.goto(base + '/');
  await page.screenshot({ path: `${shots}/runs.png`, fullPage: true });
  assert.equal(await page.locator('table.runs tbody tr').count(), 2);
  assert.match(await page.locator('table.runs').innerText(), /succeeded[\s\S]*1\/1/);
  // Filtering is the hydrated page at work: the server sent both rows.
  await page.locator('body[data-hydrated]').waitFor();
  await page.locator('label.filter', { hasText: 'Status' }).locator('select').selectOption('cancelled');
  await until(page, 'the status filter to leave one row', () => document.querySelectorAll('table.runs tbody tr').length === 1);
  assert.match(await page.locator('table.runs tbody').innerText(), /cancelled/);

  // Select both runs and compare them: the config table marks what differs (epochs).
  await page.locator('label.filter', { hasText: 'Status' }).locator('select').selectOption('');
  await page.getByLabel(`select run ${done.id}`).check();
  await page.getByLabel(`select run ${stopped.id}`).check();
  await page.getByTestId('compare').click();
  await page.waitForURL(new RegExp(`/compare\\?runs=${done.id},${stopped.id}$`));
  await page.locator('table.compare tr.differs th').first().waitFor();
  const differs = await page.locator('table.compare tr.differs th').allInnerTexts();
  assert.deepEqual(differs, ['epochs']);
  assert.ok((await page.locator('.side-by-side .cells svg').count()) >= 2, 'the finished run\'s cells');
  // Every run has its column: its cells, or a line saying why it has none.
  const columns = page.getByTestId('final-cell');
  assert.equal(await columns.count(), 2);
  for (let i = 0; i < 2; i++) {
    const column = columns.nth(i);
    const drawn = await column.locator('.cells svg').count();
    const why = await column.getByTestId('no-cell').count();
    assert.ok(drawn > 0 || why === 1, `column ${i}: ${await column.innerText()}`);
    if (why) assert.match(await column.getByTestId('no-cell').innerText(), /^No cell/);
  }
  // The page fits the window: nothing wider than the viewport, each cell diagram inside it.
  const fits = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const svgs = [...document.querySelectorAll('.side-by-side .cells svg')];
    return { page: document.documentElement.scrollWidth, width,
      cells: svgs.map((s) => Math.round(s.getBoundingClientRect().right)) };
  });
  assert.ok(fits.page <= fits.width, `the page is ${fits.page} px wide in a ${fits.width} px window`);
  assert.ok(fits.cells.every((r) => r <= fits.width), `cells end at ${fits.cells} of ${fits.width} px`);
  await page.screenshot({ path: `${shots}/compare.png`, fullPage: true });

  const plain = await browser.newContext({ javaScriptEnabled: false });
  const noJs = await plain.newPage();
  await noJs.goto(base + '/');
  assert.equal(await noJs.locator('table.runs tbody tr').count(), 2, 'the list is in the HTML');
  await plain.close();
});

test('datasets page shows the sample, reached by a click', async ({ base, browser }) => {
  const page = await browser.newPage();
  await page.goto(base + '/');
  await page.getByRole('link', { name: 'Datasets' }).click();
  await page.waitForURL(/\/datasets$/);
  await page.locator('table.datasets').waitFor();
  const text = await page.locator('table.datasets').innerText();
  assert.match(text, /sample: sklearn digits\s+classification\s+1797\s+1x8x8/);
  await page.screenshot({ path: `${shots}/datasets.png`, fullPage: true });

  // The dataset page: sample grid, images per class as an inline SVG chart, the runs on it.
  await page.getByRole('link', { name: 'sample: sklearn digits' }).click();
  await page.waitForURL(/\/datasets\/[0-9a-f]{16}$/);
  await page.getByRole('heading', { name: 'Images per class' }).waitFor();
  const img = page.locator('img.samples');
  await img.waitFor();
  assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the sample grid loads');
  const chart = await page.locator('.chart svg').innerHTML();
  // sklearn digits: 10 classes, "0" to "9" (sklearn-digits/SOURCE.md), one label each.
  for (const label of ['0', '5', '9']) assert.match(chart, new RegExp(`>\\s*${label}\\s*<`));
  assert.match(await page.locator('p.facts').innerText(), /classification, 1797 samples of 1x8x8/);
  assert.equal(await page.locator('table.runs tbody tr').count(), 2, 'the two runs of the first test');
  const search = page.getByRole('link', { name: 'New search on this data' });
  assert.match(await search.getAttribute('href'), /^\/new\?dataset=[0-9a-f]{16}$/);
  await page.screenshot({ path: `${shots}/dataset.png`, fullPage: true });
});

flow(test);

test('a run page with 200 epochs of history loads and answers at once (figures printed)', async ({ base, browser }) => {
  // 60 of the sklearn digits (no header row), so each epoch takes moments.
  const rows = gunzipSync(readFileSync(join(DATASETS, 'sklearn-digits/digits.csv.gz'))).toString().split('\n').slice(0, 60);
  const form = new FormData();
  form.append('name', 'digits-60');
  form.append('file', new Blob([rows.join('\n') + '\n']), 'digits-60.csv');
  const up = await fetch(base + '/api/datasets', { method: 'POST', body: form });
  const answer = await up.text();
  assert.equal(up.status, 201, answer);
  const set = JSON.parse(answer);
  const [code, run] = await api(base, 'POST', '/api/runs', { dataset_id: set.id,
    config: { preset: 'tiny', epochs: 200, max_steps_per_epoch: 1, batch_size: 8 } });
  assert.equal(code, 201);
  // Watched live for a while, then read again once it has ended.
  const page = await browser.newPage();
  await page.goto(`${base}/runs/${run.id}`);
  await page.locator('[data-testid=status]').getByText('succeeded').waitFor({ timeout: 400000 });
  await page.goto(`${base}/runs/${run.id}`);
  const nav = await page.evaluate(() => performance.getEntriesByType('navigation')[0].toJSON());
  await page.locator('body[data-hydrated]').waitFor();
  const hydrated = await page.evaluate(() => performance.now());
  // Every epoch is drawn: a dot per epoch on both curves of the loss chart.
  assert.equal(await page.locator('.charts .chart').first().locator('circle').count(), 400);
  const slide = await page.evaluate(async () => {
    const slider = document.querySelector('[data-testid=epoch-slider]');
    const t0 = performance.now();
    slider.value = '100';
    slider.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return { ms: performance.now() - t0, shown: document.querySelector('[data-testid=shown-epoch]').textContent };
  });
  assert.equal(slide.shown, 'epoch 100');
  console.log(`     figures: 200-epoch run page: HTML ${nav.responseEnd.toFixed(0)} ms, DOM ready ${nav.domContentLoadedEventEnd.toFixed(0)} ms, ` +
    `loaded ${nav.loadEventEnd.toFixed(0)} ms, hydrated ${hydrated.toFixed(0)} ms, slider to epoch 100 drawn in ${slide.ms.toFixed(0)} ms`);
  await page.screenshot({ path: `${shots}/run-200-epochs.png`, fullPage: true });

  // A regression dataset's page has its target histogram: 30 images (64 pixels, then the target
  // as in the sklearn digits' CSV) with targets 0.5 to 20.5.
  const reg = new FormData();
  const lines = Array.from({ length: 30 }, (_, i) => [...Array.from({ length: 64 }, (_, p) => (i * 7 + p * 3) % 17), i * 20 / 29 + 0.5].join(','));
  reg.append('task', 'regression');
  reg.append('file', new Blob([lines.join('\n') + '\n']), 'ramp.csv');
  const regUp = await fetch(base + '/api/datasets', { method: 'POST', body: reg });
  const regSet = JSON.parse(await regUp.text());
  assert.equal(regSet.task, 'regression');
  await page.goto(`${base}/datasets/${regSet.id}`);
  assert.match(await page.locator('h2', { hasText: 'Target histogram' }).innerText(), /Target histogram/);
  // 20 equal bins of width 1 over [0.5, 20.5]: centres 1 to 20.
  const histogram = await page.getByTestId('target-histogram').innerHTML();
  assert.match(histogram, />\s*1\.000\s*</);
  assert.match(histogram, />\s*20\.000\s*</);
  await page.screenshot({ path: `${shots}/dataset-regression.png`, fullPage: true });

  // Every page, loaded afresh: time to the load event (figures printed, not asserted).
  const [, share] = await api(base, 'POST', `/api/runs/${run.id}/share`);
  const paths = ['/', '/datasets', `/datasets/${set.id}`, '/upload', `/new?dataset=${set.id}`,
    `/runs/${run.id}`, share.url, `/compare?runs=1,${run.id}`, '/login'];
  const times = [];
  for (const path of paths) {
    const response = await page.goto(base + path);
    assert.equal(response.status(), 200, path);
    const t = await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd);
    times.push(`${path.replace(/[0-9a-f]{32}/, 'TOKEN').replace(/[0-9a-f]{16}/, 'ID')} ${t.toFixed(0)} ms`);
  }
  console.log(`     figures: page loads: ${times.join(', ')}`);
});

test('a young run\'s page: whole epochs on the axis, its weights and time from the start, nothing to compare yet', async ({ base, browser }) => {
  const [, sets] = await api(base, 'GET', '/api/datasets');
  const digits = sets.find((d) => d.name === 'sample: sklearn digits');
  const [, run] = await api(base, 'POST', '/api/runs', { dataset_id: digits.id,
    config: { preset: 'tiny', epochs: 200, max_steps_per_epoch: 4 } });
  const id = run.id;
  try {
    // Young: two epochs done.
    for (let i = 0; ; i++) {
      const [, r] = await api(base, 'GET', `/api/runs/${id}`);
      if (r.epoch >= 2) break;
      if (i > 600) throw new Error(`run ${id} did not reach epoch 2: ${JSON.stringify(r)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const page = await browser.newPage();
    await page.goto(`${base}/runs/${id}`);
    await page.locator('body[data-hydrated]').waitFor();
    // The supernet's weight count, from the run's first events (the log line says the same).
    const weights = await page.getByTestId('weights').innerText();
    assert.match(weights, /^\d+$/, `Parameters reads "${weights}"`);
    assert.match(await page.locator('pre.log').innerText(), new RegExp(`supernet of ${weights} weights`));
    // The time goes on while the page is open.
    const seconds = (t) => {
      const m = /^(?:(\d+) min )?(\d+) s$/.exec(t);
      return m ? Number(m[1] ?? 0) * 60 + Number(m[2]) : NaN;
    };
    const first = seconds(await page.getByTestId('time').innerText());
    await page.waitForFunction(([t0]) => {
      const m = /^(?:(\d+) min )?(\d+) s$/.exec(document.querySelector('[data-testid=time]').innerText);
      return m && Number(m[1] ?? 0) * 60 + Number(m[2]) >= t0 + 2;
    }, [first], { timeout: 10000 }).catch(() => { throw new Error(`Time stayed at ${first} s`); });
    // Each whole epoch labelled once on the loss chart's axis (no 1 1 1 2 2 2).
    await page.waitForFunction(() => document.querySelectorAll('.chart svg').length > 0, null, { timeout: 10000 })
      .catch(() => { throw new Error('no loss chart on the page'); });
    const ticks = await page.locator('.chart svg').first().evaluate((svg) =>
      [...svg.querySelectorAll('text')].map((t) => t.textContent.trim()).filter((t) => /^\d+$/.test(t)));
    assert.ok(ticks.length >= 2, `axis labels ${ticks}`);
    assert.equal(new Set(ticks).size, ticks.length, `an epoch labelled twice: ${ticks}`);
    // Nothing to compare yet: no comparison section, table or chart.
    assert.equal(await page.getByRole('heading', { name: 'Against the baselines' }).count(), 0);
    assert.equal(await page.getByTestId('comparison').count(), 0);
    await page.screenshot({ path: `${shots}/young-run.png`, fullPage: true });
  } finally {
    await api(base, 'POST', `/api/runs/${id}/cancel`);
  }
});

test('the live page reconnects by itself when the server goes away and comes back', async ({ browser }) => {
  const dir = mkdtempSync(join(tmpdir(), 'dartboard-reconnect-'));
  let { child, base } = await startServer(dir);
  try {
    const [, sets] = await api(base, 'GET', '/api/datasets');
    const [, run] = await api(base, 'POST', '/api/runs', { dataset_id: sets[0].id,
      config: { preset: 'tiny', epochs: 200, max_steps_per_epoch: 4 } });
    const page = await browser.newPage();
    await page.goto(`${base}/runs/${run.id}`);
    await page.locator('.live-flag', { hasText: 'live' }).waitFor();
    await page.getByTestId('epoch').getByText(/epoch [1-9]\d* of 200/).waitFor({ timeout: 120000 });
    // The network drops: the server dies (its worker with it).
    child.kill('SIGKILL');
    await page.locator('.live-flag', { hasText: 'reconnecting' }).waitFor();
    // It comes back on the same address; the page, never reloaded, picks up what happened.
    ({ child } = await startServer(dir, new URL(base).host));
    await page.getByTestId('status').getByText('interrupted').waitFor({ timeout: 30000 });
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await page.screenshot({ path: `${shots}/reconnected.png`, fullPage: true });
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('off loopback, a page sends the browser to log in; the token starts a session (an HttpOnly cookie without the token)', async ({ browser }) => {
  const dir = mkdtempSync(join(tmpdir(), 'dartboard-login-'));
  const { child, base } = await startServer(dir, '0.0.0.0:0', { DARTBOARD_ADMIN_TOKEN: 'browser-test-token' });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(base + '/datasets');
    await page.waitForURL(/\/login$/);
    await page.screenshot({ path: `${shots}/login.png`, fullPage: true });
    await page.getByLabel('Admin token').fill('a guess');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/login\?failed=1$/);
    assert.match(await page.locator('#token-error').innerText(), /not this server's admin token/);
    await page.getByLabel('Admin token').fill('browser-test-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'dartboard_session');
    assert.ok(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie));
    assert.ok(!cookie.value.includes('browser-test-token'), 'the cookie carries a session id, not the token');
    await page.goto(base + '/datasets');
    assert.match(await page.locator('table.datasets').innerText(), /sample: sklearn digits/);
    await context.close();
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

// The searches of the seeds' other strategies, in files of their own.
proxyless(test);
enas(test);
sweeps(test);
study(test);
uploads(test);

const dir = mkdtempSync(join(tmpdir(), 'dartboard-browser-'));
const { child, base } = await startServer(dir);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
let failed = 0;
// BROWSER_ONLY=TEXT runs the tests whose names contain TEXT (while working on one).
const chosen = tests.filter(([name]) => name.includes(process.env.BROWSER_ONLY ?? ''));
for (const [name, fn] of chosen) {
  const t0 = Date.now();
  try {
    await fn({ base, browser });
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n${e.stack}`);
  }
}
await browser.close();
child.kill();
rmSync(dir, { recursive: true, force: true });
console.log(`${chosen.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
