// Runs the vngov demo platform and a headless Chromium for the browser tests.
//
//   const platform = await startPlatform();   // { endpoints, dataDir, stop(), logs() }
//   const browser = await launchBrowser();    // null when Chromium is missing
//
// Nothing here reaches beyond this machine: the demo listens on 127.0.0.1
// and Chromium is started with every background-network feature off.

import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const E2E_DIR = resolve(here, '..');
export const REPO_ROOT = resolve(E2E_DIR, '..');
export const RESULTS_DIR = join(E2E_DIR, 'test-results');

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const READY_TIMEOUT_MS = 60_000; // for endpoints.json, then /readyz
const STOP_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------- Chromium

let skipNoticePrinted = false;

/**
 * The reason the browser tests cannot run here, or false when they can.
 * Pass it as node:test's `skip` option: the tests are then reported as
 * skipped, not failed. The notice is printed once.
 */
export function chromiumSkipReason() {
  if (existsSync(CHROMIUM)) return false;
  const reason = `${CHROMIUM} not installed (apt-get install chromium)`;
  if (!skipNoticePrinted) {
    skipNoticePrinted = true;
    console.log(`e2e: SKIPPED: ${reason}`);
  }
  return reason;
}

/**
 * Starts headless Debian Chromium through playwright-core (which brings no
 * browser of its own). Playwright gives each launch a fresh, temporary
 * --user-data-dir. Returns null, after printing why, when Chromium is absent.
 */
export async function launchBrowser() {
  if (chromiumSkipReason()) return null;
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

// ---------------------------------------------------------------- Failures

/** A file name made from a test's name: "Trang chủ: tìm kiếm" → "trang-chu-tim-kiem". */
export function slug(name) {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100) || 'test';
}

/**
 * Saves what the page showed when a test failed: e2e/test-results/<test>.png
 * (full page) and the page's HTML beside it. Never throws.
 */
export async function saveFailure(page, testName) {
  if (!page || page.isClosed()) return null;
  const base = join(RESULTS_DIR, slug(testName));
  try {
    await mkdir(RESULTS_DIR, { recursive: true });
    await page.screenshot({ path: `${base}.png`, fullPage: true, timeout: 10_000 });
    await writeFile(`${base}.html`, `<!-- ${page.url()} -->\n${await page.content()}`);
    console.log(`e2e: screenshot of the failed page: ${base}.png`);
    return `${base}.png`;
  } catch (err) {
    console.log(`e2e: could not save a screenshot for "${testName}": ${err.message}`);
    return null;
  }
}

// ---------------------------------------------------------------- Platform

let builtBinary = null;

/**
 * The vngov binary: $VNGOV_BIN when set, otherwise built once per test
 * process from the repository with `go build ./cmd/vngov`.
 */
export async function vngovBinary() {
  if (process.env.VNGOV_BIN) {
    const bin = resolve(process.env.VNGOV_BIN);
    if (!existsSync(bin)) throw new Error(`VNGOV_BIN=${bin}: no such file`);
    return bin;
  }
  if (!builtBinary) {
    builtBinary = (async () => {
      const dir = await mkdtemp(join(tmpdir(), 'vngov-e2e-bin-'));
      const bin = join(dir, 'vngov');
      const started = Date.now();
      await run('go', ['build', '-o', bin, './cmd/vngov'], { cwd: REPO_ROOT });
      console.log(`e2e: built ${bin} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      process.once('exit', () => {
        try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
      });
      return bin;
    })();
  }
  return builtBinary;
}

function run(cmd, args, opts) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b) => { err += b; });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal || code}):\n${err}`));
    });
  });
}

const randomBase = () => 20000 + Math.floor(Math.random() * 40000);

// The demo's servers sit at fixed offsets from --port-base (0 to 19).
const PORT_SPAN = 20;

function portFree(port) {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => res(true)));
  });
}

/** A random port base in 20000–60000 whose 20 ports are free right now. */
async function pickPortBase() {
  for (let i = 0; i < 50; i++) {
    const base = randomBase();
    let free = true;
    for (let p = base; p < base + PORT_SPAN && free; p++) free = await portFree(p);
    if (free) return base;
  }
  return randomBase();
}

