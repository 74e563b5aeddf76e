// Sweeps and transfer in the browser (issue 18): "Sweep..." on a finished search opens the sweep
// form filled in from it; the sweep's page draws its heatmap and fills it in live; "Train this
// cell on another dataset" moves the digits' cell to Fashion-MNIST (28x28 instead of 8x8) and to
// a regression dataset, and each dataset's comparison lists it as transferred.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { shots, api, waitStatus, until, DATASETS } from './harness.mjs';

// The first `n` Fashion-MNIST test images as a CSV (784 pixels, then the label), as the
// importer reads the sklearn digits' CSV (SOURCE.md: idx files, 16- and 8-byte headers).
function fashionCsv(n) {
  const dir = join(DATASETS, 'fashion-mnist');
  const images = gunzipSync(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(join(dir, 't10k-labels-idx1-ubyte.gz')));
  const rows = [];
  for (let i = 0; i < n; i++) {
    const px = images.subarray(16 + i * 784, 16 + (i + 1) * 784);
    rows.push([...px, labels[8 + i]].join(','));
  }
  return rows.join('\n') + '\n';
}

async function upload(base, name, text, fields = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([text]), name);
  const r = await fetch(base + '/api/datasets', { method: 'POST', body: form });
  const body = JSON.parse(await r.text());
  assert.ok(r.status === 201 || r.status === 200, JSON.stringify(body));
  return body;
}

async function digitsSearch(base) {
  const [, sets] = await api(base, 'GET', '/api/datasets');
  const dataset = sets.find((d) => d.name === 'sample: sklearn digits').id;
  const [code, run] = await api(base, 'POST', '/api/runs', { dataset_id: dataset, config: { preset: 'tiny' } });
  assert.equal(code, 201, JSON.stringify(run));
  await waitStatus(base, run.id, 'succeeded');
  return run.id;
}

export default function register(test) {
  test('"Sweep..." on a finished search starts a sweep whose heatmap fills in live', async ({ base, browser }) => {
    const search = await digitsSearch(base);
    const page = await browser.newPage();
    await page.goto(`${base}/runs/${search}`);
    await page.locator('body[data-hydrated]').waitFor();
    await page.getByTestId('sweep-from-run').click();
    await page.waitForURL(new RegExp(`/sweeps/new\\?from=${search}$`));
    await until(page, 'the form to be filled in from the run', (id) =>
      document.querySelector('[data-testid=prefilled]')?.textContent.includes(`run #${id}`), search);
    assert.match(await page.locator('#sweep-config').inputValue(), /"preset": "tiny"/);
    await page.locator('#axis-key-0').fill('alpha_lr');
    await page.locator('#axis-values-0').fill('0.001, 0.01');
    await page.locator('#axis-key-1').fill('w_lr');
    await page.locator('#axis-values-1').fill('log:1e-3:1e-2:2');
    await page.locator('#sweep-seeds').fill('1');
    await page.getByRole('button', { name: 'Start the sweep' }).click();
    await page.waitForURL(/\/sweeps\/\d+$/);
    const id = Number(page.url().split('/').pop());
    // The map is there from the start, a cell a point; it fills in as runs finish, without a reload.
    const map = page.getByTestId('sweep-map');
    await map.locator('svg').waitFor();
    assert.equal(await map.locator('g.cell').count(), 4);
    await until(page, 'every cell of the heatmap to show its metric', () =>
      [...document.querySelectorAll('[data-testid=sweep-map] g.cell text')].filter((t) => /^\d\.\d{4}$/.test(t.textContent)).length === 4,
    null, 300000);
    await until(page, 'the sweep to be finished', () =>
      document.querySelector('[data-testid=sweep-progress]')?.textContent.includes('(finished)'), null, 60000);
    const [, sweep] = await api(base, 'GET', `/api/sweeps/${id}`);
    assert.deepEqual(sweep.axes.map((a) => a.key), ['alpha_lr', 'w_lr']);
    assert.deepEqual(sweep.axes[1].values, ['0.001', '0.01']);
    // Each cell shows its run's best validation accuracy, and the sweet spot is said in words.
    for (const cell of sweep.cells) {
      const [, run] = await api(base, 'GET', `/api/runs/${cell.runs[0]}`);
      assert.equal(cell.mean, run.result.best_val_metric);
    }
    assert.match(await page.getByTestId('sweet-spot').innerText(), /^Best: alpha_lr=.* within 2% of it/);
    assert.equal(await page.getByTestId('collapse-map').locator('g.cell').count(), 4);
    assert.equal(await page.getByTestId('sweep-points').locator('tbody tr').count(), 4);
    await page.screenshot({ path: `${shots}/sweep.png`, fullPage: true });
    await page.close();
  });

  test('a digits cell trained on Fashion-MNIST and on regression data is listed as transferred', async ({ base, browser }) => {
    const search = await digitsSearch(base);
    const fashion = await upload(base, 'fashion-500.csv', fashionCsv(500));
    assert.equal(fashion.width, 28);
    const lines = Array.from({ length: 40 }, (_, i) => [...Array.from({ length: 64 }, (_, p) => (i * 7 + p * 3) % 17), i * 20 / 39 + 0.5].join(','));
    const ramp = await upload(base, 'ramp-transfer.csv', lines.join('\n') + '\n', { task: 'regression' });
    const page = await browser.newPage();
    const made = [];
    for (const target of [fashion, ramp]) {
      await page.goto(`${base}/runs/${search}`);
      await page.locator('body[data-hydrated]').waitFor();
      await page.getByLabel('Training preset').selectOption('tiny');
      const transfer = page.getByTestId('transfer');
      await transfer.locator('select').selectOption(target.id);
      await transfer.getByRole('button', { name: 'Train there' }).click();
      await until(page, 'the transfer run to be started', () =>
        /Started #\d+/.test(document.querySelector('.study-actions [role=status]')?.textContent ?? ''));
      const started = await page.locator('.study-actions [role=status]').innerText();
      made.push(Number(started.match(/#(\d+)/)[1]));
    }
    for (const [i, target] of [fashion, ramp].entries()) {
      const run = await waitStatus(base, made[i], 'succeeded');
      assert.equal(run.dataset_id, target.id);
      assert.equal(run.source_run, search);
      await page.goto(`${base}/runs/${made[i]}`);
      const said = await page.getByTestId('transferred').innerText();
      assert.match(said, new RegExp(`of search #${search} on sample: sklearn digits \\(1x8x8, classification, 10 classes\\), transferred to`));
      assert.match(said, i === 0 ? /\(1x28x28, classification, 10 classes\)\. The cell, stem and head are as searched/ : /Rebuilt: the head for regression/);
      await page.goto(`${base}/datasets/${target.id}`);
      const table = page.getByTestId('comparison');
      await table.getByRole('cell', { name: `DARTS cell from sample: sklearn digits (search #${search}), transferred`, exact: true }).waitFor();
      await page.screenshot({ path: `${shots}/transfer-${i}.png`, fullPage: true });
    }
    await page.close();
  });
}
