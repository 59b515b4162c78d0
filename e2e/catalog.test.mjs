// Browser journeys through the public catalog pages (/catalog/), in Debian's
// Chromium driven by playwright-core, against a real `vngov demo`.
//
// Each test opens a fresh browser context (no cookies, no history), walks
// the pages as a person would, and on failure leaves a screenshot and the
// page's HTML in e2e/test-results/.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';

import { describeViolations, runAxe, severe } from './lib/a11y.mjs';
import { createJourney, DESKTOP, PHONE, h1, htmlLang, navigating, opener, text } from './lib/page.mjs';
import { chromiumSkipReason, launchBrowser, startPlatform } from './lib/platform.mjs';

const skip = chromiumSkipReason();

let platform;
let browser;
let base;

before(async () => {
  if (skip) return;
  platform = await startPlatform();
  base = platform.endpoints.catalog;
  browser = await launchBrowser();
}, { timeout: 600_000 }); // a cold `go build` can take minutes

after(async () => {
  await browser?.close();
  await platform?.stop();
});

const journey = createJourney({ browser: () => browser, skip });
const open = opener(() => base);
const rows = (page) => page.locator('main table tbody tr');

/** The "N mục có hiệu lực ngày …" / "N items in force on …" paragraph of a list page. */
async function countLine(page) {
  const p = page.locator('main p').filter({ hasText: /^\s*\d[\d.,]* (mục|items?) / });
  await p.first().waitFor();
  return text(p.first());
}

const PAGES = [
  '/catalog/',
  '/catalog/lists/admin-units',
  '/catalog/lists/admin-units?parent=01',
  '/catalog/lists/admin-units/items/00013',
  '/catalog/translate?code=00013',
];

// ---------------------------------------------------------------- journeys

journey('home page: search "ha noi" without diacritics finds Thành phố Hà Nội', async (page) => {
  await open(page, '/catalog/');
  assert.equal(await htmlLang(page), 'vi');
  assert.equal(await h1(page), 'Danh mục điện tử dùng chung');

  const box = page.getByRole('searchbox', { name: 'Tìm theo tên hoặc mã' });
  await box.click();
  await page.keyboard.type('ha noi');
  const res = await navigating(page, () => page.keyboard.press('Enter'));
  assert.equal(res.status(), 200);
  assert.match(page.url(), /\/catalog\/\?q=ha\+noi$/);
  assert.equal(await box.inputValue(), 'ha noi', 'the search box keeps what was typed');
  await page.getByRole('heading', { level: 2, name: 'Kết quả tìm kiếm' }).waitFor();

  const hanoi = page.getByRole('link', { name: 'Thành phố Hà Nội', exact: true });
  await hanoi.first().waitFor();
  await navigating(page, () => hanoi.first().click());
  assert.match(page.url(), /\/catalog\/lists\/admin-units\/items\/01$/);
  assert.equal(await h1(page), 'Thành phố Hà Nội');
});

