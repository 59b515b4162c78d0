// Browser journeys through online payment, in Debian's Chromium driven by
// playwright-core, against a real `vngov demo`: the demo provider's payment
// page (its own address, key "payment"), paying and declining, the
// officials' reconciliation, refund and receipt pages (/thanh-toan/ on the
// console), and the notification that lands in the mailbox.
//
// Each test opens a fresh browser context; on failure it leaves a
// screenshot and the page's HTML in e2e/test-results/.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { describeViolations, runAxe, severe } from './lib/a11y.mjs';
import { createJourney, PHONE, h1, navigating, opener, signInWithToken, text } from './lib/page.mjs';
import { chromiumSkipReason, launchBrowser, startPlatform } from './lib/platform.mjs';

const skip = chromiumSkipReason();

const AGENCY = '000.00.92.H26';
const MINH = '001089012345';

let platform;
let browser;
let ep;
let adminToken;
let seq = 0;

before(async () => {
  if (skip) return;
  platform = await startPlatform();
  ep = platform.endpoints;
  assert.ok(ep.payment, `endpoints.json has no "payment" address: ${JSON.stringify(ep)}`);
  const accounts = JSON.parse(await readFile(join(platform.dataDir, 'demo-accounts.json'), 'utf8'));
  adminToken = accounts.admin?.token;
  assert.ok(adminToken, 'demo-accounts.json has admin.token');
  browser = await launchBrowser();
}, { timeout: 600_000 });

after(async () => {
  await browser?.close();
  await platform?.stop();
});

const journey = createJourney({ browser: () => browser, skip, label: 'payment' });
const console_ = opener(() => ep.console);

/** Calls the adapter's API on the portal address with the admin token. */
async function api(method, path, body) {
  const res = await fetch(ep.portal + path, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: await res.json() };
}

/** Starts a payment for a fresh reference; returns it. */
async function start(amount) {
  seq += 1;
  const ref = `${AGENCY}-E2E${Date.now() % 100000}-${seq}`;
  const { status, json } = await api('POST', '/payment/v1/payments', {
    ref, agency: AGENCY, agency_name: 'Ủy ban nhân dân Phường Ba Đình', payer_id: MINH, payer_name: 'Nguyễn Văn Minh',
    description: 'Lệ phí đăng ký thường trú', amount, return_url: `${ep.mailbox}/mailbox/`,
  });
  assert.equal(status, 200, JSON.stringify(json));
  assert.ok(json.pay_url.startsWith(`${ep.payment}/cong-thanh-toan/pay?`), json.pay_url);
  return json;
}

/** Opens the console's page at path signed out, signs in, lands on it. */
async function signedIn(page, path, { tap = false } = {}) {
  await console_(page, path);
  assert.match(page.url(), /\/thanh-toan\/signin\?next=/);
  const res = await signInWithToken(page, adminToken, { tap });
  assert.equal(res.status(), 200);
}

const value = (page, dt) => text(page.locator(`main dl.summary dt:text-is("${dt}") + dd`).first());

let paid; // the payment paid in the first journey

journey('the provider page: merchant, amount, what for; pay, and back to the return address', async (page) => {
  const p = await start(10000);
  await page.goto(p.pay_url, { waitUntil: 'load' });
  assert.equal(await h1(page), 'Thanh toán');
  assert.match(await value(page, 'Đơn vị thụ hưởng'), /Ủy ban nhân dân Phường Ba Đình/);
  assert.equal(await value(page, 'Số tiền'), '10.000 đồng');
  assert.equal(await value(page, 'Nội dung'), 'Lệ phí đăng ký thường trú');
  await navigating(page, () => page.getByRole('button', { name: 'Thanh toán', exact: true }).click(), { url: /\/mailbox\/\?/ });
  const back = new URL(page.url());
  assert.equal(back.searchParams.get('payment_id'), p.id);
  assert.equal(back.searchParams.get('result'), 'paid');
  const { json } = await api('GET', `/payment/v1/payments/${p.id}`);
  assert.equal(json.status, 'paid', 'the signed notification reached the adapter before the browser came back');
  assert.match(json.receipt_no, /^000\.00\.92\.H26-BL\d{2}-\d{7}$/);
  paid = json;
  // The page again (the back button): it says it is paid, and pays nothing twice.
  await page.goto(p.pay_url, { waitUntil: 'load' });
  assert.match(await text(page.locator('main [role=status]')), /đã được thanh toán/);
});

journey('the bank declines: the payment fails, nothing is paid', async (page) => {
  const p = await start(20000);
  await page.goto(p.pay_url, { waitUntil: 'load' });
  await navigating(page, () => page.getByRole('button', { name: 'Giả lập ngân hàng từ chối' }).click(), { url: /\/mailbox\/\?/ });
  assert.equal(new URL(page.url()).searchParams.get('result'), 'failed');
  const { json } = await api('GET', `/payment/v1/payments/${p.id}`);
  assert.equal(json.status, 'failed');
  assert.equal(json.receipt_no, undefined);
});

