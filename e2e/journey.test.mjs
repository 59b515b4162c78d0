// The citizen's journey end to end, in Debian's Chromium driven by
// playwright-core, against a real `vngov demo` (issue 7's acceptance test):
//
//   1. Nguyễn Văn Minh signs in on the portal (identity provider, level 2:
//      password, then the TOTP code computed here from demo-accounts.json)
//      and keeps a scanned birth certificate in his data wallet;
//   2. he files a birth registration: consent, the e-form prefilled from the
//      population registry over the exchange, the birth certificate chosen
//      from his wallet (not uploaded again), the fee paid online on the
//      payment provider's page, whose signed notification moves the dossier
//      to the desk;
//   3. an official of the ward takes it through the console (accept,
//      forward, approve);
//   4. the signed result arrives in his wallet and the dossier is returned
//      (status 10) without anyone touching it;
//   5. the result's verification page (the QR target) says it is genuine,
//      and the downloaded file, checked on the verification form, is
//      unaltered;
//   6. "Ai đã xem dữ liệu của tôi" lists the reads made for that dossier;
//   7. he rates the service.
//
// axe-core (no serious or critical violation) runs on the wallet, the data
// tracker, the dossier and the verification pages, and the same pages are
// checked at 360 px. On failure each step leaves a screenshot and the HTML
// in e2e/test-results/.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { describeViolations, runAxe, severe } from './lib/a11y.mjs';
import { createJourney, DESKTOP, PHONE, h1, navigating, opener, signInWithToken, text } from './lib/page.mjs';
import { chromiumSkipReason, launchBrowser, startPlatform } from './lib/platform.mjs';
import { totp } from './lib/totp.mjs';

const skip = chromiumSkipReason();

const PROCEDURE = '1.001193'; // Đăng ký khai sinh: 8,000 đồng for a copy, paid online here


// The scanned birth certificate (giấy chứng sinh) Minh keeps in his wallet.
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% giay chung sinh\ntrailer << /Root 1 0 R >>\n%%EOF\n');

// ---------------------------------------------------------------- platform and browser

let platform;
let browser;
let ep;
let minh;
let adminToken;

before(async () => {
  if (skip) return;
  platform = await startPlatform();
  ep = platform.endpoints;
  for (const key of ['portal', 'console', 'identity', 'payment']) assert.ok(ep[key], `endpoints.json has no "${key}": ${JSON.stringify(ep)}`);
  const accounts = JSON.parse(await readFile(join(platform.dataDir, 'demo-accounts.json'), 'utf8'));
  minh = (accounts.identity?.citizens ?? []).find((c) => c.personal_id === '001089012345');
  assert.ok(minh?.password && minh?.totp_secret, 'demo-accounts.json has the level-2 demo citizen with his TOTP secret');
  adminToken = accounts.admin?.token;
  assert.ok(adminToken, 'demo-accounts.json has admin.token');
  browser = await launchBrowser();
}, { timeout: 600_000 });

after(async () => {
  await browser?.close();
  await platform?.stop();
});

const journey = createJourney({ browser: () => browser, skip, label: 'journey', timeout: 300_000 });
const portal = opener(() => ep.portal);
const consolePage = opener(() => ep.console);

async function accessible(page, where) {
  const found = severe(await runAxe(page, ['wcag2a', 'wcag2aa']));
  assert.equal(found.length, 0, `axe-core found serious/critical violations:\n${describeViolations(where, found)}`);
}

async function fits(page, where) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= PHONE.width, `${where}: the page is ${w} px wide on a ${PHONE.width} px screen`);
}

/** axe-core at desktop width, then the layout at 360 px, then back. */
async function checkPage(page, where) {
  await accessible(page, where);
  await page.setViewportSize({ width: PHONE.width, height: PHONE.height });
  await fits(page, where);
  await page.setViewportSize(DESKTOP);
}

/**
 * Answers the identity provider's pages until the browser is back on the
 * portal: the password form, the TOTP form (a fresh code, not one about to
 * expire), the consent page.
 */
async function throughIdentityProvider(page) {
  for (let i = 0; i < 6 && page.url().startsWith(ep.identity); i++) {
    const u = new URL(page.url());
    const back = { url: (x) => x.href.startsWith(ep.portal) || x.href.startsWith(ep.identity) };
    if (await page.getByLabel('Mật khẩu', { exact: true }).count()) {
      await page.getByLabel('Số định danh cá nhân hoặc tên đăng nhập').fill(minh.personal_id);
      await page.getByLabel('Mật khẩu', { exact: true }).fill(minh.password);
      await navigating(page, () => page.getByRole('button', { name: 'Đăng nhập', exact: true }).click(), back);
    } else if (await page.getByLabel('Mã xác thực').count()) {
      if (Date.now() % 30_000 > 28_000) await page.waitForTimeout(30_000 - (Date.now() % 30_000) + 200);
      await page.getByLabel('Mã xác thực').fill(totp(minh.totp_secret));
      await navigating(page, () => page.getByRole('button', { name: 'Xác nhận' }).click(), back);
    } else if (u.pathname.startsWith('/login/consent')) {
      await navigating(page, () => page.getByRole('button', { name: 'Đồng ý', exact: true }).click(), back);
    } else {
      assert.fail(`an identity provider page the journey does not know: ${page.url()}\n${await text(page.locator('main'))}`);
    }
  }
  assert.ok(page.url().startsWith(ep.portal), `back on the portal, not at ${page.url()}`);
}

