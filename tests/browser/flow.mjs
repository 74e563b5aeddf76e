// The first hour of a new user, end to end in the browser: upload, a search from the form, the
// run live, the result shared and downloaded, the baselines and the retrained cell compared
// (with each network's latency on the chart), the model downloaded, seeds repeated.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { shots, DATASETS, startServer, api, until } from './harness.mjs';

export default function register(test) {
  test('a new user uploads data, searches, watches it live, shares and downloads the result', async ({ browser }) => {
    const dir = mkdtempSync(join(tmpdir(), 'dartboard-flow-'));
    const { child, base } = await startServer(dir, '127.0.0.1:0', {}, false);
    try {
      const page = await browser.newPage();
      await page.goto(base + '/');
      assert.match(await page.locator('.empty').innerText(), /No runs yet/);
      await page.locator('body[data-hydrated]').waitFor();

      // Upload the sklearn digits through the upload page.
      await page.getByRole('link', { name: 'Upload data' }).first().click();
      await page.waitForURL(/\/upload$/);
      await page.locator('#file').setInputFiles(join(DATASETS, 'sklearn-digits/digits.csv.gz'));
      await page.getByLabel(/Target column/).waitFor({ state: 'visible' });
      assert.match(await page.locator('label.drop').innerText(), /Chosen: digits\.csv\.gz/);
      await page.getByLabel(/^Name/).fill('digits');
      await page.getByRole('button', { name: 'Upload' }).click();
      const outcome = page.locator('[data-testid=outcome]');
      await outcome.getByText('Imported.').waitFor();
      // sklearn-digits/SOURCE.md: 1797 images of 8x8, classes 0 to 9.
      assert.match(await outcome.innerText(), /digits: 1797 classification samples of 1x8x8/);
      await page.screenshot({ path: `${shots}/upload.png`, fullPage: true });

      // Its sample grid on the dataset page, then a search from the form.
      await page.getByRole('link', { name: 'Open the dataset' }).click();
      const img = page.locator('img.samples');
      await img.waitFor();
      await until(page, 'the sample grid to load', () => document.querySelector('img.samples').naturalWidth > 0);
      await page.getByRole('link', { name: 'New search on this data' }).click();
      await page.waitForURL(/\/new\?dataset=/);
      await page.locator('body[data-hydrated]').waitFor();
      await page.getByLabel('Preset').selectOption('tiny');
      // Every search key the CLI lists has its field on the form (preset above; the op list below).
      const keys = JSON.parse(execFileSync('target/release/dartboard', ['config-keys']).toString());
      for (const key of keys.filter((k) => !['preset', 'primitives'].includes(k))) {
        assert.equal(await page.locator(`#${key}`).count(), 1, `a field for ${key}`);
      }
      assert.equal(await page.locator('#epochs').inputValue(), '1', 'the tiny preset filled the form');
      // A bad value: the server's message appears next to its field, and nothing starts.
      await page.locator('#batch_size').fill('lots');
      await page.getByRole('button', { name: 'Start search' }).click();
      await page.locator('#batch_size-error').getByText(/invalid/).waitFor();
      assert.match(page.url(), /\/new/);
      await page.locator('#batch_size').fill('16');
      await page.locator('#epochs').fill('12');
      await page.locator('#max_steps_per_epoch').fill('6');
      // A robust search: PC-DARTS with perturbation-based selection (DARTS.md, closing the gap).
      await page.locator('#strategy').selectOption('pc-darts');
      await page.locator('#selection').selectOption('perturbation');
      await page.locator('#pt_tune_steps').fill('1');
      await page.locator('#pt_eval_samples').fill('64');
      await page.getByRole('button', { name: 'Estimate' }).click();
      await page.locator('[data-testid=estimate]').getByText(/weights; about .* per epoch/).waitFor({ timeout: 60000 });
      await page.screenshot({ path: `${shots}/new.png`, fullPage: true });
      await page.getByRole('button', { name: 'Start search' }).click();
      await page.waitForURL(/\/runs\/\d+$/);
      const runUrl = page.url();

      // Live: the epoch counter moves and the heatmap changes without a reload.
      const counter = page.locator('[data-testid=epoch]');
      await until(page, 'the first epoch of 12 on the live page', () => /epoch [1-9]\d* of 12/.test(document.querySelector('[data-testid=epoch]')?.textContent ?? ''), null, 120000);
      const seen = Number(/epoch (\d+)/.exec(await counter.innerText())[1]);
      const heat = await page.locator('[data-testid=heatmaps]').innerHTML();
      await until(page, `an epoch after ${seen} on the live page`, (n) => Number(/epoch (\d+)/.exec(document.querySelector('[data-testid=epoch]').textContent)[1]) > n, seen, 120000);
      await until(page, 'the heatmaps to change with the new epoch', (h) => document.querySelector('[data-testid=heatmaps]').innerHTML !== h, heat);
      assert.ok((await page.locator('[data-testid=heatmaps] svg').count()) === 2, 'normal and reduction heatmaps');
      assert.ok((await page.locator('[data-testid=heatmaps] rect.kept').count()) === 16, 'two kept edges for each of 4 nodes, in two cells');
      await page.screenshot({ path: `${shots}/live.png`, fullPage: true });
      await page.locator('[data-testid=status]').getByText('succeeded').waitFor({ timeout: 300000 });

      // The result page, as the server renders it.
      await page.goto(runUrl);
      assert.match(await page.locator('[data-testid=epoch]').innerText(), /epoch 12 of 12/);
      assert.match(await page.locator('[data-testid=best]').innerText(), /^0\.\d{4}$/);
      assert.equal(await page.locator('[data-testid=cells] svg').count(), 2);
      await page.locator('body[data-hydrated]').waitFor();
      // The slider shows an earlier epoch's cells.
      await page.locator('[data-testid=epoch-slider]').fill('1');
      assert.match(await page.locator('[data-testid=shown-epoch]').innerText(), /^epoch 1$/);
      // Perturbation-based selection's importance beside the alphas: every one of the 14 edges of
      // each cell decided, the kept op outlined on each.
      const importance = page.getByTestId('importance');
      assert.equal(await importance.locator('svg').count(), 2, 'normal and reduction importance');
      assert.equal(await importance.locator('rect.kept').count(), 28);
      assert.match(await importance.innerHTML(), /metric lost when removed; outlined: kept/);
      await page.screenshot({ path: `${shots}/result.png`, fullPage: true });

      // Against the baselines: ResNet-18/10, random search and the retrained cell fill the
      // comparison table.
      await page.getByLabel('Training preset').selectOption('tiny', { timeout: 60000 });
      await page.getByRole('button', { name: 'Run baselines' }).click();
      await page.getByRole('button', { name: 'Retrain' }).click();
      const table = page.getByTestId('comparison');
      for (const method of ['DARTS supernet (during search)', 'DARTS cell, retrained', 'DARTS network, pruned and fine-tuned', 'ResNet-18', 'ResNet-10']) {
        await table.getByRole('cell', { name: method, exact: true }).waitFor({ timeout: 300000 });
      }
      await table.getByRole('cell', { name: /^Random search \(best of \d+ sampled, successive halving\)$/ }).waitFor({ timeout: 300000 });
      assert.match(await page.getByTestId('searched-with').innerText(), /strategy pc-darts, regulariser none, selection perturbation/);
      // Multiply-adds of ResNet-18 on one 1x8x8 image, by hand from the layer shapes.
      // Then its measured latency and throughput on this CPU.
      assert.match(await table.innerText(), /ResNet-18\s+11172810\s+34\.6 M\s+[\d.]+ ms, \d+\/s/);
      assert.match(await table.innerText(), /ResNet-18\s+11172810\b/, 'kuangliu ResNet-18 (11,173,962 for 3 channels) less the stem weights of 2 channels');
      // The chart writes each network's latency above its bar, as the table reads it.
      const chart = await page.getByTestId('comparison-chart').innerHTML();
      const speeds = [...(await table.innerText()).matchAll(/([\d.]+) ms, \d+\/s/g)].map((m) => `${m[1]} ms`);
      assert.ok(speeds.length >= 4, `latencies in the table: ${speeds}`);
      for (const ms of speeds) assert.ok(chart.includes(ms), `the comparison chart lacks ${ms}`);
      await page.screenshot({ path: `${shots}/comparison.png`, fullPage: true });
      // The retrained cell's page offers the exported model: TorchScript is a zip archive.
      await table.getByRole('row', { name: /DARTS cell, retrained/ }).getByRole('link').first().click();
      await page.waitForURL(/\/runs\/\d+$/);
      await page.getByText('Made from').waitFor();
      const [model] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('download-model.pt').click(),
      ]);
      const bytes = readFileSync(await model.path());
      assert.ok(bytes.length > 10000 && bytes.subarray(0, 2).toString() === 'PK', `model.pt of ${bytes.length} bytes`);
      assert.match(await page.locator('.downloads').innerText(), /MODEL\.md/);
      await page.screenshot({ path: `${shots}/retrained.png`, fullPage: true });
      // Repeat with 2 seeds: the search joins a seed group with a second search (the next seed).
      await page.goto(runUrl);
      await page.locator('body[data-hydrated]').waitFor();
      await page.getByLabel('Seeds').fill('2');
      await page.getByRole('button', { name: 'Repeat with 2 seeds' }).click();
      await page.getByTestId('group').locator('li').nth(1).waitFor();
      // The preset's seed (2 for tiny), then the next.
      assert.match(await page.getByTestId('group').innerText(), /search, seed 2[\s\S]*search, seed 3/);
      // The repeat's own study would take minutes on a CPU; it is stopped here (the API suite
      // runs one to the end).
      const [, all] = await api(base, 'GET', '/api/runs');
      for (const r of all.filter((r) => r.status === 'queued' || r.status === 'running')) {
        await api(base, 'POST', `/api/runs/${r.id}/cancel`);
      }
      await page.getByRole('button', { name: 'Share' }).click();
      const link = await page.locator('[data-testid=share-link]');
      await link.waitFor();
      const shareUrl = await link.inputValue();
      assert.match(shareUrl, /^http:\/\/127\.0\.0\.1:\d+\/share\/[0-9a-f]{32}$/);

      // The share link in a new context with no cookies: the result, and no edit control.
      const stranger = await browser.newContext();
      const shared = await stranger.newPage();
      await shared.goto(shareUrl);
      await shared.locator('[data-testid=heatmaps] svg').first().waitFor();
      assert.match(await shared.locator('h1').innerText(), /Run #\d+: search on digits/);
      assert.equal(await shared.locator('button').count(), 0, 'no edit control');
      assert.match(await shared.getByTestId('comparison').innerText(), /ResNet-10/);
      assert.equal(await shared.locator('header nav').isVisible(), false);
      assert.equal((await stranger.cookies()).length, 0);
      await shared.screenshot({ path: `${shots}/share.png`, fullPage: true });
      const [download] = await Promise.all([
        shared.waitForEvent('download'),
        shared.locator('[data-testid="download-genotype.json"]').click(),
      ]);
      const genotype = JSON.parse(readFileSync(await download.path(), 'utf8'));
      assert.equal(genotype.normal.length, 8, 'two edges per node, 4 nodes (DARTS.md)');
      assert.equal(genotype.reduce.length, 8);
      await stranger.close();
      // Without scripts the share page has it all too.
      const plain = await browser.newContext({ javaScriptEnabled: false });
      const noJs = await plain.newPage();
      await noJs.goto(shareUrl);
      assert.equal(await noJs.locator('[data-testid=cells] svg').count(), 2);
      assert.match(await noJs.locator('[data-testid=status]').innerText(), /succeeded/);
      await plain.close();

      // A bad upload: its error in place, naming the file; nothing stored.
      await page.goto(base + '/upload');
      await page.locator('body[data-hydrated]').waitFor();
      await page.locator('#file').setInputFiles({ name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from('label,a,b\n1,2\nx\n') });
      await page.getByRole('button', { name: 'Upload' }).click();
      const error = page.locator('.error-box');
      await error.waitFor();
      assert.match(await error.innerText(), /broken\.csv/);
      await page.screenshot({ path: `${shots}/upload-error.png`, fullPage: true });
      const [, sets] = await api(base, 'GET', '/api/datasets');
      assert.equal(sets.length, 1, 'only the digits');
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
