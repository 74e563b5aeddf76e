// Browser tests: the release server on a fresh data directory, driven in Debian's Chromium by
// Playwright as a user would. Screenshots of each page go to tests/artifacts/.
// Run by `make test` (after the release build); `node tests/browser.mjs` from the repo root.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const shots = 'tests/artifacts';
mkdirSync(shots, { recursive: true });

function startServer(dir, addr = '127.0.0.1:0', env = {}) {
  const child = spawn('target/release/dartboard', ['serve', '--addr', addr, '--data-dir', dir,
    '--sample', 'data/sample/digits.csv.gz', '--worker-threads', '1'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout.once('data', (chunk) => {
      const m = /listening on (http:\/\/\S+)/.exec(chunk.toString());
      // A server bound to 0.0.0.0 is reached on loopback.
      m ? resolve({ child, base: m[1].replace('0.0.0.0', '127.0.0.1') }) : reject(new Error(`unexpected: ${chunk}`));
    });
  });
}

async function api(base, method, path, body) {
  const r = await fetch(base + path, { method, headers: { 'content-type': 'application/json' },
    body: body && JSON.stringify(body) });
  return [r.status, await r.json().catch(() => null)];
}

async function waitStatus(base, id, want) {
  for (let i = 0; i < 600; i++) {
    const [, run] = await api(base, 'GET', `/api/runs/${id}`);
    if (run.status === want) return run;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`run ${id} never became ${want}`);
}

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
  await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 1);
  assert.match(await page.locator('table.runs tbody').innerText(), /cancelled/);

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

test('off loopback, a page sends the browser to log in; the token sets an HttpOnly cookie', async ({ browser }) => {
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
    const cookie = (await context.cookies()).find((c) => c.name === 'dartboard_admin');
    assert.ok(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie));
    await page.goto(base + '/datasets');
    assert.match(await page.locator('table.datasets').innerText(), /sample: sklearn digits/);
    await context.close();
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

const dir = mkdtempSync(join(tmpdir(), 'dartboard-browser-'));
const { child, base } = await startServer(dir);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
let failed = 0;
for (const [name, fn] of tests) {
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
console.log(`${tests.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
