// What the browser tests share: the server on a data directory of their own, JSON API calls,
// waits on a run's status and on a page's state (each failure says what it waited for).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';

export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const shots = 'tests/artifacts';
mkdirSync(shots, { recursive: true });

export const DATASETS = process.env.DARTBOARD_DATASETS ?? '../shared/datasets';

export function startServer(dir, addr = '127.0.0.1:0', env = {}, sample = true) {
  const child = spawn('target/release/dartboard', ['serve', '--addr', addr, '--data-dir', dir,
    ...(sample ? ['--sample', 'data/sample/digits.csv.gz'] : []), '--worker-threads', '1'],
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

export async function api(base, method, path, body) {
  const r = await fetch(base + path, { method, headers: { 'content-type': 'application/json' },
    body: body && JSON.stringify(body) });
  return [r.status, await r.json().catch(() => null)];
}

export async function waitStatus(base, id, want, seconds = 240) {
  const t0 = Date.now();
  let run = null;
  while (Date.now() - t0 < seconds * 1000) {
    [, run] = await api(base, 'GET', `/api/runs/${id}`);
    if (run.status === want) return run;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`waited ${seconds} s for run ${id} to become ${want}; it is ${run?.status} at epoch ${run?.epoch}: ${run?.message ?? ''}`);
}

// Waits on a state of the page (never on elapsed time alone); a failure says what it waited for
// and for how long.
export async function until(page, what, fn, arg = null, timeout = 30000) {
  const t0 = Date.now();
  try {
    await page.waitForFunction(fn, arg, { timeout });
  } catch (e) {
    throw new Error(`waited ${((Date.now() - t0) / 1000).toFixed(1)} s for ${what}: ${e.message.split('\n')[0]}`);
  }
}