journey('a pay link whose amount was changed is refused in plain Vietnamese', async (page) => {
  const p = await start(30000);
  const forged = p.pay_url.replace('amount=30000', 'amount=1000');
  const res = await page.goto(forged, { waitUntil: 'load' });
  assert.equal(res.status(), 400);
  assert.match(await text(page.locator('main')), /Liên kết thanh toán không hợp lệ hoặc đã bị sửa đổi/);
});

journey('console: reconciliation lists the payment, refund with a reason, the receipt', async (page) => {
  assert.ok(paid, 'the first journey paid a payment');
  await signedIn(page, `/thanh-toan/?agency=${AGENCY}`);
  assert.equal(await h1(page), 'Đối soát thanh toán');
  const row = page.locator('main table tbody tr', { hasText: paid.ref });
  assert.equal(await row.count(), 1);
  assert.match(await text(row), /10\.000 đồng/);
  assert.match(await text(row), /Khớp/);

  await navigating(page, () => row.getByRole('link', { name: paid.ref }).click());
  assert.equal(await h1(page), 'Giao dịch thanh toán');
  // No reason: refused, nothing changed.
  page.once('dialog', (d) => d.accept());
  let res = await navigating(page, () => page.getByRole('button', { name: 'Hoàn tiền' }).click());
  assert.equal(res.status(), 422);
  assert.match(await text(page.locator('.error-summary')), /Hãy ghi lý do hoàn tiền/);
  await page.getByLabel('Lý do hoàn tiền').fill('Thu trùng');
  page.once('dialog', (d) => d.accept());
  res = await navigating(page, () => page.getByRole('button', { name: 'Hoàn tiền' }).click());
  assert.equal(res.status(), 200);
  assert.match(await text(page.locator('main [role=status]')), /Đã hoàn tiền/);
  assert.match(await value(page, 'Trạng thái'), /Đã hoàn tiền/);

  await navigating(page, () => page.getByRole('link', { name: 'Xem và in biên lai' }).click());
  assert.equal(await h1(page), 'Biên lai thu phí, lệ phí');
  assert.equal(await value(page, 'Số biên lai'), paid.receipt_no);
  assert.equal(await value(page, 'Viết bằng chữ'), 'Mười nghìn đồng');
  assert.match(await text(page.locator('main')), /Biên lai đã bị hủy/);
});

journey('the mailbox lists the notification templates', async (page) => {
  await page.goto(`${ep.mailbox}/mailbox/templates`, { waitUntil: 'load' });
  assert.equal(await h1(page), 'Mẫu thông báo');
  assert.match(await text(page.locator('main')), /\(\(so_bien_lai\)\)/);
});

/** Opens each page of the journey, calling check on it. */
async function visitAll(page, step, check, { tap = false } = {}) {
  const p = await start(40000);
  await step('provider: pay page', async () => {
    await page.goto(p.pay_url, { waitUntil: 'load' });
    await check('pay page');
  });
  await step('provider: paid page', async () => {
    await navigating(page, () => page.getByRole('button', { name: 'Thanh toán', exact: true }).click(), { url: /\/mailbox\/\?/ });
    await page.goto(p.pay_url, { waitUntil: 'load' });
    await check('paid page');
  });
  await step('provider: home', async () => {
    await page.goto(`${ep.payment}/cong-thanh-toan/`, { waitUntil: 'load' });
    await check('provider home');
  });
  await step('/thanh-toan/signin', async () => {
    await console_(page, '/thanh-toan/signin');
    await check('sign-in');
    await signInWithToken(page, adminToken, { tap });
  });
  await step('/thanh-toan/', async () => {
    await console_(page, `/thanh-toan/?agency=${AGENCY}`);
    await check('reconciliation');
  });
  await step('/thanh-toan/giao-dich/{id}', async () => {
    await console_(page, `/thanh-toan/giao-dich/${p.id}`);
    await check('payment');
  });
  await step('/thanh-toan/bien-lai/{id}', async () => {
    await console_(page, `/thanh-toan/bien-lai/${p.id}`);
    await check('receipt');
  });
  await step('/mailbox/templates', async () => {
    await page.goto(`${ep.mailbox}/mailbox/templates`, { waitUntil: 'load' });
    await check('templates');
  });
}

journey('accessibility: no serious or critical axe-core violations (WCAG 2 A/AA)', async (page, step) => {
  const check = async (where) => {
    const found = severe(await runAxe(page, ['wcag2a', 'wcag2aa']));
    assert.equal(found.length, 0, `axe-core found serious/critical violations:\n${describeViolations(where, found)}`);
  };
  await visitAll(page, step, check);
});

journey('phone width (360 px): no sideways scrolling', async (page, step) => {
  const fits = async (where) => {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(w <= PHONE.width, `${where}: the document is ${w} px wide on a ${PHONE.width} px screen`);
  };
  await visitAll(page, step, fits, { tap: true });
}, { viewport: PHONE, phone: true });
