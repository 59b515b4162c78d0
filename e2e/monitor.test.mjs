// Browser journeys through the monitoring pages, in Debian's Chromium
// driven by playwright-core, against a real `vngov demo`: the operations
// dashboard on the console (/dieu-hanh/, admin sign-in), the public
// Decision 766 scoreboard on the portal (/chi-so-766/), and a live change:
// a dossier received and handled through the dossier API moves the
// dashboard's figures without a reload (server-sent events) and the public
// index. Axe-core and the phone width on every page.
//
// Each test opens a fresh browser context; on failure it leaves a
// screenshot and the page's HTML in e2e/test-results/.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { describeViolations, runAxe, severe } from './lib/a11y.mjs';
import { createJourney, PHONE, h1, opener, signInWithToken, text } from './lib/page.mjs';
import { chromiumSkipReason, launchBrowser, startPlatform } from './lib/platform.mjs';

const skip = chromiumSkipReason();

const HANOI = '000.00.00.H26';
const WARD = '000.00.92.H26'; // the demo ward, Phường Ba Đình
const MINH = '001089012345';

let platform;
let browser;
let consoleURL;
let portalURL;
let adminToken;

before(async () => {
  if (skip) return;
  platform = await startPlatform();
  consoleURL = platform.endpoints.console;
  portalURL = platform.endpoints.portal;
  assert.ok(consoleURL && portalURL, `endpoints.json has "console" and "portal": ${JSON.stringify(platform.endpoints)}`);
  const accounts = JSON.parse(await readFile(join(platform.dataDir, 'demo-accounts.json'), 'utf8'));
  adminToken = accounts.admin?.token;
  assert.ok(adminToken, 'demo-accounts.json has admin.token');
  browser = await launchBrowser();
}, { timeout: 600_000 });

after(async () => {
  await browser?.close();
  await platform?.stop();
});

const journey = createJourney({ browser: () => browser, skip, label: 'monitor' });
const onConsole = opener(() => consoleURL);
const onPortal = opener(() => portalURL);

/** Opens a dashboard path signed out, signs in on the form it leads to, and lands on it. */
async function signedIn(page, path, { tap = false } = {}) {
  await onConsole(page, path);
  assert.match(page.url(), /\/dieu-hanh\/signin\?next=/, 'a signed-out official is sent to the sign-in');
  const res = await signInWithToken(page, adminToken, { tap });
  assert.equal(res.status(), 200);
  const u = new URL(page.url());
  assert.equal(u.pathname + u.search, path);
}

