// Browser journeys through the public-service portal (the demo's `portal`
// address), in Debian's Chromium driven by playwright-core, against a real
// `vngov demo`:
//
//   - the home page, the procedure search without diacritics, a procedure
//     page in plain language;
//   - filing a birth registration: the portal sends the citizen to the
//     identity provider at level 2 (password, then the TOTP code computed
//     here from demo-accounts.json, RFC 6238), the consent screen, the
//     e-form prefilled from the population registry over the exchange and
//     marked with its source, a document uploaded, the review, the
//     submission, the receipt, and "my dossiers";
//   - axe-core (no serious or critical violation) and a 360 px width check
//     (no sideways scrolling) on every page of that journey;
//   - the public status lookup at 360 px, by touch, with the code filed.
//
// Each journey opens a fresh browser context; on failure it leaves a
// screenshot and the page's HTML in e2e/test-results/.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { describeViolations, runAxe, severe } from './lib/a11y.mjs';
import { createJourney, DESKTOP, PHONE, h1, navigating, opener, text } from './lib/page.mjs';
import { chromiumSkipReason, launchBrowser, startPlatform } from './lib/platform.mjs';
import { totp } from './lib/totp.mjs';

const skip = chromiumSkipReason();


// A small, valid PDF: what the birth certificate upload sends.
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

// ---------------------------------------------------------------- platform and browser

let platform;
let browser;
let base; // the portal
let idp; // the identity provider
let minh; // the level-2 demo citizen
let filed = null; // the dossier code the filing journey made

before(async () => {
  if (skip) return;
  platform = await startPlatform();
  base = platform.endpoints.portal;
  idp = platform.endpoints.identity;
  assert.ok(base, `endpoints.json has no "portal" address: ${JSON.stringify(platform.endpoints)}`);
  const accounts = JSON.parse(await readFile(join(platform.dataDir, 'demo-accounts.json'), 'utf8'));
  minh = (accounts.identity?.citizens ?? []).find((c) => c.personal_id === '001089012345');
  assert.ok(minh?.password && minh?.totp_secret, 'demo-accounts.json has the level-2 demo citizen with his TOTP secret');
  browser = await launchBrowser();
}, { timeout: 600_000 }); // a cold `go build` can take minutes

after(async () => {
  await browser?.close();
  await platform?.stop();
});

const journey = createJourney({ browser: () => browser, skip, label: 'portal' });
const open = opener(() => base);

/** Fails with axe-core's report when the page has a serious or critical violation. */
async function accessible(page, where) {
  const found = severe(await runAxe(page, ['wcag2a', 'wcag2aa']));
  assert.equal(found.length, 0, `axe-core found serious/critical violations:\n${describeViolations(where, found)}`);
}

/** Fails when the page needs sideways scrolling at the viewport's width. */
async function fits(page, where, width = PHONE.width) {
  const layout = await page.evaluate(() => {
    const w = document.documentElement.clientWidth;
    const culprits = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right <= w + 0.5 || el.closest('.skip-link') || el.closest('.table-scroll')) continue;
      if (r.width > 0) culprits.push(`<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}> right edge at ${Math.round(r.right)} px`);
    }
    return { scrollWidth: document.documentElement.scrollWidth, culprits: culprits.slice(0, 10) };
  });
  assert.ok(layout.scrollWidth <= width, `${where}: the document is ${layout.scrollWidth} px wide on a ${width} px screen:\n  ${layout.culprits.join('\n  ')}`);
}

/** axe-core at desktop width, then the page at 360 px, then back. */
async function checkPage(page, where) {
  await accessible(page, where);
  await page.setViewportSize({ width: PHONE.width, height: PHONE.height });
  await fits(page, where);
  await page.setViewportSize(DESKTOP);
}

// ---------------------------------------------------------------- journeys

