// Browser journeys through the data exchange pages (/exchange/ on the hub),
// in Debian's Chromium driven by playwright-core, against a real `vngov demo`:
// the public overview and services, then the administrators' message log
// behind its sign-in, after a real call has crossed two gateways.
//
// Each test opens a fresh browser context (no cookies, no history); on
// failure it leaves a screenshot and the page's HTML in e2e/test-results/.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { describeViolations, runAxe, severe } from './lib/a11y.mjs';
import { createJourney, PHONE, h1, h2s, htmlLang, navigating, opener, signInWithToken, text } from './lib/page.mjs';
import { chromiumSkipReason, launchBrowser, startPlatform } from './lib/platform.mjs';

const skip = chromiumSkipReason();

let platform;
let browser;
let base;
let adminToken;

before(async () => {
  if (skip) return;
  platform = await startPlatform();
  base = platform.endpoints.hub;
  assert.ok(base, `endpoints.json has no "hub" address: ${JSON.stringify(platform.endpoints)}`);
  const accounts = JSON.parse(await readFile(join(platform.dataDir, 'demo-accounts.json'), 'utf8'));
  adminToken = accounts.admin?.token;
  assert.ok(adminToken, 'demo-accounts.json has admin.token');
  browser = await launchBrowser();
}, { timeout: 600_000 }); // a cold `go build` can take minutes

after(async () => {
  await browser?.close();
  await platform?.stop();
});

const journey = createJourney({ browser: () => browser, skip, label: 'exchange' });
const open = opener(() => base);

/** Runs the demo's "exchange-call" example from Node; returns its X-Road-Id. */
async function exchangeCall() {
  const ex = platform.endpoints.examples?.['exchange-call'];
  assert.ok(ex, 'endpoints.json has the exchange-call example');
  const res = await fetch(ex.url, { method: ex.method, headers: ex.headers, signal: AbortSignal.timeout(15_000) });
  const body = await res.text();
  assert.equal(res.status, 200, `exchange-call: ${body}`);
  const id = res.headers.get('x-road-id');
  assert.ok(id, 'the answer carries X-Road-Id');
  assert.ok(res.headers.get('x-road-request-hash'), 'the answer carries X-Road-Request-Hash');
  return id;
}

/** Signs in on the sign-in page the browser is on; lands on the log. */
function signIn(page, token = adminToken) {
  return signInWithToken(page, token);
}

const PUBLIC_PAGES = ['/exchange/', '/exchange/services', '/exchange/signin'];

// ---------------------------------------------------------------- journeys

journey('overview: the global configuration, its members, gateways and groups', async (page) => {
  await open(page, '/exchange/');
  assert.equal(await htmlLang(page), 'vi');
  assert.equal(await h1(page), 'Trục tích hợp, chia sẻ dữ liệu');
  assert.match(await page.title(), /^Trục tích hợp, chia sẻ dữ liệu – /);
  assert.deepEqual(await h2s(page), ['Cấu hình toàn cục', 'Thành viên và hệ thống thông tin', 'Cổng kết nối', 'Nhóm toàn cục']);

  const conf = page.locator('main dl.summary');
  assert.match(await text(conf), new RegExp(`Mã vùng trao đổi ${platform.endpoints.instance}`));
  assert.match(await text(conf), /Hết hiệu lực lúc \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d Đang có hiệu lực/);

  // Members and how each of their systems is connected.
  const members = page.getByRole('region', { name: 'Thành viên và hệ thống thông tin' }).locator('table');
  for (const m of ['Văn phòng Chính phủ', 'Bộ Công an', 'Ủy ban nhân dân Thành phố Hà Nội']) {
    await members.locator('th', { hasText: m }).waitFor();
  }
  const row = (name) => members.locator('tr').filter({ hasText: name });
  assert.match(await text(row('Cổng Dịch vụ công quốc gia')), /Qua trục trung tâm/);
  assert.match(await text(row('Cơ sở dữ liệu quốc gia về dân cư')), /Trực tiếp qua cổng GW-BCA/);

  // Gateways: the fingerprint is shortened, the full one a click away.
  const gateways = page.getByRole('region', { name: 'Cổng kết nối' }).locator('table');
  assert.equal(await gateways.locator('tbody tr').count(), 5);
  const bca = gateways.locator('tr').filter({ hasText: 'GW-BCA' });
  assert.match(await text(bca.locator('td').nth(2)), /^[0-9a-f]{8}…[0-9a-f]{8}/);
  const full = bca.locator('code.fingerprint');
  assert.equal(await full.isVisible(), false);
  await bca.getByText('Xem đầy đủ').click();
  assert.match(await text(full), /^[0-9a-f]{64}$/);

  await page.getByRole('region', { name: 'Nhóm toàn cục' }).getByText('GOV-ONESTOP').waitFor();

  // The main navigation leads on.
  const nav = page.getByRole('navigation', { name: 'Điều hướng chính' });
  assert.equal(await nav.getByRole('link', { name: 'Tổng quan' }).getAttribute('aria-current'), 'page');
  await navigating(page, () => nav.getByRole('link', { name: 'Dịch vụ và quyền truy cập' }).click());
  assert.match(page.url(), /\/exchange\/services$/);
});

