// Each two-file combination the upload page offers imports (issue 29, finding 6): IDX images
// with their labels as the targets file, a zip of both IDX files, and a lone .npy of images with
// a text file of targets. Each goes through the page as a user would: choose the file, the
// targets field appears, choose the targets, upload, read the summary.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { DATASETS, startServer } from './harness.mjs';

// The files the venv's NumPy writes: 60 random 8x8 bytes images, labels 0-2 one per line.
const NPY = `
import numpy as np, sys, zipfile, os
out, mnist = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0)
np.save(os.path.join(out, 'cutouts.npy'), rng.integers(0, 256, (60, 8, 8), dtype=np.uint8))
np.savetxt(os.path.join(out, 'classes.txt'), np.arange(60) % 3, fmt='%d')
with zipfile.ZipFile(os.path.join(out, 'mnist-idx.zip'), 'w') as z:
    for f in ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']:
        z.write(os.path.join(mnist, f), f)
`;

async function upload(page, base, file, targets, summary) {
  await page.goto(base + '/upload');
  await page.locator('body[data-hydrated]').waitFor();
  await page.locator('#file').setInputFiles(file);
  if (targets) {
    await page.getByLabel(/Targets file/).waitFor({ state: 'visible' });
    await page.locator('#y_file').setInputFiles(targets);
  }
  await page.getByRole('button', { name: 'Upload' }).click();
  const outcome = page.locator('[data-testid=outcome]');
  await outcome.locator('.ok-box, .error-box').first().waitFor({ timeout: 120000 });
  const text = await outcome.innerText();
  assert.match(text, /Imported\./, `${file}: ${text}`);
  assert.match(text, summary, `${file}: ${text}`);
}

export default function register(test) {
  test('each file combination the upload page offers imports', async ({ browser }) => {
    const dir = mkdtempSync(join(tmpdir(), 'dartboard-uploads-'));
    const made = mkdtempSync(join(tmpdir(), 'dartboard-upload-files-'));
    const { child, base } = await startServer(dir, '127.0.0.1:0', {}, false);
    try {
      const mnist = join(DATASETS, 'mnist-test');
      execFileSync('.venv/bin/python', ['-c', NPY, made, mnist]);
      const page = await browser.newPage();
      // mnist-test/SOURCE.md: the 10,000 test images of MNIST, 28x28, digits 0-9.
      await upload(page, base, join(mnist, 't10k-images-idx3-ubyte.gz'), join(mnist, 't10k-labels-idx1-ubyte.gz'),
        /10000 classification samples of 1x28x28/);
      await upload(page, base, join(made, 'mnist-idx.zip'), null, /10000 classification samples of 1x28x28/);
      await upload(page, base, join(made, 'cutouts.npy'), join(made, 'classes.txt'),
        /60 classification samples of 1x8x8[\s\S]*classes: 0 20, 1 20, 2 20/);
    } finally {
      child.kill();
      rmSync(dir, { recursive: true, force: true });
      rmSync(made, { recursive: true, force: true });
    }
  });
}