/** Calls the dossier API as the desk (the admin token is an official with every role). */
async function api(method, path, body) {
  const res = await fetch(consoleURL + path, {
    method,
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json', Origin: consoleURL },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Receives a birth registration in person at the demo ward; returns the dossier. */
async function receive(child) {
  return api('POST', '/dossier/v1/dossiers', {
    procedure: '1.001193', agency: WARD, channel: 1,
    form: {
      applicant_id: MINH, applicant_full_name: 'Nguyễn Văn Minh', applicant_birth_date: '1989-05-12',
      applicant_permanent_commune: '00004', applicant_permanent_street: 'Số 8 phố Quán Thánh', applicant_phone: '0912345678',
      applicant_relation: 'father', child_full_name: child, child_birth_date: '2026-01-20', child_sex: 'male',
      child_ethnicity: '01', child_nationality: 'VN', birth_place_commune: '00004', birth_place_detail: 'Bệnh viện Phụ sản Hà Nội',
      parents_married: true, copies_requested: 1,
    },
  });
}

/** Takes a dossier through the given actions, each at its current version. */
async function act(code, ...actions) {
  let d;
  for (const action of actions) {
    d = await api('GET', `/dossier/v1/dossiers/${encodeURIComponent(code)}`);
    d = await api('POST', `/dossier/v1/dossiers/${encodeURIComponent(code)}/actions`, { action, version: d.version, note: 'Kiểm thử giám sát' });
  }
  return d;
}

/** Hà Nội's index this month, from the public API. */
async function hanoiIndex() {
  const res = await fetch(`${portalURL}/monitor/v1/index766?agency=${HANOI}`);
  assert.equal(res.status, 200);
  return res.json();
}

const figure = (page, name) => text(page.locator(`[data-figure="${name}"]`).first());

async function until(what, fn, timeout = 15_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`${what}: not within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// ---------------------------------------------------------------- journeys

journey('public scoreboard on the portal: the 34 provinces, Hà Nội scored, detail page', async (page) => {
  await onPortal(page, '/chi-so-766/');
  assert.equal(await h1(page), 'Chỉ số phục vụ người dân, doanh nghiệp');
  const rows = page.locator('table.mon-board tbody tr');
  assert.equal(await rows.count(), 34, 'every province is listed');
  const hanoi = rows.filter({ hasText: 'Thành phố Hà Nội' });
  assert.equal(await hanoi.count(), 1);
  assert.match(await text(hanoi), /\d/, 'Hà Nội has a score');
  // The tile grid names every province for screen readers.
  assert.equal(await page.locator('svg.tiles a[aria-label]').count(), 34);
  await hanoi.getByRole('link', { name: 'Thành phố Hà Nội' }).click();
  await page.waitForURL(/\/chi-so-766\/000\.00\.00\.H26/);
  assert.equal(await h1(page), 'Thành phố Hà Nội');
  assert.match(await figure(page, 'index'), /^\d+(,\d+)?$/);
  assert.ok(await page.getByRole('cell', { name: /Hồ sơ giải quyết đúng hạn/ }).count() + await page.getByRole('rowheader', { name: /Hồ sơ giải quyết đúng hạn/ }).count() > 0);
  // English.
  await onPortal(page, '/chi-so-766/?lang=en');
  assert.equal(await h1(page), 'Service index for citizens and businesses');
});

journey('dashboard: sign-in, headline figures, charts with tables, tiles, overdue list, downloads', async (page) => {
  await signedIn(page, `/dieu-hanh/?agency=${HANOI}`);
  assert.equal(await h1(page), 'Bảng điều hành dịch vụ công');
  assert.match(await text(page.locator('#headline')), /^Thành phố Hà Nội — Tháng \d+\/\d{4}$/);
  assert.match(await figure(page, 'index'), /^\d+(,\d+)?$/);
  for (const id of ['series', 'agencies']) {
    const svg = page.locator(`svg[aria-labelledby="${id}-t ${id}-d"]`);
    assert.equal(await svg.count(), 1, `the ${id} chart`);
    assert.equal(await svg.getAttribute('role'), 'img');
  }
  assert.equal(await page.locator('svg.tiles a[aria-label]').count(), 34);
  const csv = await page.getByRole('link', { name: 'Tải bảng điểm (CSV)' }).getAttribute('href');
  const res = await page.request.get(consoleURL + csv);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-type'], /^text\/csv/);
  assert.match(await res.text(), /Tổng điểm/);
});

journey('live: a dossier handled at the desk moves the dashboard without a reload, and the public index', async (page) => {
  await signedIn(page, `/dieu-hanh/?agency=${HANOI}`);
  // The page is connected to the event stream.
  await until('the event stream', async () => (await page.locator('#mon-body').getAttribute('data-live-connected')) === 'true');
  const before = Number((await figure(page, 'received')).replace(/\./g, ''));
  const indexBefore = await hanoiIndex();

  const d = await receive('Nguyễn Minh Khôi');
  assert.equal(d.status, 1);
  // No reload: the figures are fetched again when the monitor has applied the change.
  await until('the received figure', async () => Number((await figure(page, 'received')).replace(/\./g, '')) === before + 1);
  assert.match(await text(page.locator('[data-live-status]')), /Số liệu vừa được cập nhật lúc/);

  // Handled to the end: the public index counts it as ended.
  await act(d.code, 'accept', 'forward', 'approve', 'deliver');
  const indexAfter = await until('the public index', async () => {
    const ix = await hanoiIndex();
    return ix.facts.ended > indexBefore.facts.ended ? ix : null;
  });
  assert.equal(indexAfter.facts.received, indexBefore.facts.received + 1);
  assert.equal(indexAfter.facts.ended_on_time, indexBefore.facts.ended_on_time + 1);
});

journey('overdue list links to the desk\'s dossier pages', async (page) => {
  await signedIn(page, `/dieu-hanh/qua-han?agency=${HANOI}`);
  assert.equal(await h1(page), 'Hồ sơ quá hạn');
  for (const link of await page.locator('tbody a').all()) {
    assert.match(await link.getAttribute('href'), /^\/motcua\/dossiers\//);
  }
});

// The pages, each signed in where needed.
const pages = [
  ['portal', '/chi-so-766/'],
  ['portal', `/chi-so-766/${HANOI}`],
  ['console', `/dieu-hanh/?agency=${HANOI}`],
  ['console', '/dieu-hanh/'],
  ['console', `/dieu-hanh/qua-han?agency=${HANOI}`],
];

async function visitAll(page, step, check, { tap = false } = {}) {
  await step('/dieu-hanh/signin', async () => {
    await onConsole(page, '/dieu-hanh/signin');
    await check('/dieu-hanh/signin');
    await signInWithToken(page, adminToken, { tap });
  });
  for (const [site, path] of pages) {
    await step(path, async () => {
      await (site === 'portal' ? onPortal : onConsole)(page, path);
      await check(`${site} ${path}`);
    });
  }
}

journey('accessibility: no serious or critical axe-core violations (WCAG 2 A/AA)', async (page, step) => {
  const reports = [];
  const check = async (where) => {
    const found = severe(await runAxe(page, ['wcag2a', 'wcag2aa']));
    if (found.length) {
      const report = describeViolations(where, found);
      reports.push(report);
      console.log(`e2e: axe-core violations on ${report}`);
    }
  };
  await visitAll(page, step, check);
  assert.deepEqual(reports, [], 'pages with accessibility violations');
});

journey('phone width (360 px): no sideways scrolling', async (page, step) => {
  const fits = async (where) => {
    const layout = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const culprits = [];
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.right <= width + 0.5 || el.closest('.skip-link') || el.closest('.table-scroll')) continue;
        if (r.width > 0) culprits.push(`<${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}> right edge at ${Math.round(r.right)} px`);
      }
      return { scrollWidth: document.documentElement.scrollWidth, culprits: culprits.slice(0, 10) };
    });
    assert.ok(layout.scrollWidth <= PHONE.width,
      `${where}: the document is ${layout.scrollWidth} px wide on a ${PHONE.width} px screen; sticking out:\n  ${layout.culprits.join('\n  ')}`);
  };
  await visitAll(page, step, fits, { tap: true });
}, { viewport: PHONE, phone: true });
