// Browser journeys through the one-stop desk (/motcua/ on the console), in
// Debian's Chromium driven by playwright-core, against a real `vngov demo`:
// receive a dossier in person with the form prefilled from the national
// population database, print the receipt, then take the dossier through the
// workflow from the inbox (accept, forward, approve, deliver).
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

// The demo citizen (internal/registry/backend/demo.go) and the demo ward.
const MINH = '001089012345';
const AGENCY = '000.00.92.H26';
const PROCEDURE = '1.004222'; // Đăng ký thường trú

let platform;
let browser;
let base;
let adminToken;
let receptionist; // the demo Ba Đình receptionist's identity account

before(async () => {
  if (skip) return;
  platform = await startPlatform();
  base = platform.endpoints.console;
  assert.ok(base, `endpoints.json has no "console" address: ${JSON.stringify(platform.endpoints)}`);
  const accounts = JSON.parse(await readFile(join(platform.dataDir, 'demo-accounts.json'), 'utf8'));
  adminToken = accounts.admin?.token;
  assert.ok(adminToken, 'demo-accounts.json has admin.token');
  receptionist = accounts.identity?.officials?.find((o) => o.agency === AGENCY && o.role === 'onestop-receptionist');
  assert.ok(receptionist?.username && receptionist?.password, 'demo-accounts.json has the Ba Đình receptionist in identity.officials');
  browser = await launchBrowser();
}, { timeout: 600_000 }); // a cold `go build` can take minutes

after(async () => {
  await browser?.close();
  await platform?.stop();
});

const journey = createJourney({ browser: () => browser, skip, label: 'desk' });
const open = opener(() => base);

const field = (page, key) => page.locator(`[id="form.${key}"]`);
const label = (page, key) => page.locator(`label[for="form.${key}"]`);

/** Opens path signed out, signs in on the form it leads to, and lands on path. */
async function signedIn(page, path = '/motcua/', { tap = false } = {}) {
  await open(page, path);
  assert.match(page.url(), /\/motcua\/signin\?next=/, 'a signed-out official is sent to the sign-in');
  const res = await signInWithToken(page, adminToken, { tap });
  assert.equal(res.status(), 200);
  const u = new URL(page.url());
  assert.equal(u.pathname + u.search, path);
}

/** On the receive page: chooses the procedure, types the ID and prefills. */
async function prefill(page) {
  await page.getByLabel('Thủ tục hành chính').selectOption(PROCEDURE);
  await page.getByLabel('Số định danh cá nhân của người nộp hồ sơ').fill(MINH);
  const res = await navigating(page, () => page.getByRole('button', { name: 'Lấy thông tin từ Cơ sở dữ liệu quốc gia về dân cư' }).click());
  assert.equal(res.status(), 200);
}

/** Fills the required fields the population database cannot know, and submits; lands on the receipt. */
async function submit(page) {
  await field(page, 'registration_case').fill('owned');
  await field(page, 'new_residence_commune').fill('00004');
  await field(page, 'new_residence_street').fill('Số 12 phố Hàng Bông');
  const res = await navigating(page, () => page.getByRole('button', { name: 'Tiếp nhận hồ sơ', exact: true }).click());
  assert.equal(res.status(), 200, await text(page.locator('main')));
  const m = new URL(page.url()).pathname.match(/^\/motcua\/dossiers\/([^/]+)\/receipt$/);
  assert.ok(m, `on the receipt, at ${page.url()}`);
  return decodeURIComponent(m[1]);
}

/** Receives a fresh dossier for the demo citizen; returns its code. */
async function receive(page) {
  await open(page, '/motcua/receive');
  await prefill(page);
  return submit(page);
}

/** Presses an action's button on the dossier page; asserts the 303 back to the dossier. */
async function act(page, code, name) {
  const redirects = [];
  const onResponse = (res) => {
    if (res.request().method() === 'POST' && res.url().includes('/act')) redirects.push(res);
  };
  page.on('response', onResponse);
  const res = await navigating(page, () => page.getByRole('button', { name, exact: true }).click());
  page.off('response', onResponse);
  assert.equal(redirects.length, 1, `one POST for "${name}"`);
  assert.equal(redirects[0].status(), 303, `"${name}" answers 303`);
  assert.equal(res.status(), 200);
  assert.equal(new URL(page.url()).pathname, `/motcua/dossiers/${code}`);
  assert.equal(await page.getByRole('alert').count(), 0, `"${name}" was not refused`);
}

