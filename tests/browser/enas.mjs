// ENAS in the browser (issue 17): a search's page shows the controller's reward with its
// baseline and its entropy per epoch, and the cell it keeps.
import assert from 'node:assert/strict';
import { shots, api, waitStatus } from './harness.mjs';

export default function register(test) {
  test('an ENAS search shows its controller\'s reward and entropy per epoch and its cell', async ({ base, browser }) => {
    const [, sets] = await api(base, 'GET', '/api/datasets');
    const dataset = sets.find((d) => d.name === 'sample: sklearn digits').id;
    const [code, run] = await api(base, 'POST', '/api/runs', { dataset_id: dataset,
      config: { preset: 'tiny', strategy: 'enas', epochs: 2, enas_controller_steps: 3, enas_samples: 3 } });
    assert.equal(code, 201, JSON.stringify(run));
    const done = await waitStatus(base, run.id, 'succeeded');
    const page = await browser.newPage();
    await page.goto(`${base}/runs/${run.id}`);
    for (const id of ['controller-reward', 'controller-entropy']) {
      await page.getByTestId(id).locator('svg').waitFor();
    }
    const reward = await page.getByTestId('controller-reward').innerHTML();
    assert.ok(reward.includes('mean reward') && reward.includes('baseline'), 'both series');
    // The kept cell is drawn, and it is the one the result names.
    assert.ok((await page.getByTestId('cells').locator('svg').count()) >= 2);
    assert.equal(done.result.genotype.normal.length, 8);
    assert.match(await page.getByTestId('log').innerText(), /kept the best of 3 sampled cells/);
    await page.screenshot({ path: `${shots}/run-enas.png`, fullPage: true });
    await page.close();
  });
}