journey('a citizen finds a procedure, signs in at level 2, files it with prefilled data, and sees it in "my dossiers"', async (page, step) => {
  await step('home page', async () => {
    await open(page, '/');
    assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
    assert.equal(await h1(page), 'Cổng Dịch vụ công');
    await checkPage(page, '/');
  });

  await step('search without diacritics', async () => {
    await page.getByLabel('Tìm thủ tục hành chính').fill('khai sinh');
    await navigating(page, () => page.getByRole('button', { name: 'Tìm kiếm' }).click());
    assert.match(page.url(), /\/thu-tuc\?q=khai\+sinh/);
    assert.match(await text(page.locator('main [role="status"]')), /Tìm thấy \d+ thủ tục/);
    await checkPage(page, '/thu-tuc?q=khai+sinh');
    await navigating(page, () => page.getByRole('link', { name: 'Đăng ký khai sinh' }).click());
  });

  await step('procedure page in plain language', async () => {
    assert.equal(await h1(page), 'Đăng ký khai sinh');
    for (const heading of ['Ai được nộp hồ sơ', 'Giấy tờ cần có', 'Phí, lệ phí']) {
      assert.equal(await page.getByRole('heading', { name: heading, level: 2 }).count(), 1, `section "${heading}"`);
    }
    assert.match(await text(page.locator('main .summary')), /Mức độ 2 \(mật khẩu và mã xác thực một lần\)/);
    await checkPage(page, '/thu-tuc/1.001193');
  });

  await step('sign-in at the identity provider, level 2 with TOTP', async () => {
    await navigating(page, () => page.getByRole('link', { name: 'Nộp hồ sơ trực tuyến' }).click(), { url: (u) => u.href.startsWith(`${idp}/login`) });
    assert.match(await text(page.locator('main')), /xác thực mức 2/);
    await page.getByLabel('Số định danh cá nhân hoặc tên đăng nhập').fill(minh.personal_id);
    await page.getByLabel('Mật khẩu', { exact: true }).fill(minh.password);
    await navigating(page, () => page.getByRole('button', { name: 'Đăng nhập', exact: true }).click());
    assert.match(page.url(), /\/login\/otp/);
    if (Date.now() % 30_000 > 28_500) await page.waitForTimeout(30_000 - (Date.now() % 30_000) + 100);
    await page.getByLabel('Mã xác thực').fill(totp(minh.totp_secret));
    await navigating(page, () => page.getByRole('button', { name: 'Xác nhận' }).click(), { url: (u) => u.href.startsWith(base) || u.pathname.startsWith('/login/consent') });
    if (page.url().includes('/login/consent')) {
      assert.match(await text(page.locator('main')), /Cổng Dịch vụ công quốc gia/);
      await navigating(page, () => page.getByRole('button', { name: 'Đồng ý', exact: true }).click(), { url: (u) => u.href.startsWith(base) });
    }
    assert.equal(page.url(), `${base}/thu-tuc/1.001193/nop`, 'back on the portal, at the filing');
  });

  await step('consent: which data, from where, why', async () => {
    assert.equal(await h1(page), 'Đồng ý cung cấp thông tin');
    const main = await text(page.locator('main'));
    assert.match(main, /Bạn đang đăng nhập: Nguyễn Văn Minh/);
    assert.match(main, /Cơ sở dữ liệu quốc gia về dân cư, do Bộ Công an quản lý/);
    assert.match(main, /Đăng ký khai sinh/);
    assert.match(main, /Họ, chữ đệm và tên/);
    await checkPage(page, 'consent');
    await navigating(page, () => page.getByRole('button', { name: 'Đồng ý và điền sẵn tờ khai' }).click());
  });

  await step('the e-form, prefilled from the population registry', async () => {
    assert.equal(page.url(), `${base}/thu-tuc/1.001193/nop/to-khai`);
    assert.equal(await page.locator('[name="form.applicant_full_name"]').inputValue(), 'Nguyễn Văn Minh');
    assert.equal(await page.locator('[name="form.applicant_birth_date"]').inputValue(), '1989-05-12');
    assert.equal(await page.locator('[name="form.applicant_permanent_commune"]').inputValue(), '00004');
    const label = page.locator('label[for="form.applicant_full_name"]');
    assert.match(await text(label), /Lấy từ CSDL quốc gia về dân cư/, 'the prefilled field is marked with its source');
    await checkPage(page, 'to-khai');
    await page.locator('[name="form.applicant_relation"]').selectOption('father');
    await page.locator('[name="form.child_full_name"]').fill('Nguyễn Thị Bình An');
    await page.locator('[name="form.child_birth_date"]').fill('2026-01-20');
    await page.locator('input[name="form.child_sex"][value="female"]').check();
    await page.locator('[name="form.child_ethnicity"]').fill('01');
    await page.locator('[name="form.birth_place_commune"]').fill('00004');
    await page.locator('[name="form.birth_place_detail"]').fill('Bệnh viện Phụ sản Hà Nội');
    await navigating(page, () => page.getByRole('button', { name: 'Tiếp tục' }).click());
  });

  await step('documents: the birth certificate uploaded', async () => {
    assert.equal(page.url(), `${base}/thu-tuc/1.001193/nop/giay-to`);
    assert.match(await text(page.locator('main')), /Không cần nộp: cơ quan lấy từ Cơ sở dữ liệu quốc gia về dân cư/);
    await checkPage(page, 'giay-to');
    await page.locator('input[name="file.giay-chung-sinh"]').setInputFiles({ name: 'giay-chung-sinh.pdf', mimeType: 'application/pdf', buffer: PDF });
    await navigating(page, () => page.getByRole('button', { name: 'Tiếp tục' }).click());
  });

  await step('review and submit', async () => {
    assert.equal(page.url(), `${base}/thu-tuc/1.001193/nop/xem-lai`);
    const main = await text(page.locator('main'));
    assert.match(main, /Nguyễn Thị Bình An/);
    assert.match(main, /giay-chung-sinh\.pdf/);
    await checkPage(page, 'xem-lai');
    const desk = page.getByLabel('Nộp tại cơ quan khi nhận kết quả');
    if (await desk.count()) await desk.check(); // the fee is paid at the desk in this journey
    await page.getByLabel(/Tôi cam đoan/).check();
    await navigating(page, () => page.getByRole('button', { name: 'Nộp hồ sơ' }).click());
  });

  await step('receipt: dossier code and appointment date', async () => {
    const m = page.url().match(/\/ho-so\/([^/]+)\/bien-nhan$/);
    assert.ok(m, `the receipt, not ${page.url()}: ${await text(page.locator('main'))}`);
    filed = decodeURIComponent(m[1]);
    assert.match(filed, /^000\.00\.92\.H26-\d{6}-\d{4}$/);
    assert.equal(await h1(page), 'Đã nộp hồ sơ');
    const main = await text(page.locator('main'));
    assert.ok(main.includes(filed), 'the receipt shows the code');
    assert.match(main, /Ngày hẹn trả kết quả \d{2}\/\d{2}\/\d{4}/);
    await checkPage(page, 'bien-nhan');
  });

  await step('my dossiers and the dossier page', async () => {
    await open(page, '/ho-so');
    assert.equal(await h1(page), 'Hồ sơ của tôi');
    assert.equal(await page.locator('tbody tr').filter({ hasText: filed }).count(), 1, 'the new dossier is listed');
    await checkPage(page, '/ho-so');
    await navigating(page, () => page.getByRole('link', { name: filed }).click());
    assert.equal(await h1(page), `Hồ sơ ${filed}`);
    assert.match(await text(page.locator('.timeline')), /Nộp hồ sơ/);
    await checkPage(page, '/ho-so/{code}');
  });

  await step('English', async () => {
    await open(page, '/ho-so?lang=en');
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await h1(page), 'My dossiers');
    await open(page, '/?lang=vi');
  });
});