journey('administrative units: 34 provinces, then the communes of Hà Nội, page by page', async (page) => {
  await open(page, '/catalog/lists/admin-units');
  assert.equal(await h1(page), 'Đơn vị hành chính');
  assert.equal(await rows(page).count(), 34, 'the list opens on the 34 provinces');
  assert.match(await countLine(page), /^34 mục có hiệu lực ngày \d\d\/\d\d\/\d{4}/);
  assert.equal(await page.locator('nav.pager').count(), 0, '34 rows fit on one page');

  const hanoiRow = rows(page).filter({ has: page.getByRole('link', { name: 'Thành phố Hà Nội', exact: true }) });
  assert.equal(await hanoiRow.count(), 1);
  const children = hanoiRow.getByRole('link', { name: /^Xem các đơn vị trực thuộc/ });
  await navigating(page, () => children.click());
  assert.match(page.url(), /\?parent=01$/);
  assert.equal(await h1(page), 'Thành phố Hà Nội');
  await page.getByRole('link', { name: 'Phường Ba Đình', exact: true }).waitFor();

  const count = Number((await countLine(page)).match(/^(\d+) mục/)[1]);
  assert.ok(count > 50, `Hà Nội has more communes (${count}) than one page shows`);
  const pages = Math.ceil(count / 50);
  assert.equal(await rows(page).count(), 50);
  const pager = page.getByRole('navigation', { name: 'Phân trang' });
  assert.equal(await text(pager.locator('.pager__status')), `Trang 1 / ${pages}`);
  const firstOnPage1 = await text(rows(page).first().locator('td').first());

  await navigating(page, () => pager.getByRole('link', { name: 'Trang sau' }).click());
  assert.match(page.url(), /[?&]page=2(&|$)/);
  assert.match(page.url(), /[?&]parent=01(&|$)/, 'the next page keeps the parent filter');
  assert.equal(await h1(page), 'Thành phố Hà Nội');
  assert.equal(await text(pager.locator('.pager__status')), `Trang 2 / ${pages}`);
  assert.equal(await rows(page).count(), pages > 2 ? 50 : count - 50);
  assert.notEqual(await text(rows(page).first().locator('td').first()), firstOnPage1, 'page 2 shows other units');
  for (const parent of await rows(page).locator('td:nth-child(4)').allInnerTexts()) {
    assert.match(parent, /^01\b/, 'every unit on page 2 belongs to Hà Nội');
  }
  await pager.getByRole('link', { name: 'Trang trước' }).waitFor();
});

journey('old-code translation: 00013 → Phường Ba Đình; unknown code and bad date explained', async (page) => {
  await open(page, '/catalog/translate');
  assert.equal(await h1(page), 'Tra cứu mã đơn vị hành chính cũ');
  const code = page.getByLabel('Mã đơn vị hành chính');
  await code.fill('00013');
  let res = await navigating(page, () => page.getByRole('button', { name: 'Tra cứu' }).click());
  assert.equal(res.status(), 200);
  assert.match(page.url(), /[?&]code=00013(&|$)/);
  await page.getByRole('heading', { level: 2, name: 'Kết quả' }).waitFor();
  assert.match(await text(page.locator('main')), /Mã 00013 là Phường Quán Thánh/);
  const result = page.locator('main table tbody tr');
  assert.equal(await result.count(), 1);
  const cells = await result.first().locator('td').allInnerTexts();
  assert.deepEqual(cells.slice(0, 2), ['00004', 'Phường Ba Đình']);
  await result.first().getByRole('link', { name: 'Phường Ba Đình' }).waitFor();

  // An unknown code: 404, said in Vietnamese next to the field, and tied to it.
  await code.fill('99999');
  res = await navigating(page, () => page.getByRole('button', { name: 'Tra cứu' }).click());
  assert.equal(res.status(), 404);
  const message = page.locator('main .error-message');
  await message.waitFor();
  assert.match(await text(message), /^Lỗi: Không tìm thấy mã 99999/);
  const msgId = await message.getAttribute('id');
  assert.ok(msgId, 'the error message has an id');
  const describedBy = (await code.getAttribute('aria-describedby')) || '';
  assert.ok(describedBy.split(/\s+/).includes(msgId), `the field's aria-describedby ("${describedBy}") names the error`);
  assert.equal(await code.inputValue(), '99999', 'the field keeps the code typed');
  assert.equal(await page.getByRole('heading', { name: 'Kết quả' }).count(), 0);

  // A date no calendar has (as from a hand-edited link: the browser's date
  // picker cannot produce one): the error summary lists it and links to it.
  res = await open(page, '/catalog/translate?code=00013&at=2025-13-45', 422);
  const summary = page.getByRole('alert');
  await summary.waitFor();
  assert.equal(await text(summary.getByRole('heading')), 'Thông tin bạn nhập có lỗi');
  const fix = summary.getByRole('link');
  assert.match(await text(fix), /2025-13-45.*không hợp lệ/);
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('error-summary')), true,
    'the error summary has the focus, so it is announced');
  await fix.click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'at', 'the summary link leads to the date field');
});

