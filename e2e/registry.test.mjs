// Browser journeys through the registry clerks' pages (/registry/ on the
// console), in Debian's Chromium driven by playwright-core, against a real
// `vngov demo`: sign in with the admin token, find the demo citizen without
// typing diacritics, change his current residence and see the new version in
// the history, and register a person whose ID does not match his sex.
//
// Each test opens a fresh browser context (no cookies, no history); on
// failure it leaves a screenshot and the page's HTML in e2e/test-results/.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { describeViolations, runAxe, severe } from './lib/a11y.mjs';
import { createJourney, PHONE, h1, navigating, opener, signInWithToken, text } from './lib/page.mjs';
import { chromiumSkipReason, launchBrowser, startPlatform } from './lib/platform.mjs';

const skip = chromiumSkipReason();

// The demo citizen (internal/registry/backend/demo.go).
const MINH = '001089012345';

let platform;
let browser;
let base;
let adminToken;

before(async () => {
  if (skip) return;
  platform = await startPlatform();
  base = platform.endpoints.console;
  assert.ok(base, `endpoints.json has no "console" address: ${JSON.stringify(platform.endpoints)}`);
  const accounts = JSON.parse(await readFile(join(platform.dataDir, 'demo-accounts.json'), 'utf8'));
  adminToken = accounts.admin?.token;
  assert.ok(adminToken, 'demo-accounts.json has admin.token');
  browser = await launchBrowser();
}, { timeout: 600_000 }); // a cold `go build` can take minutes

after(async () => {
  await browser?.close();
  await platform?.stop();
});

const journey = createJourney({ browser: () => browser, skip, label: 'registry' });
const open = opener(() => base);

/** Opens path signed out, signs in on the form it leads to, and lands on path. */
async function signedIn(page, path = '/registry/', { tap = false } = {}) {
  await open(page, path);
  assert.match(page.url(), /\/registry\/signin\?next=/, 'a signed-out clerk is sent to the sign-in');
  const res = await signInWithToken(page, adminToken, { tap });
  assert.equal(res.status(), 200);
  assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, path);
}

/** Searches by name on the search page; returns the results' rows. */
async function searchByName(page, name) {
  await page.getByLabel('Họ và tên').fill(name);
  const res = await navigating(page, () => page.getByRole('button', { name: 'Tìm kiếm', exact: true }).click());
  assert.equal(res.status(), 200);
  return page.getByRole('region', { name: 'Kết quả tìm kiếm' }).locator('tbody tr');
}

/** Fills the new-person form with a valid man born 12/05/1989 in Hà Nội, ID aside. */
async function fillPerson(page, id) {
  await page.getByLabel('Số định danh cá nhân').fill(id);
  await page.getByLabel('Họ và tên').fill('Trần Văn Nam');
  await page.getByLabel('Ngày sinh').fill('12/05/1989');
  await page.getByLabel('Giới tính').selectOption({ label: 'Nam' });
  await page.getByLabel('Dân tộc').selectOption({ label: 'Kinh' });
  await page.getByLabel('Tôn giáo').selectOption({ label: 'Không' });
  await page.getByLabel('Nơi đăng ký khai sinh').fill('00004');
  await page.getByLabel('Quê quán').fill('00004');
  await page.getByLabel('Mã xã, phường nơi thường trú').fill('00004');
  await page.getByLabel('Địa chỉ nơi thường trú').fill('Số 3 phố Hàng Bông');
  await page.getByLabel('Tình trạng hôn nhân').selectOption({ label: 'Chưa kết hôn' });
  await page.getByLabel('Lý do thay đổi').fill('Đăng ký thường trú');
}

const save = (page) => navigating(page, () => page.getByRole('button', { name: 'Lưu', exact: true }).click());

// ---------------------------------------------------------------- journeys

journey('sign-in: the pages need a clerk, a wrong token is refused', async (page, _step, context) => {
  await open(page, `/registry/persons/${MINH}`);
  assert.match(page.url(), /\/registry\/signin\?next=%2Fregistry%2Fpersons%2F001089012345$/);
  assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
  assert.equal(await h1(page), 'Đăng nhập cán bộ quản lý dân cư');
  assert.equal(await page.getByLabel('Mã quản trị').getAttribute('type'), 'password');

  await page.getByLabel('Mã quản trị').fill('khong-phai-ma-quan-tri');
  let res = await navigating(page, () => page.getByRole('button', { name: 'Đăng nhập' }).click());
  assert.equal(res.status(), 422);
  const summary = page.getByRole('alert');
  assert.match(await text(summary), /Mã quản trị không đúng/);
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('error-summary')), true);
  assert.equal((await context.cookies()).some((c) => c.name === 'vngov_registry_session'), false);

  await page.getByLabel('Mã quản trị').fill(adminToken);
  res = await navigating(page, () => page.getByRole('button', { name: 'Đăng nhập' }).click());
  assert.equal(res.status(), 200);
  assert.match(page.url(), /\/registry\/persons\/001089012345$/, 'back where the clerk was going');
  const cookie = (await context.cookies()).find((c) => c.name === 'vngov_registry_session');
  assert.ok(cookie, 'a session cookie is set');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/registry/');

  // English on request, Vietnamese again after.
  await open(page, '/registry/?lang=en');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(await h1(page), 'Find a person');
  await open(page, '/registry/?lang=vi');
  assert.equal(await h1(page), 'Tra cứu công dân');

  await navigating(page, () => page.getByRole('button', { name: 'Đăng xuất' }).click());
  assert.match(page.url(), /\/registry\/signin$/);
  assert.equal((await context.cookies()).some((c) => c.name === 'vngov_registry_session'), false);
  await open(page, '/registry/');
  assert.match(page.url(), /\/registry\/signin\?next=/);
});

