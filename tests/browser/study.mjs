// A study from /new with a time budget: the search, its retraining and the baselines run one
// after another, and the search's page ends with the verdict (the sentence at the top, the
// paired differences with their 95% intervals below), the same on the dataset page and the
// share page; a training's page says where and why it stopped; the dataset page's symmetry can
// be changed there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { shots, startServer, api, until } from './harness.mjs';

// "+0.0113 [+0.0033, +0.0193]": the difference and its interval (app/src/verdict.rs).
const INTERVAL = /^([+-]\d\.\d{4}) \[([+-]\d\.\d{4}), ([+-]\d\.\d{4})\]$/;

export default function register(test) {
  test('a study started from /new with a budget ends with the verdict sentence and its intervals', async ({ browser }) => {
    const dir = mkdtempSync(join(tmpdir(), 'dartboard-study-'));
    const { child, base } = await startServer(dir);
    try {
      const page = await browser.newPage();
      await page.goto(base + '/new');
      await page.locator('body[data-hydrated]').waitFor();
      await page.getByLabel('Preset').selectOption('quick');
      await page.locator('#plan').selectOption('study');
      await page.locator('#budget').fill('soon');
      await page.getByRole('button', { name: 'Start study' }).click();
      // A budget that is not a duration is named next to its field, and nothing starts.
      await page.locator('#study-error').getByText(/soon/).waitFor();
      assert.match(page.url(), /\/new/);
      await page.locator('#budget').fill('2m');
      const t0 = Date.now();
      await page.getByRole('button', { name: 'Start study' }).click();
      await page.waitForURL(/\/runs\/\d+$/);
      const search = Number(/\/runs\/(\d+)$/.exec(page.url())[1]);
      assert.match(await page.getByTestId('study').innerText(), /ResNet-18, ResNet-10, random search.*within a budget of 2 min 0 s/);

      // The search's page follows the study's runs to the verdict (2 minutes plus the start).
      await page.getByTestId('verdict-sentence').waitFor({ timeout: 300000 });
      await until(page, 'every run of the study to end', () => document.querySelectorAll('ul.derived .status').length === 5 && ![...document.querySelectorAll('ul.derived .status')].some((s) => /queued|running/.test(s.textContent)), null, 240000);
      const seconds = (Date.now() - t0) / 1000;
      await page.screenshot({ path: `${shots}/study.png`, fullPage: true });
      const sentence = await page.getByTestId('verdict-sentence').innerText();
      assert.match(sentence, /^Take .*: accuracy 0\.\d{4}/);
      assert.equal(await page.getByTestId('verdict-top').innerText(), sentence, 'the top of the page says it too');
      const intervals = await page.getByTestId('verdict-interval').allInnerTexts();
      // Against the other derived network, ResNet-18, ResNet-10 and random search.
      assert.equal(intervals.length, 4, intervals.join('; '));
      for (const text of intervals) {
        const [, d, lo, hi] = INTERVAL.exec(text).map(Number);
        assert.ok(lo <= d && d <= hi, `${text}: the difference lies in its interval`);
      }
      const words = await page.locator('[data-testid=verdict-table] tbody td:last-child').allInnerTexts();
      assert.ok(words.every((w) => ['better', 'tie', 'worse'].includes(w)), words.join(', '));
      // Each training stopped at its plateau or at its share of the budget.
      const table = await page.getByTestId('comparison').innerText();
      assert.equal((table.match(/(plateau|budget), kept epoch \d+ of \d+ run/g) ?? []).length, 5, table);
      const verdictApi = (await api(base, 'GET', `/api/runs/${search}/comparison`))[1].verdict;
      assert.equal(verdictApi.sentence, sentence);
      console.log(`  the study (budget 120 s) ended ${seconds.toFixed(0)} s after its button was clicked`);

      // A training's page: where it stopped, and why.
      const [, runs] = await api(base, 'GET', '/api/runs');
      const retrain = runs.find((r) => r.kind === 'train' && r.source_run === search);
      await page.goto(`${base}/runs/${retrain.id}`);
      assert.match(await page.getByTestId('stopped').innerText(), /^Training stopped after epoch \d+: (the held-out accuracy did not improve|its \d+ s were spent).*kept epoch \d+'s weights/);
      assert.match(await page.locator('.charts').innerHTML(), /kept epoch \d+/, 'the kept epoch marked on the curves');

      // The dataset page: the latest study's verdict, and its symmetry changed in place.
      const dataset = retrain.dataset_id;
      await page.goto(`${base}/datasets/${dataset}`);
      await page.locator('body[data-hydrated]').waitFor();
      assert.equal(await page.getByTestId('verdict-sentence').innerText(), sentence);
      assert.equal(await page.getByTestId('symmetry').inputValue(), 'none', 'no flips unless the data allows them');
      await page.getByTestId('symmetry').selectOption('rot90');
      await page.getByTestId('save-symmetry').click();
      await page.getByTestId('symmetry-note').getByText('Saved').waitFor();
      await page.reload();
      assert.equal(await page.getByTestId('symmetry').inputValue(), 'rot90');
      assert.equal((await api(base, 'GET', `/api/datasets/${dataset}`))[1].summary.symmetry, 'rot90');

      // The share page: the same verdict for a colleague without an account.
      const [, shared] = await api(base, 'POST', `/api/runs/${search}/share`);
      const stranger = await browser.newContext();
      const other = await stranger.newPage();
      await other.goto(`${base}/share/${shared.token}`);
      assert.equal(await other.getByTestId('verdict-sentence').innerText(), sentence);
      assert.equal((await other.getByTestId('verdict-interval').allInnerTexts()).length, 4);
      await stranger.close();
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