journey('retired unit: the detail page of 00013 names its replacement', async (page) => {
  await open(page, '/catalog/lists/admin-units/items/00013');
  assert.equal(await h1(page), 'Phường Quán Thánh');
  const notice = page.locator('main .notice');
  assert.match(await text(notice), /đã hết hiệu lực từ sau ngày 30\/06\/2025/);
  await navigating(page, () => notice.getByRole('link', { name: /^00004 Phường Ba Đình/ }).click());
  assert.match(page.url(), /\/items\/00004$/);
  assert.equal(await h1(page), 'Phường Ba Đình');
});

journey('viewing the past: on 2025-06-01 the list has the 63 provinces of before the merger', async (page) => {
  await open(page, '/catalog/lists/admin-units');
  const date = page.getByLabel('Xem theo ngày');
  await date.fill('2025-06-01');
  const res = await navigating(page, () => page.getByRole('button', { name: 'Lọc' }).click());
  assert.equal(res.status(), 200);
  assert.match(page.url(), /[?&]at=2025-06-01(&|$)/);
  assert.match(await countLine(page), /^63 mục có hiệu lực ngày 01\/06\/2025/);
  assert.equal(await date.inputValue(), '2025-06-01', 'the date field keeps the chosen day');
  await page.getByRole('link', { name: 'Tỉnh Hà Giang', exact: true }).waitFor(); // merged into Tuyên Quang on 01/07/2025

  let seen = await rows(page).count();
  const pager = page.getByRole('navigation', { name: 'Phân trang' });
  while (await pager.getByRole('link', { name: 'Trang sau' }).count()) {
    await navigating(page, () => pager.getByRole('link', { name: 'Trang sau' }).click());
    assert.match(page.url(), /[?&]at=2025-06-01(&|$)/, 'the pager keeps the date');
    seen += await rows(page).count();
  }
  assert.equal(seen, 63, 'the pages together list 63 provinces');
});

journey('language: the header link switches to English and back', async (page) => {
  await open(page, '/catalog/');
  assert.equal(await htmlLang(page), 'vi');
  const toEnglish = page.locator('header').getByRole('link', { name: /English/ });
  assert.equal(await toEnglish.getAttribute('hreflang'), 'en');
  await navigating(page, () => toEnglish.click());
  assert.equal(await htmlLang(page), 'en');
  assert.equal(await h1(page), 'Shared e-catalogs');

  // The choice is remembered while browsing on.
  const nav = page.getByRole('navigation', { name: 'Main navigation' });
  await navigating(page, () => nav.getByRole('link', { name: 'Administrative units', exact: true }).click());
  assert.equal(await htmlLang(page), 'en');
  assert.equal(await h1(page), 'Administrative units');

  const toVietnamese = page.locator('header').getByRole('link', { name: /Tiếng Việt/ });
  assert.equal(await toVietnamese.getAttribute('hreflang'), 'vi');
  await navigating(page, () => toVietnamese.click());
  assert.equal(await htmlLang(page), 'vi');
  assert.equal(await h1(page), 'Đơn vị hành chính');
  const nav2 = page.getByRole('navigation', { name: 'Điều hướng chính' });
  await navigating(page, () => nav2.getByRole('link', { name: 'Các danh mục', exact: true }).click());
  assert.equal(await htmlLang(page), 'vi');
  assert.equal(await h1(page), 'Danh mục điện tử dùng chung');
});

// The pages in their ordinary state, then as people also meet them: with
// search results, and with each kind of error message.
const A11Y_PAGES = [
  ...PAGES.map((path) => [path, 200]),
  ['/catalog/?q=ha+noi', 200],
  ['/catalog/translate?code=99999', 404],
  ['/catalog/translate?code=00013&at=2025-13-45', 422],
];