const inboxPath = (role, filter) => `/motcua/?agency=${AGENCY}&role=${role}&filter=${filter}`;

const statusOf = async (page) => text(page.locator('dl.summary-list').first().locator('dt:has-text("Trạng thái") + dd'));

// ---------------------------------------------------------------- journeys

let received; // the code of the dossier received in the first journey

journey('receive in person: prefilled from the population database, a receipt with an appointment', async (page) => {
  await signedIn(page, '/motcua/receive');
  assert.equal(await h1(page), 'Tiếp nhận hồ sơ trực tiếp');
  await prefill(page);

  // The applicant, from the national population database, tagged as such.
  assert.equal(await field(page, 'applicant_full_name').inputValue(), 'Nguyễn Văn Minh');
  assert.match(await text(label(page, 'applicant_full_name')), /Lấy từ CSDL dân cư/);
  assert.equal(await field(page, 'applicant_id').inputValue(), MINH);
  assert.match(await text(label(page, 'applicant_id')), /Lấy từ CSDL dân cư/);
  // What only the citizen can say is left empty, untagged.
  for (const key of ['registration_case', 'new_residence_commune', 'new_residence_street']) {
    assert.equal(await field(page, key).inputValue(), '', `${key} is empty`);
    assert.doesNotMatch(await text(label(page, key)), /Lấy từ CSDL dân cư/);
  }

  received = await submit(page);
  assert.equal(await h1(page), 'Giấy tiếp nhận hồ sơ và hẹn trả kết quả');
  const panel = page.locator('main .panel');
  const value = (dt) => text(panel.locator(`dt:text-is("${dt}") + dd`));
  assert.match(received, /^000\.00\.92\.H26-\d{6}-\d{4}$/);
  assert.equal(await value('Mã hồ sơ'), received);
  assert.equal(await value('Người nộp hồ sơ'), `Nguyễn Văn Minh (số định danh cá nhân ${MINH})`);
  assert.match(await value('Thủ tục'), /^1\.004222 — /);
  assert.equal(await value('Cơ quan tiếp nhận'), AGENCY);
  assert.match(await value('Thời gian tiếp nhận'), /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
  assert.match(await value('Thời gian hẹn trả kết quả'), /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
});

journey('workflow from the inbox: accept, forward, approve, deliver', async (page) => {
  await signedIn(page, '/motcua/receive');
  const code = received ?? await receive(page);

  // The receptionist's "Mới" tab lists it.
  await open(page, inboxPath('receptionist', 'all'));
  assert.equal(await h1(page), 'Hồ sơ cần xử lý');
  await navigating(page, () => page.getByRole('navigation', { name: 'Bộ lọc hồ sơ' }).getByRole('link', { name: /^Mới/ }).click());
  assert.equal(new URL(page.url()).searchParams.get('filter'), 'new');
  const row = page.locator('tbody tr').filter({ hasText: code });
  assert.equal(await row.count(), 1, `${code} is in the receptionist's new dossiers`);
  assert.match(await text(row), /Nguyễn Văn Minh/);
  await navigating(page, () => row.getByRole('link', { name: code }).click());
  assert.equal(new URL(page.url()).pathname, `/motcua/dossiers/${code}`);
  assert.match(await h1(page), new RegExp(code.replace(/\./g, '\\.')));

  await act(page, code, 'Tiếp nhận');
  await act(page, code, 'Chuyển bước tiếp theo');
  await act(page, code, 'Phê duyệt');
  await act(page, code, 'Trả kết quả');

  assert.equal(await statusOf(page), 'Đã trả kết quả');
  const history = await text(page.locator('ol.timeline'));
  for (const step of ['Tiếp nhận', 'Chuyển bước tiếp theo', 'Phê duyệt', 'Trả kết quả']) {
    assert.match(history, new RegExp(`— ${step}:`), `the history lists "${step}"`);
  }
});

// The desk's pages, each in the state a check needs: the prefilled receive
// form, the receipt, the inbox listing the new dossier, and its page.
async function visitAll(page, step, check, { tap = false } = {}) {
  let code;
  await step('/motcua/receive (prefilled)', async () => {
    await signedIn(page, '/motcua/receive', { tap });
    await check('/motcua/receive');
    await prefill(page);
    await check('/motcua/receive (prefilled)');
  });
  await step('/motcua/dossiers/{code}/receipt', async () => {
    code = await submit(page);
    await check(`/motcua/dossiers/${code}/receipt`);
  });
  await step('/motcua/ (inbox)', async () => {
    await open(page, inboxPath('receptionist', 'new'));
    assert.equal(await page.locator('tbody tr').filter({ hasText: code }).count(), 1, `${code} is listed`);
    await check('/motcua/?role=receptionist&filter=new');
  });
  await step('/motcua/dossiers/{code}', async () => {
    await open(page, `/motcua/dossiers/${code}`);
    await check(`/motcua/dossiers/${code}`);
  });
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
    assert.equal(found.length, 0, `axe-core found serious/critical violations:\n${describeViolations(where, found)}`);
  };
  await visitAll(page, step, check);
  assert.deepEqual(reports, [], 'pages with accessibility violations');
});