/** Reloads path until the page's main text matches re (events travel through the bus). */
async function eventually(page, path, re, what, limitMs = 30_000) {
  const until = Date.now() + limitMs;
  for (;;) {
    await portal(page, path);
    const main = await text(page.locator('main'));
    if (re.test(main)) return main;
    if (Date.now() > until) assert.fail(`${what}: ${path} does not show ${re} after ${limitMs / 1000} s:\n${main}`);
    await page.waitForTimeout(500);
  }
}

// ---------------------------------------------------------------- the journey

journey('a citizen files online with prefill and a wallet document, pays, an official approves, the signed result reaches the wallet and verifies, the tracker lists the reads', async (page, step, context) => {
  let code;
  let resultURI;

  await step('sign in at level 2 and keep the birth certificate in the wallet', async () => {
    await portal(page, '/kho-du-lieu/');
    if (page.url().startsWith(ep.identity)) await throughIdentityProvider(page);
    assert.equal(new URL(page.url()).pathname, '/kho-du-lieu/');
    await page.locator('input#file').setInputFiles({ name: 'giay-chung-sinh.pdf', mimeType: 'application/pdf', buffer: PDF });
    await navigating(page, () => page.getByRole('button', { name: 'Lưu vào kho dữ liệu' }).click());
    assert.match(await text(page.locator('main')), /giay-chung-sinh\.pdf/);
    await checkPage(page, 'wallet');
  });

  await step('consent, then the e-form prefilled from the population registry', async () => {
    await portal(page, `/thu-tuc/${PROCEDURE}/nop`);
    if (page.url().startsWith(ep.identity)) await throughIdentityProvider(page); // step-up to level 2 when needed
    assert.equal(await h1(page), 'Đồng ý cung cấp thông tin');
    assert.match(await text(page.locator('main')), /Cơ sở dữ liệu quốc gia về dân cư, do Bộ Công an quản lý/);
    await navigating(page, () => page.getByRole('button', { name: 'Đồng ý và điền sẵn tờ khai' }).click());
    assert.equal(await page.locator('[name="form.applicant_full_name"]').inputValue(), 'Nguyễn Văn Minh');
    assert.match(await text(page.locator('label[for="form.applicant_full_name"]')), /Lấy từ CSDL quốc gia về dân cư/);
    await page.locator('[name="form.applicant_relation"]').selectOption('father');
    await page.locator('[name="form.child_full_name"]').fill('Nguyễn Minh Khang');
    await page.locator('[name="form.child_birth_date"]').fill('2026-11-02');
    await page.locator('input[name="form.child_sex"][value="male"]').check();
    await page.locator('[name="form.child_ethnicity"]').fill('01');
    await page.locator('[name="form.birth_place_commune"]').fill('00004');
    await page.locator('[name="form.birth_place_detail"]').fill('Bệnh viện Phụ sản Hà Nội');
    await navigating(page, () => page.getByRole('button', { name: 'Tiếp tục' }).click());
  });

  await step('documents: the birth certificate chosen from the wallet', async () => {
    assert.match(new URL(page.url()).pathname, /\/nop\/giay-to$/);
    const choice = page.locator('select[name="wallet.giay-chung-sinh"]');
    assert.equal(await choice.count(), 1, 'the wallet is offered for the birth certificate');
    const value = await choice.locator('option', { hasText: 'giay-chung-sinh' }).first().getAttribute('value');
    assert.ok(value, 'the kept birth certificate is one of the choices');
    await choice.selectOption(value);
    await navigating(page, () => page.getByRole('button', { name: 'Tiếp tục' }).click());
  });

  await step('review, pay online, submit', async () => {
    assert.match(new URL(page.url()).pathname, /\/nop\/xem-lai$/);
    assert.match(await text(page.locator('main')), /Nguyễn Minh Khang/);
    await page.locator('input#pay').check();
    await page.getByLabel(/Tôi cam đoan/).check();
    await navigating(page, () => page.getByRole('button', { name: 'Nộp hồ sơ' }).click(), { url: (u) => u.href.startsWith(ep.payment) || u.href.startsWith(ep.portal) });
    assert.ok(page.url().startsWith(ep.payment), `sent to the payment provider, not ${page.url()}:\n${await text(page.locator('main'))}`);
    assert.match(await text(page.locator('main')), /8\.000/);
    await navigating(page, () => page.getByRole('button', { name: 'Thanh toán', exact: true }).click(), { url: (u) => u.href.startsWith(ep.portal) });
    const m = new URL(page.url()).pathname.match(/^\/ho-so\/([^/]+)\//);
    assert.ok(m, `back on the portal at a dossier's page, not ${page.url()}`);
    code = decodeURIComponent(m[1]);
    assert.match(code, /^000\.00\.92\.H26-\d{6}-\d{4}$/);
  });

  await step('the signed notification marks the fee paid; the dossier reaches the desk', async () => {
    const main = await eventually(page, `/ho-so/${code}`, /Mới đăng ký/, 'status 1 after the payment');
    assert.match(main, /Đã nộp 8000 đồng phí, lệ phí trực tuyến/);
    await checkPage(page, 'dossier');
  });

  await step('an official of the ward accepts, forwards and approves it in the console', async () => {
    const desk = await context.newPage();
    await consolePage(desk, `/motcua/dossiers/${code}`);
    await signInWithToken(desk, adminToken);
    assert.equal(new URL(desk.url()).pathname, `/motcua/dossiers/${code}`);
    for (const action of ['Tiếp nhận', 'Chuyển bước tiếp theo', 'Phê duyệt']) {
      await navigating(desk, () => desk.getByRole('button', { name: action, exact: true }).click());
      assert.equal(await desk.getByRole('alert').count(), 0, `"${action}" was not refused: ${await text(desk.locator('main'))}`);
    }
    // The form shows the document taken from the citizen's wallet.
    assert.match(await text(desk.locator('main')), /giay-chung-sinh/);
    await desk.close();
  });

  await step('the signed result is returned to the wallet (status 10) by itself', async () => {
    await eventually(page, `/ho-so/${code}`, /Đã trả kết quả/, 'status 10 after the approval', 60_000);
    await portal(page, '/kho-du-lieu/');
    const link = page.locator('main a', { hasText: 'Giấy khai sinh' }).last();
    assert.ok(await link.count(), `the result is in the wallet:\n${await text(page.locator('main'))}`);
    await navigating(page, () => link.click());
    const main = await text(page.locator('main'));
    assert.ok(main.includes(code), 'the wallet item names the dossier');
    resultURI = (await text(page.locator('main dd code').first())).trim();
    assert.match(resultURI, /^000\.00\.92\.H26-/);
    await checkPage(page, 'wallet item');
  });

  await step('the verification page (the QR target) says genuine; the downloaded file is unaltered', async () => {
    // The file as the wallet serves it (with the citizen's session).
    const href = await page.getByRole('link', { name: 'Tải xuống' }).getAttribute('href');
    const res = await page.request.get(new URL(href, page.url()).href);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'], /application\/pdf/);
    const pdf = await res.body();
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');

    await navigating(page, () => page.getByRole('link', { name: 'Xem trang kiểm tra tính xác thực của giấy tờ' }).click());
    assert.equal(new URL(page.url()).pathname, `/xac-thuc/${encodeURIComponent(resultURI)}`);
    assert.match(await text(page.locator('main')), /Giấy tờ thật/);
    await checkPage(page, 'verification');

    await portal(page, '/xac-thuc');
    await page.locator('input[type="file"]').setInputFiles({ name: 'ket-qua.pdf', mimeType: 'application/pdf', buffer: pdf });
    await navigating(page, () => page.getByRole('button', { name: 'Kiểm tra tệp' }).click());
    assert.match(await text(page.locator('main')), /Giấy tờ thật, tệp chưa bị sửa đổi/);

    const tampered = Buffer.from(pdf);
    tampered[Math.floor(tampered.length / 3)] ^= 0x01;
    await portal(page, '/xac-thuc');
    await page.locator('input[type="file"]').setInputFiles({ name: 'ket-qua.pdf', mimeType: 'application/pdf', buffer: tampered });
    await navigating(page, () => page.getByRole('button', { name: 'Kiểm tra tệp' }).click());
    assert.match(await text(page.locator('main')), /đã bị sửa đổi|Không do hệ thống này cấp/);
  });

  await step('"who viewed my data" lists the reads made for the dossier', async () => {
    await portal(page, '/kho-du-lieu/ai-da-xem');
    assert.equal(await h1(page), 'Ai đã xem dữ liệu của tôi');
    const rows = page.locator('main tbody tr', { hasText: code });
    assert.ok(await rows.count() >= 1, `a read for ${code} is listed:\n${await text(page.locator('main'))}`);
    await checkPage(page, 'tracker');
  });

  await step('he rates the service', async () => {
    await portal(page, `/ho-so/${code}`);
    await page.getByLabel('Rất hài lòng').check();
    await navigating(page, () => page.locator('main form', { has: page.getByLabel('Rất hài lòng') }).locator('button[type="submit"]').click());
    assert.match(await text(page.locator('main')), /Cảm ơn bạn đã đánh giá/);
  });
});