journey('accessibility: no serious or critical axe-core violations (WCAG 2 A/AA)', async (page, step) => {
  const reports = [];
  for (const [path, status] of A11Y_PAGES) {
    await step(path, async () => {
      await open(page, path, status);
      const found = severe(await runAxe(page, ['wcag2a', 'wcag2aa']));
      if (found.length) {
        const report = describeViolations(path, found);
        reports.push(report);
        console.log(`e2e: axe-core violations on ${report}`);
      }
      assert.equal(found.length, 0, `axe-core found serious/critical violations:\n${describeViolations(path, found)}`);
    });
  }
  assert.deepEqual(reports, [], 'pages with accessibility violations');
});

journey('phone width (360 px): no sideways scrolling, and the search form works', async (page, step) => {
  for (const path of PAGES) {
    await step(path, async () => {
      await open(page, path);
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
            // Inside a scrolling wrapper only what escapes it counts: an
            // absolutely positioned element whose containing block lies
            // outside the wrapper is not clipped by it.
            const escapes = ['absolute', 'fixed'].includes(style.position) &&
              getComputedStyle(wrapper).position === 'static';
            if (!escapes) continue;
            culprits.push(`${describe(el)} (position: ${style.position}) inside ${describe(wrapper)}, ` +
              `right edge at ${Math.round(r.right)} px: "${el.textContent.trim().slice(0, 40)}"`);
          } else if (r.width > 0 || ['absolute', 'fixed'].includes(style.position)) {
            culprits.push(`${describe(el)} right edge at ${Math.round(r.right)} px`);
          }
        }
        return { scrollWidth: document.documentElement.scrollWidth, width, culprits: culprits.slice(0, 10) };
      });
      assert.ok(layout.scrollWidth <= PHONE.width,
        `${path}: the document is ${layout.scrollWidth} px wide on a ${PHONE.width} px screen; sticking out:\n  ${layout.culprits.join('\n  ')}`);
    });
  }

  await step('search form', async () => {
    await open(page, '/catalog/');
    const box = page.getByRole('searchbox', { name: 'Tìm theo tên hoặc mã' });
    const button = page.locator('form[role=search]').getByRole('button', { name: 'Tìm kiếm' });
    for (const [what, el] of [['search box', box], ['search button', button]]) {
      const r = await el.boundingBox();
      assert.ok(r, `the ${what} is shown`);
      assert.ok(r.x >= 0 && r.x + r.width <= PHONE.width, `the ${what} fits the screen (${r.x}–${r.x + r.width} px)`);
      assert.ok(r.height >= 24, `the ${what} is at least 24 px high (${r.height})`);
    }
    assert.ok((await box.boundingBox()).width >= 150, 'the search box is wide enough to type in');
    await box.tap();
    await box.fill('ha noi');
    await navigating(page, () => button.tap());
    await page.getByRole('link', { name: 'Thành phố Hà Nội', exact: true }).first().waitFor();
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= PHONE.width, `the search results are ${scrollWidth} px wide`);
  });
}, { viewport: PHONE, phone: true });

journey('keyboard: the first Tab reaches the skip link, which moves focus to main', async (page, step) => {
  for (const path of ['/catalog/', '/catalog/lists/admin-units']) {
    await step(path, async () => {
      await open(page, path);
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement;
        const r = el.getBoundingClientRect();
        return { tag: el.tagName, text: el.textContent.trim(), href: el.getAttribute('href'), left: r.left, top: r.top, right: r.right, width: r.width };
      });
      assert.equal(focused.tag, 'A');
      assert.equal(focused.text, 'Bỏ qua đến nội dung chính');
      assert.equal(focused.href, '#main');
      assert.ok(focused.left >= 0 && focused.top >= 0 && focused.width > 0 && focused.right <= DESKTOP.width,
        `the focused skip link is on screen (${JSON.stringify(focused)})`);

      await page.keyboard.press('Enter');
      await page.waitForFunction(() => location.hash === '#main');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'main', 'focus is on <main id="main">');

      // The next Tab continues inside main, not back in the header.
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => !!document.activeElement?.closest('main')), true,
        'after the skip link, Tab moves on inside main');
    });
  }
});