/**
 * Starts `vngov demo` in a fresh temporary data directory on a random port
 * base (retrying on another one if a port is taken), waits for its
 * endpoints.json and for <catalog>/readyz to answer 200.
 * Returns { endpoints, dataDir, stop(), logs() }.
 */
export async function startPlatform({ attempts = 5 } = {}) {
  const bin = await vngovBinary();
  let lastError;
  for (let i = 0; i < attempts; i++) {
    const portBase = await pickPortBase();
    try {
      return await startOnce(bin, portBase);
    } catch (err) {
      lastError = err;
      if (!err.retryable) throw err;
      console.log(`e2e: port base ${portBase} unusable, trying another: ${err.message.split('\n')[0]}`);
    }
  }
  throw lastError;
}

async function startOnce(bin, portBase) {
  const dataDir = await mkdtemp(join(tmpdir(), 'vngov-e2e-'));
  const child = spawn(bin, ['demo', '--data-dir', dataDir, '--port-base', String(portBase)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  // Keep the demo's output for failure messages, bounded.
  let output = '';
  const keep = (b) => {
    output += b;
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = null;
  const exit = new Promise((res) => child.on('exit', (code, signal) => { exited = { code, signal }; res(exited); }));
  child.on('error', (err) => { keep(`spawn error: ${err.message}\n`); });
  // If the test process ends without stop() (a crash), take the demo along.
  const killOnExit = () => {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
    try { rmSync(dataDir, { recursive: true, force: true }); } catch { /* best effort */ }
  };
  process.once('exit', killOnExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      child.kill('SIGINT');
      let timer;
      const done = await Promise.race([
        exit,
        new Promise((res) => { timer = setTimeout(() => res(null), STOP_TIMEOUT_MS); }),
      ]);
      clearTimeout(timer); // a pending timer would keep the test process alive
      if (!done) {
        console.log(`e2e: vngov demo did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGINT; killing it`);
        child.kill('SIGKILL');
        await exit;
      }
    }
    process.removeListener('exit', killOnExit);
    await rm(dataDir, { recursive: true, force: true });
  };
  const fail = async (message, retryable = false) => {
    await stop();
    const err = new Error(`${message}\n--- vngov demo output (port base ${portBase}) ---\n${output.slice(-8000)}`);
    err.retryable = retryable;
    throw err;
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  const endpointsFile = join(dataDir, 'endpoints.json');
  const portTaken = () => /port \d+ is in use|address already in use|EADDRINUSE/i.test(output);
  let endpoints = null;
  while (!endpoints) {
    if (exited) await fail(`vngov demo exited early (${exited.signal || exited.code})`, portTaken());
    if (Date.now() > deadline) {
      // When a port is taken the demo may print so only once interrupted:
      // stop it first, then read why it did not start.
      await stop();
      await fail(`no ${endpointsFile} after ${READY_TIMEOUT_MS / 1000} s`, portTaken());
    }
    try {
      endpoints = JSON.parse(await readFile(endpointsFile, 'utf8'));
    } catch {
      await sleep(100); // not written yet, or half written
    }
  }
  if (!endpoints.catalog) await fail(`endpoints.json has no "catalog" address: ${JSON.stringify(endpoints)}`);

  const readyz = `${endpoints.catalog}/readyz`;
  let last = '';
  for (;;) {
    if (exited) await fail(`vngov demo exited (${exited.signal || exited.code}) before ${readyz} was ready`);
    if (Date.now() > deadline) await fail(`${readyz} not ready after ${READY_TIMEOUT_MS / 1000} s (last: ${last})`);
    try {
      const res = await fetch(readyz, { signal: AbortSignal.timeout(5_000) });
      last = `HTTP ${res.status}`;
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch (err) {
      last = err.cause?.code || err.message;
    }
    await sleep(200);
  }
  return { endpoints, dataDir, portBase, stop, logs: () => output };
}