journey('phone width (360 px), by touch: home, search, a procedure and the public lookup of the dossier filed', async (page, step) => {
  await step('home and search', async () => {
    await open(page, '/');
    await fits(page, '/');
    await page.getByLabel('Tìm thủ tục hành chính').tap();
    await page.getByLabel('Tìm thủ tục hành chính').fill('ket hon');
    await navigating(page, () => page.getByRole('button', { name: 'Tìm kiếm' }).tap());
    await fits(page, '/thu-tuc?q=ket+hon');
    await navigating(page, () => page.getByRole('link', { name: 'Đăng ký kết hôn' }).tap());
    assert.equal(await h1(page), 'Đăng ký kết hôn');
    await fits(page, '/thu-tuc/1.000894');
  });

  await step('lookup: someone else\'s id is an unknown dossier; the right one shows the status', async () => {
    assert.ok(filed, 'the filing journey filed a dossier');
    await open(page, '/tra-cuu');
    await fits(page, '/tra-cuu');
    await accessible(page, '/tra-cuu');
    await page.getByLabel('Mã hồ sơ').fill(filed);
    await page.getByLabel('Số định danh cá nhân của người nộp').fill('001099999999');
    let res = await navigating(page, () => page.getByRole('button', { name: 'Tra cứu' }).tap());
    assert.equal(res.status(), 404);
    assert.match(await text(page.locator('main [role="alert"]')), /Không tìm thấy hồ sơ có mã hồ sơ và số định danh cá nhân này/);
    await page.getByLabel('Mã hồ sơ').fill(filed);
    await page.getByLabel('Số định danh cá nhân của người nộp').fill(minh.personal_id);
    res = await navigating(page, () => page.getByRole('button', { name: 'Tra cứu' }).tap());
    assert.equal(res.status(), 200);
    assert.match(await text(page.locator('main .summary')), /Đăng ký khai sinh/);
    await fits(page, 'lookup result');
    await accessible(page, 'lookup result');
  });
}, { viewport: PHONE, phone: true });