journey('phone width (360 px): no sideways scrolling, and the sign-in works by touch', async (page, step) => {
  const fits = async (where) => {
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
      `${where}: the document is ${layout.scrollWidth} px wide on a ${PHONE.width} px screen; sticking out:\n  ${layout.culprits.join('\n  ')}`);
  };
  await visitAll(page, step, fits, { tap: true });
}, { viewport: PHONE, phone: true });

journey('official account: the Ba Đình receptionist signs in through the identity provider and lands on the ward\'s inbox', async (page, step) => {
  await step('sign-in page: both ways in, accessible', async () => {
    await open(page, '/motcua/');
    assert.match(page.url(), /\/motcua\/signin\?next=/, 'a signed-out official is sent to the sign-in');
    assert.equal(await h1(page), 'Đăng nhập cán bộ một cửa');
    await page.getByLabel('Mã quản trị').waitFor();
    const found = severe(await runAxe(page, ['wcag2a', 'wcag2aa']));
    assert.equal(found.length, 0, `axe-core found serious/critical violations:\n${describeViolations('/motcua/signin', found)}`);
  });
  await step('the provider\'s sign-in and consent', async () => {
    await navigating(page, () => page.getByRole('link', { name: 'Đăng nhập bằng tài khoản cán bộ' }).click());
    const issuer = new URL(platform.endpoints.identity).origin;
    assert.equal(new URL(page.url()).origin, issuer, `on the provider's sign-in page, at ${page.url()}`);
    await page.getByLabel('Số định danh cá nhân hoặc tên đăng nhập').fill(receptionist.username);
    await page.getByLabel('Mật khẩu', { exact: true }).fill(receptionist.password);
    await navigating(page, () => page.getByRole('button', { name: 'Đăng nhập', exact: true }).click());
    if (new URL(page.url()).pathname === '/login/consent') {
      await navigating(page, () => page.getByRole('button', { name: 'Đồng ý', exact: true }).click(), { url: (u) => u.href.startsWith(base) });
    }
  });
  await step('the ward\'s inbox, as the receptionist', async () => {
    const u = new URL(page.url());
    assert.equal(u.origin + u.pathname, `${base}/motcua/`, `on the inbox, at ${page.url()}`);
    assert.equal(await h1(page), 'Hồ sơ cần xử lý');
    assert.match(await text(page.locator('main')), new RegExp(AGENCY.replace(/\./g, '\\.')));
    assert.match(await text(page.locator('.signed-in')), new RegExp(receptionist.username.replace(/\./g, '\\.')));
    const roles = await page.getByLabel('Vai trò').locator('option').allInnerTexts();
    assert.equal(roles.length, 1, `only the receptionist's role is offered: ${roles}`);
  });
  await step('sign-out ends the provider\'s session too and comes back to the sign-in', async () => {
    await navigating(page, () => page.getByRole('button', { name: 'Đăng xuất' }).click(), { url: (u) => u.href.startsWith(`${base}/motcua/signin`) });
    assert.equal(await h1(page), 'Đăng nhập cán bộ một cửa');
    await navigating(page, () => page.getByRole('link', { name: 'Đăng nhập bằng tài khoản cán bộ' }).click());
    await page.getByLabel('Mật khẩu', { exact: true }).waitFor(); // the provider asks for the password again
  });
});
