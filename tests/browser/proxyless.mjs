// ProxylessNAS in the browser (issue 17): a search with a latency target started from /new, its
// layers and latency curve live on the run page, and every network trained on the dataset as
// accuracy against latency with its Pareto front on the dataset page.
import assert from 'node:assert/strict';
import { shots, api, waitStatus, until } from './harness.mjs';

export default function register(test) {
  test('a ProxylessNAS search with a latency target: its layers, its latency curve, and the Pareto scatter', async ({ base, browser }) => {
    const [, sets] = await api(base, 'GET', '/api/datasets');
    const dataset = sets.find((d) => d.name === 'sample: sklearn digits').id;
    const page = await browser.newPage();
    await page.goto(`${base}/new?dataset=${dataset}`);
    await page.locator('body[data-hydrated]').waitFor();
    await page.getByLabel('Preset').selectOption('tiny');
    await page.locator('#strategy').selectOption('proxyless');
    await page.locator('#init_channels').fill('8');
    await page.locator('#epochs').fill('3');
    await page.locator('#latency_target_ms').fill('0.5');
    // The estimate measures the space's latency table on this machine and shows its span.
    await page.getByRole('button', { name: 'Estimate' }).click();
    const span = page.getByTestId('latency-span');
    await span.waitFor({ timeout: 120000 });
    const m = /take ([\d.]+) to ([\d.]+) ms per image on cpu/.exec(await span.innerText());
    assert.ok(m && Number(m[1]) > 0 && Number(m[1]) < Number(m[2]), await span.innerText());
    await page.screenshot({ path: `${shots}/new-proxyless.png`, fullPage: true });
    await page.getByRole('button', { name: 'Start search' }).click();
    await page.waitForURL(/\/runs\/\d+$/);
    const id = Number(/\/runs\/(\d+)$/.exec(page.url())[1]);

    // Live: the layer map and the latency curve appear with the first epoch.
    await until(page, 'the layer heatmap of the first epoch', () => !!document.querySelector('[data-testid=layer-map] svg'), null, 120000);
    await until(page, 'the latency curve', () => !!document.querySelector('[data-testid=latency-curve] svg'), null, 120000);
    await page.getByTestId('status').getByText('succeeded').waitFor({ timeout: 120000 });
    const curve = await page.getByTestId('latency-curve').innerHTML();
    for (const series of ['expected (by probability)', 'most likely network', 'target']) {
      assert.ok(curve.includes(series), `the curve's ${series} series`);
    }
    const map = await page.getByTestId('layer-map').innerHTML();
    assert.ok(map.includes('layer 8') && map.includes('mb6_k7'), 'eight layers of blocks');
    assert.match(await page.getByTestId('found-layers').innerText(),
      /^Most likely blocks: (mb\d_k\d|zero)(, (mb\d_k\d|zero)){7}; predicted [\d.]+ ms per image on the search's device \(target 0\.5 ms\)\.$/);
    await page.screenshot({ path: `${shots}/run-proxyless.png`, fullPage: true });

    // Retrained and run against its baselines from the page: a layer search has no cell for
    // random search or pruning, so the ResNets alone join it.
    await page.getByLabel('Training preset').selectOption('tiny');
    const madeFrom = async (want) => {
      const t0 = Date.now();
      for (;;) {
        const [, runs] = await api(base, 'GET', '/api/runs');
        const made = runs.filter((x) => x.source_run === id);
        if (made.length >= want) return made;
        if (Date.now() - t0 > 30000) throw new Error(`waited 30 s for ${want} runs made from run ${id}; there are ${made.length}`);
        await new Promise((res) => setTimeout(res, 200));
      }
    };
    await page.getByRole('button', { name: 'Retrain' }).click();
    await madeFrom(1);
    await page.getByRole('button', { name: 'Run baselines' }).click();
    const made = await madeFrom(3);
    const [, listed] = await api(base, 'GET', '/api/runs');
    const kinds = listed.filter((x) => x.source_run === id).map((x) => x.kind).sort();
    assert.deepEqual(kinds, ['baseline', 'baseline', 'train'], JSON.stringify(listed.filter((x) => x.source_run === id)));
    const done = [];
    for (const x of made) done.push(await waitStatus(base, x.id, 'succeeded'));
    const t = done.find((x) => x.kind === 'train');
    assert.equal(t.result.architecture, 'proxyless');
    assert.deepEqual(done.filter((x) => x.kind === 'baseline').map((x) => x.result.architecture).sort(), ['resnet10', 'resnet18']);
    await page.goto(`${base}/datasets/${dataset}`);
    const chart = page.getByTestId('pareto-chart');
    await chart.locator('svg').waitFor();
    assert.ok((await chart.innerHTML()).includes('Pareto front'));
    const front = await page.getByTestId('pareto-front').locator('tbody tr').allInnerTexts();
    // The front computed here from every trained network of the dataset the API lists: those
    // no other is both at least as fast and at least as accurate as, one of the two strictly.
    const [, runs] = await api(base, 'GET', '/api/runs');
    const nets = [];
    for (const row of runs.filter((x) => x.dataset_id === dataset && ['train', 'baseline'].includes(x.kind) && x.status === 'succeeded')) {
      const [, full] = await api(base, 'GET', `/api/runs/${row.id}`);
      if (full.result?.speed) nets.push({ id: full.id, ms: full.result.speed.latency_ms, acc: full.result.test_metric });
    }
    assert.equal(t.result.higher_is_better, true, 'the digits are classified: accuracy');
    assert.ok(done.every((d) => nets.some((n) => n.id === d.id)), JSON.stringify(nets));
    const expected = nets.filter((p) => !nets.some((q) => q.ms <= p.ms && q.acc >= p.acc && (q.ms < p.ms || q.acc > p.acc)))
      .sort((a, b) => a.ms - b.ms).map((n) => `#${n.id}`);
    assert.deepEqual(front.map((row) => row.split('\t')[0]), expected, front.join(' | '));
    await page.screenshot({ path: `${shots}/dataset-pareto.png`, fullPage: true });
    await page.close();
  });
}