journey('services: xacminh-cccd, its personal-data tag and who may call it', async (page) => {
  await open(page, '/exchange/services');
  assert.equal(await htmlLang(page), 'vi');
  assert.equal(await h1(page), 'Dịch vụ và quyền truy cập');
  const crumbs = page.getByRole('navigation', { name: 'Vị trí trang' });
  assert.deepEqual(await crumbs.locator('li').allInnerTexts(), ['Trục tích hợp, chia sẻ dữ liệu', 'Dịch vụ và quyền truy cập']);
  const gatewayHeadings = await h2s(page);
  for (const h of ['Cổng NDXP – Văn phòng Chính phủ', 'Cổng GW-BCA – Bộ Công an', 'Cổng GW-BTC – Bộ Tài chính', 'Cổng GW-BNNMT – Bộ Nông nghiệp và Môi trường']) {
    assert.ok(gatewayHeadings.includes(h), `${h} not among ${gatewayHeadings.join(' | ')}`);
  }

  const heading = page.getByRole('heading', { level: 3, name: /^xacminh-cccd/ });
  await heading.waitFor();
  // xacminh-cccd and every registry service carry personal data; the
  // internal statistics service does not.
  const tagAfter = (id) => page.locator(`h3[id="${id}"] + p .tag--yellow`);
  const xid = await heading.getAttribute('id');
  assert.equal(await tagAfter(xid).count(), 1, 'xacminh-cccd carries personal data');
  const stats = page.getByRole('heading', { level: 3, name: /^thong-ke-noi-bo/ });
  assert.equal(await tagAfter(await stats.getAttribute('id')).count(), 0, 'the internal statistics carry none');
  const rights = page.getByRole('region', { name: 'Quyền truy cập xacminh-cccd' });
  assert.match(await text(rights.locator('tbody tr').first()), /Nhóm GOV-ONESTOP GET \/personal-ids\/\{id\} system:demo \d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d/);
  assert.doesNotMatch(await text(page.locator('main')), /\/v1\/cccd/, 'only the backend host is shown, not its URL');
});

journey('message log: sign in with the admin token and see a call that crossed two gateways', async (page, _step, context) => {
  const messageId = await exchangeCall();

  // Without a session the log leads to the sign-in form.
  await open(page, '/exchange/traffic');
  assert.match(page.url(), /\/exchange\/signin\?next=%2Fexchange%2Ftraffic$/);
  assert.equal(await h1(page), 'Đăng nhập quản trị');
  assert.equal(await page.getByLabel('Mã quản trị').getAttribute('type'), 'password');

  // A wrong token: 422, the error summary takes the focus and leads to the field.
  let res = await signIn(page, 'khong-phai-ma-quan-tri');
  assert.equal(res.status(), 422);
  const summary = page.getByRole('alert');
  assert.equal(await text(summary.getByRole('heading')), 'Thông tin bạn nhập có lỗi');
  assert.match(await text(summary), /Mã quản trị không đúng/);
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('error-summary')), true);
  assert.equal(await page.getByLabel('Mã quản trị').inputValue(), '', 'the token typed is not sent back');
  assert.equal((await context.cookies()).some((c) => c.name === 'vngov_exchange_session'), false);

  res = await signIn(page);
  assert.equal(res.status(), 200);
  assert.match(page.url(), /\/exchange\/traffic$/);
  assert.equal(await h1(page), 'Nhật ký trao đổi dữ liệu');
  const cookie = (await context.cookies()).find((c) => c.name === 'vngov_exchange_session');
  assert.ok(cookie, 'a session cookie is set');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/exchange/');

  // The call is in the log twice: at Hà Nội's gateway and at the ministry's.
  const records = page.getByRole('region', { name: 'Các bản ghi gần đây' }).locator('tbody tr');
  const call = records.filter({ hasText: messageId });
  assert.equal(await call.count(), 2, `the call ${messageId} is logged on both sides`);
  const sides = (await call.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
  assert.ok(sides.some((t) => /LGSP-HN bên gọi/.test(t)) && sides.some((t) => /GW-BCA bên cung cấp/.test(t)), sides.join('\n'));
  assert.match(sides[0], /\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d/);
  assert.match(sides[0], /xacminh-cccd/);
  assert.match(sides[0], /\b200\b/);
  const counts = page.getByRole('region', { name: 'Số lượt gọi theo dịch vụ và hệ thống' });
  assert.match(await text(counts), /xacminh-cccd/);
  await page.getByRole('region', { name: 'Niêm phong nhật ký theo cổng' }).getByText('GW-BCA').waitFor();

  // Filtering by the ministry's gateway keeps only its side.
  await page.getByLabel('Cổng kết nối').selectOption('GOV/000.00.00.G91/GW-BCA');
  await navigating(page, () => page.getByRole('button', { name: 'Lọc', exact: true }).click());
  assert.match(page.url(), /[?&]gateway=GOV%2F000\.00\.00\.G91%2FGW-BCA/);
  assert.equal(await call.count(), 1);
  assert.match(await text(call), /bên cung cấp/);

  // Signing out ends the session.
  await navigating(page, () => page.getByRole('button', { name: 'Đăng xuất' }).click());
  assert.match(page.url(), /\/exchange\/$/);
  assert.equal((await context.cookies()).some((c) => c.name === 'vngov_exchange_session'), false);
  await open(page, '/exchange/traffic');
  assert.match(page.url(), /\/exchange\/signin/);
});