journey('find and edit: Nguyen Van Minh, his current residence changed, version 2 in the history', async (page) => {
  await signedIn(page);
  assert.equal(await h1(page), 'Tra cứu công dân');

  // No diacritics typed; the demo citizen is among the people of that name.
  const rows = await searchByName(page, 'Nguyen Van Minh');
  assert.ok(await rows.count() >= 1, 'results are listed');
  assert.match(await text(page.locator('main [role=status]')), /^Tìm thấy \d+ người\.$/);
  const row = rows.filter({ hasText: MINH });
  assert.equal(await row.count(), 1, `${MINH} is in the results`);
  assert.match(await text(row), /Nguyễn Văn Minh 001089012345 12\/05\/1989 Phường Ba Đình, Thành phố Hà Nội 00004 Còn sống/);
  await navigating(page, () => row.getByRole('link', { name: 'Nguyễn Văn Minh' }).click());
  assert.match(page.url(), /\/registry\/persons\/001089012345$/);

  // The record, with codes named from the e-catalogs.
  assert.equal(await h1(page), 'Nguyễn Văn Minh');
  const record = page.locator('main dl.summary');
  const value = async (label) => text(record.locator('div').filter({ has: page.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd'));
  assert.equal(await value('Ngày sinh'), '12/05/1989');
  assert.equal(await value('Giới tính'), 'Nam');
  assert.equal(await value('Dân tộc'), 'Kinh (01)');
  assert.equal(await value('Quốc tịch'), 'Việt Nam (VN)');
  assert.equal(await value('Nơi thường trú'), 'Số 8 phố Quán Thánh, Phường Ba Đình, Thành phố Hà Nội (00004)');
  for (const label of ['Họ và tên', 'Tôn giáo', 'Nơi đăng ký khai sinh', 'Quê quán', 'Nơi ở hiện tại', 'Hộ gia đình', 'Quan hệ với chủ hộ', 'Cha', 'Mẹ', 'Vợ/chồng', 'Tình trạng hôn nhân', 'Trạng thái']) {
    await record.locator('dt', { hasText: new RegExp(`^${label}$`) }).waitFor();
  }
  const history = page.getByRole('region', { name: 'Lịch sử thay đổi' }).locator('tbody tr');
  const before = await history.count();

  // Edit: the current residence's street, with a reason.
  await navigating(page, () => page.getByRole('link', { name: 'Sửa', exact: true }).click());
  assert.match(page.url(), /\/registry\/persons\/001089012345\/edit$/);
  assert.equal(await h1(page), 'Sửa hồ sơ: Nguyễn Văn Minh');
  const version = Number(await page.locator('input[name=version]').inputValue());
  assert.ok(version >= 1);
  await page.getByLabel('Địa chỉ nơi ở hiện tại').fill('Số 12 phố Hàng Bông');
  await page.getByLabel('Lý do thay đổi').fill('Khai báo nơi ở hiện tại theo hồ sơ 000.00.92.H26-250701-0001');
  const res = await save(page);
  assert.equal(res.status(), 200);
  assert.match(page.url(), /\/registry\/persons\/001089012345$/);

  assert.equal(await value('Nơi ở hiện tại'), 'Số 12 phố Hàng Bông, Phường Ba Đình, Thành phố Hà Nội (00004)');
  assert.match(await text(page.locator('main p.meta').first()), new RegExp(`phiên bản ${version + 1},`));
  assert.equal(await history.count(), before + 1);
  const newest = await history.first().locator('td').allInnerTexts();
  assert.equal(newest[0], String(version + 1));
  assert.equal(version + 1, 2, 'the demo citizen is at version 2');
  assert.equal(newest[2], 'Nơi ở hiện tại');
  assert.equal(newest[3], 'Khai báo nơi ở hiện tại theo hồ sơ 000.00.92.H26-250701-0001');
  assert.equal(newest[4], 'admin-token');
  assert.match(await text(history.last()), /^1 .*Lập hồ sơ/);
});

journey('new person: an ID that does not match his sex is refused next to the ID, then he is registered', async (page) => {
  await signedIn(page);
  await navigating(page, () => page.getByRole('main').getByRole('link', { name: 'Thêm công dân' }).click());
  assert.match(page.url(), /\/registry\/persons\/new$/);
  assert.equal(await h1(page), 'Thêm công dân');

  // 001 Hà Nội, 1 = a woman born in the 1900s: not a man.
  await fillPerson(page, '001189012345');
  let res = await save(page);
  assert.equal(res.status(), 422);
  const summary = page.getByRole('alert');
  assert.equal(await text(summary.getByRole('heading')), 'Thông tin bạn nhập có lỗi');
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('error-summary')), true);
  const idField = page.getByLabel('Số định danh cá nhân');
  const error = page.locator('[id="id-error"]');
  assert.match(await text(error), /Số định danh cá nhân không khớp với giới tính/);
  assert.match(await idField.getAttribute('aria-describedby'), /\bid-error\b/);
  assert.equal(await idField.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator('.field--error').count(), 1, 'only the ID is wrong');
  // What was typed is kept.
  assert.equal(await idField.inputValue(), '001189012345');
  assert.equal(await page.getByLabel('Họ và tên').inputValue(), 'Trần Văn Nam');
  assert.equal(await page.getByLabel('Địa chỉ nơi thường trú').inputValue(), 'Số 3 phố Hàng Bông');
  // The summary's link leads to the field.
  await summary.getByRole('link', { name: /không khớp với giới tính/ }).click();
  assert.match(page.url(), /#id$/);

  // A man born in 1989 in Hà Nội: 001 0 89 ...; another serial if the
  // synthetic population already has it.
  for (let serial = 424242; ; serial++) {
    const id = `001089${serial}`;
    await idField.fill(id);
    res = await save(page);
    if (res.status() === 422 && /đã có trong cơ sở dữ liệu/.test(await text(page.locator('main')))) continue;
    assert.equal(res.status(), 200, await text(page.locator('main')));
    assert.match(page.url(), new RegExp(`/registry/persons/${id}$`));
    break;
  }
  assert.equal(await h1(page), 'Trần Văn Nam');
  const history = page.getByRole('region', { name: 'Lịch sử thay đổi' }).locator('tbody tr');
  assert.equal(await history.count(), 1);
  assert.match(await text(history.first()), /^1 .*Lập hồ sơ Đăng ký thường trú admin-token/);
});

// The pages a clerk sees, in the state each check needs.
async function visitAll(page, step, check, { tap = false } = {}) {
  await step('/registry/signin', async () => {
    await open(page, '/registry/signin');
    await check('/registry/signin');
    await page.getByLabel('Mã quản trị').fill('sai');
    assert.equal((await navigating(page, () => page.getByRole('button', { name: 'Đăng nhập' }).click())).status(), 422);
    await check('/registry/signin (422)');
  });
  await step('/registry/', async () => {
    await signedIn(page, '/registry/', { tap });
    await check('/registry/');
    await searchByName(page, 'nguyen van');
    await check('/registry/?name=nguyen+van');
    await open(page, '/registry/?birth_date=31-31-1999', 422);
    await check('/registry/?birth_date=31-31-1999 (422)');
    await open(page, '/registry/?lang=en');
    await check('/registry/?lang=en');
    await open(page, '/registry/?lang=vi');
  });
  await step(`/registry/persons/${MINH}`, async () => {
    await open(page, `/registry/persons/${MINH}`);
    await check(`/registry/persons/${MINH}`);
  });
  await step(`/registry/persons/${MINH}/edit`, async () => {
    await open(page, `/registry/persons/${MINH}/edit`);
    await check(`/registry/persons/${MINH}/edit`);
    // Saved without a reason: 422 with the error next to the reason.
    await page.getByLabel('Địa chỉ nơi ở hiện tại').fill('Số 99 phố Hàng Bông');
    assert.equal((await save(page)).status(), 422);
    await check(`/registry/persons/${MINH}/edit (422)`);
  });
  await step('/registry/persons/new', async () => {
    await open(page, '/registry/persons/new');
    await check('/registry/persons/new');
    await page.getByLabel('Số định danh cá nhân').fill('123');
    await page.getByLabel('Họ và tên').fill('X 2');
    assert.equal((await save(page)).status(), 422);
    await check('/registry/persons/new (422)');
  });
}

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
  await visitAll(page, step, check);
  assert.deepEqual(reports, [], 'pages with accessibility violations');
});

journey('phone width (360 px): no sideways scrolling, and the sign-in works by touch', async (page, step) => {
  const fits = async (label) => {
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
      `${label}: the document is ${layout.scrollWidth} px wide on a ${PHONE.width} px screen; sticking out:\n  ${layout.culprits.join('\n  ')}`);
  };
  await visitAll(page, step, fits, { tap: true });
}, { viewport: PHONE, phone: true });