journey('cross-site: a sign-in form posted from another site is refused', async (page, _step, context) => {
  // A page of another origin with a form aimed at the hub's sign-in.
  await page.setContent(`<!doctype html><html lang="en"><body>
    <form method="post" action="${base}/exchange/signin">
      <input name="token" value="${adminToken}"><button>Go</button>
    </form></body></html>`);
  const res = await navigating(page, () => page.getByRole('button', { name: 'Go' }).click());
  assert.equal(res.status(), 403);
  assert.match(await text(page.locator('main')), /được gửi từ một trang web khác/);
  assert.equal((await context.cookies()).some((c) => c.name === 'vngov_exchange_session'), false, 'no session was opened');

  // Node: the same with Origin and Sec-Fetch-Site saying so.
  const forged = await fetch(`${base}/exchange/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
    body: new URLSearchParams({ token: adminToken }),
  });
  assert.equal(forged.status, 403);
  assert.equal(forged.headers.get('set-cookie'), null);
});

journey('accessibility: no serious or critical axe-core violations (WCAG 2 A/AA)', async (page, step) => {
  const reports = [];
  const check = async (label) => {
    const found = severe(await runAxe(page, ['wcag2a', 'wcag2aa']));
    if (found.length) {
      const report = describeViolations(label, found);
      reports.push(report);
      console.log(`e2e: axe-core violations on ${report}`);
    }
    assert.equal(found.length, 0, `axe-core found serious/critical violations:\n${describeViolations(label, found)}`);
  };
  for (const path of [...PUBLIC_PAGES, '/exchange/?lang=en']) {
    await step(path, async () => {
      await open(page, path);
      await check(path);
    });
  }
  await step('/exchange/signin with a wrong token', async () => {
    await open(page, '/exchange/signin?lang=vi');
    assert.equal((await signIn(page, 'sai')).status(), 422);
    await check('/exchange/signin (422)');
  });
  await step('/exchange/traffic', async () => {
    await exchangeCall();
    await open(page, '/exchange/traffic');
    await signIn(page);
    assert.match(page.url(), /\/exchange\/traffic$/);
    await check('/exchange/traffic');
  });
  assert.deepEqual(reports, [], 'pages with accessibility violations');
});

journey('phone width (360 px): no sideways scrolling, and the sign-in works by touch', async (page, step) => {
  const fits = async (path) => {
    const layout = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const culprits = [];
      const describe = (el) => {
        const id = el.id ? `#${el.id}` : '';
        const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
        return `<${el.tagName.toLowerCase()}${id}${cls}>`;
      };
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect();
        if (r.right <= width + 0.5 || el.closest('.skip-link')) continue;
        const wrapper = el.closest('.table-scroll');
        const style = getComputedStyle(el);
        if (wrapper) {
          const escapes = ['absolute', 'fixed'].includes(style.position) && getComputedStyle(wrapper).position === 'static';
          if (!escapes) continue;
          culprits.push(`${describe(el)} (position: ${style.position}) inside ${describe(wrapper)}`);
        } else if (r.width > 0 || ['absolute', 'fixed'].includes(style.position)) {
          culprits.push(`${describe(el)} right edge at ${Math.round(r.right)} px`);
        }
      }
      return { scrollWidth: document.documentElement.scrollWidth, culprits: culprits.slice(0, 10) };
    });
    assert.ok(layout.scrollWidth <= PHONE.width,
      `${path}: the document is ${layout.scrollWidth} px wide on a ${PHONE.width} px screen; sticking out:\n  ${layout.culprits.join('\n  ')}`);
  };
  for (const path of PUBLIC_PAGES) {
    await step(path, async () => {
      await open(page, path);
      await fits(path);
    });
  }
  await step('sign-in and the log', async () => {
    await exchangeCall();
    await open(page, '/exchange/traffic');
    const field = page.getByLabel('Mã quản trị');
    const button = page.getByRole('button', { name: 'Đăng nhập' });
    for (const [what, el] of [['token field', field], ['sign-in button', button]]) {
      const r = await el.boundingBox();
      assert.ok(r && r.x >= 0 && r.x + r.width <= PHONE.width, `the ${what} fits the screen`);
      assert.ok(r.height >= 24, `the ${what} is at least 24 px high (${r.height})`);
    }
    await field.tap();
    await field.fill(adminToken);
    await navigating(page, () => button.tap());
    assert.match(page.url(), /\/exchange\/traffic$/);
    await fits('/exchange/traffic');
  });
}, { viewport: PHONE, phone: true });
