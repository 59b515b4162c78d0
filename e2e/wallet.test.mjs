// Browser journeys through signed electronic results and the citizen's
// data wallet on the portal, in Debian's Chromium driven by playwright-core,
// against a real `vngov demo`:
//   - the public verification page of the seeded result (the QR code's
//     target): genuine, in Vietnamese and English, at phone width;
//   - checking files there: the file as issued (genuine and unaltered), the
//     same file with one byte changed (altered), a PDF from elsewhere (not
//     issued here), an image (refused, with a plain message);
//   - the wallet of the demo citizen, signed in on the portal through the
//     identity provider: the seeded result, its page and download, the
//     consents, and "Ai đã xem dữ liệu của tôi" listing a read made over the
//     exchange for a dossier;
//   - axe-core (no serious or critical violation) and no sideways scrolling
//     at 360 px on every page.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { describeViolations, runAxe, severe } from './lib/a11y.mjs';
import { createJourney, PHONE, h1, htmlLang, navigating, opener, text } from './lib/page.mjs';
import { chromiumSkipReason, launchBrowser, startPlatform } from './lib/platform.mjs';

const skip = chromiumSkipReason();

const MINH = '001089012345'; // the demo citizen

let platform;
let browser;
let base; // the portal
let identity;
let adminToken;
let minh; // personal_id, password, totp_secret
let uri; // the seeded result
let examples;

before(async () => {
  if (skip) return;
  platform = await startPlatform();
  base = platform.endpoints.portal;
  identity = platform.endpoints.identity;
  examples = platform.endpoints.examples ?? {};
  assert.ok(base, `endpoints.json has no "portal" address: ${JSON.stringify(platform.endpoints)}`);
  const accounts = JSON.parse(await readFile(join(platform.dataDir, 'demo-accounts.json'), 'utf8'));
  adminToken = accounts.admin?.token;
  minh = accounts.identity?.citizens?.find((c) => c.personal_id === MINH);
  assert.ok(adminToken && minh?.password, 'demo-accounts.json has the admin token and the demo citizen');
  const ex = examples['result-verify'];
  assert.ok(ex, 'endpoints.json has the result-verify example');
  uri = decodeURIComponent(new URL(ex.url).pathname.split('/').pop());
  browser = await launchBrowser();
}, { timeout: 600_000 }); // a cold `go build` can take minutes

after(async () => {
  await browser?.close();
  await platform?.stop();
});

const journey = createJourney({ browser: () => browser, skip, label: 'wallet' });
const open = opener(() => base);

/** Fails on serious or critical axe-core violations. */
async function axeClean(page) {
  const bad = severe(await runAxe(page));
  assert.deepEqual(bad, [], describeViolations(page.url(), bad));
}

/** Fails when the page scrolls sideways (at 360 px). */
async function fitsWidth(page) {
  const [scroll, client] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
  assert.ok(scroll <= client + 1, `${page.url()}: the page is ${scroll} px wide in a ${client} px viewport`);
}

/** The seeded result's file as issued, through the holder's API. */
async function issuedFile() {
  const res = await fetch(`${base}/result/v1/documents/${encodeURIComponent(uri)}/file`, {
    headers: { Authorization: `Bearer ${adminToken}`, 'X-Vngov-Applicant': MINH },
  });
  assert.equal(res.status, 200, 'the holder downloads the document');
  return Buffer.from(await res.arrayBuffer());
}

/** Checks a file on the verification form; returns the verdict's heading. */
async function check(page, name, mimeType, buffer, status = 200) {
  await page.getByLabel('Tệp PDF của giấy tờ').setInputFiles({ name, mimeType, buffer });
  const res = await navigating(page, () => page.getByRole('button', { name: 'Kiểm tra tệp' }).click());
  assert.equal(res.status(), status, `checking ${name}: HTTP status`);
  const verdict = page.locator('#verdict-title');
  return (await verdict.count()) ? text(verdict) : null;
}

// ---------------------------------------------------------------- TOTP (RFC 6238)

function base32Decode(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of s.toUpperCase().replace(/[\s=]/g, '')) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

function totp(secret, ms = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 30_000)));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const bin = mac.readUInt32BE(mac[mac.length - 1] & 0x0f) & 0x7fffffff;
  return String(bin % 1_000_000).padStart(6, '0');
}

/**
 * Opens a wallet page signed out: the portal sends the citizen to sign in
 * at the identity provider (password, then the TOTP code and the consent
 * when asked) and brings them back to the page.
 */
async function signedIn(page, path) {
  await page.goto(base + path, { waitUntil: 'load' });
  assert.ok(page.url().startsWith(`${identity}/login`), `a signed-out citizen is sent to sign in (at ${page.url()})`);
  await page.getByLabel('Số định danh cá nhân hoặc tên đăng nhập').fill(MINH);
  await page.getByLabel('Mật khẩu', { exact: true }).fill(minh.password);
  await navigating(page, () => page.getByRole('button', { name: 'Đăng nhập', exact: true }).click());
  if (page.url().startsWith(`${identity}/login/otp`)) {
    if (Date.now() % 30_000 > 28_500) await page.waitForTimeout(30_000 - (Date.now() % 30_000) + 100);
    await page.getByLabel('Mã xác thực').fill(totp(minh.totp_secret));
    await navigating(page, () => page.getByRole('button', { name: 'Xác nhận' }).click());
  }
  if (page.url().startsWith(`${identity}/login/consent`)) {
    await navigating(page, () => page.getByRole('button', { name: 'Đồng ý', exact: true }).click(), { url: (u) => u.href.startsWith(base) });
  }
  const u = new URL(page.url());
  assert.equal(u.origin + u.pathname, base + path, `back on the page after signing in (at ${page.url()})`);
}

// ---------------------------------------------------------------- journeys

journey('verification page: the seeded result is genuine (the QR code\'s target)', async (page, step) => {
  await step('Vietnamese', async () => {
    await open(page, `/xac-thuc/${encodeURIComponent(uri)}`);
    assert.equal(await htmlLang(page), 'vi');
    assert.equal(await h1(page), 'Kiểm tra giấy tờ điện tử');
    assert.equal(await text(page.locator('#verdict-title')), 'Giấy tờ thật');
    const main = await text(page.locator('main'));
    assert.match(main, /Trích lục khai sinh/);
    assert.match(main, /Ủy ban nhân dân Phường Ba Đình/);
    assert.match(main, /Nguyễn V\*\*\* M\*\*\*/, 'the holder is partly masked');
    assert.doesNotMatch(main, /Nguyễn Văn Minh|001089012345/, 'no full name or id on a public page');
    assert.match(main, /Còn hiệu lực/);
    await axeClean(page);
  });
  await step('English', async () => {
    await open(page, `/xac-thuc/${encodeURIComponent(uri)}?lang=en`);
    assert.equal(await htmlLang(page), 'en');
    assert.equal(await text(page.locator('#verdict-title')), 'Genuine document');
    await axeClean(page);
  });
  await step('a code that was never issued', async () => {
    await open(page, '/xac-thuc/000.00.92.H26-TLKS-AAAAAAAAAAAAAAAA?lang=vi', 404);
    assert.equal(await text(page.locator('#verdict-title')), 'Không do hệ thống này cấp');
  });
  await step('the JSON', async () => {
    const res = await fetch(examples['result-verify'].url);
    const v = await res.json();
    assert.equal(res.status, 200);
    assert.equal(v.genuine, true);
    assert.equal(v.status, 'genuine');
  });
});

journey('verification page at phone width: lookup by code, then the page', async (page) => {
  await open(page, '/xac-thuc');
  await fitsWidth(page);
  await axeClean(page);
  await page.getByLabel('Mã giấy tờ').tap();
  await page.getByLabel('Mã giấy tờ').fill(uri.toLowerCase());
  await navigating(page, () => page.getByRole('button', { name: 'Tra cứu' }).tap());
  assert.equal(new URL(page.url()).pathname, `/xac-thuc/${uri}`);
  assert.equal(await text(page.locator('#verdict-title')), 'Giấy tờ thật');
  await fitsWidth(page);
  await axeClean(page);
}, { viewport: PHONE, phone: true });

journey('checking files: as issued, one byte changed, from elsewhere, not a PDF', async (page, step) => {
  const pdf = await issuedFile();
  await step('the file as issued', async () => {
    await open(page, '/xac-thuc');
    assert.equal(await check(page, 'trich-luc.pdf', 'application/pdf', pdf), 'Giấy tờ thật, tệp chưa bị sửa đổi');
    await axeClean(page);
  });
  await step('one byte changed', async () => {
    const bad = Buffer.from(pdf);
    bad[Math.floor(bad.length / 2)] ^= 0x01;
    assert.equal(await check(page, 'trich-luc.pdf', 'application/pdf', bad), 'Tệp này đã bị sửa đổi');
    assert.match(await text(page.locator('main')), /Đừng tin vào nội dung của tệp/);
  });
  await step('a PDF from elsewhere', async () => {
    const other = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
    assert.equal(await check(page, 'khac.pdf', 'application/pdf', other), 'Không do hệ thống này cấp');
  });
  await step('not a PDF', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)]);
    assert.equal(await check(page, 'anh.pdf', 'application/pdf', png, 422), null);
    assert.match(await text(page.locator('.error-summary')), /Chỉ kiểm tra được tệp PDF/);
    assert.equal(await page.locator('#file').getAttribute('aria-invalid'), 'true');
    await axeClean(page);
  });
});

journey('the wallet: the seeded result, its page and download, consents, who looked at my data', async (page, step) => {
  // A read of the citizen's record over the exchange, for a dossier: the
  // tracker must list it.
  const lookup = examples['person-lookup'];
  assert.ok(lookup, 'endpoints.json has the person-lookup example');
  const res = await fetch(lookup.url, { headers: lookup.headers });
  assert.equal(res.status, 200, 'the person-lookup example answers');
  const purpose = lookup.headers['X-Road-Issue'];

  await step('signed out, sent to sign in and back', async () => {
    await signedIn(page, '/kho-du-lieu/');
  });
  await step('the list', async () => {
    assert.equal(await h1(page), 'Kho dữ liệu của tôi');
    const main = await text(page.locator('main'));
    assert.match(main, /Trích lục khai sinh \(bản sao\)/);
    assert.match(main, /Ủy ban nhân dân Phường Ba Đình/);
    await axeClean(page);
  });
  await step('the document', async () => {
    await navigating(page, () => page.getByRole('link', { name: 'Trích lục khai sinh (bản sao)' }).click());
    assert.equal(await h1(page), 'Trích lục khai sinh (bản sao)');
    assert.match(await text(page.locator('main')), new RegExp(uri.replace(/\./g, '\\.')));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Tải xuống' }).click()]);
    assert.equal(download.suggestedFilename(), `${uri}.pdf`);
    await axeClean(page);
    await navigating(page, () => page.getByRole('link', { name: 'Xem trang kiểm tra tính xác thực của giấy tờ' }).click());
    assert.equal(await text(page.locator('#verdict-title')), 'Giấy tờ thật');
  });
  await step('consents', async () => {
    await open(page, '/kho-du-lieu/dong-y');
    assert.equal(await h1(page), 'Sự đồng ý đã cho');
    // The consent given at the identity provider while signing in.
    assert.match(await text(page.locator('main')), /Cổng Dịch vụ công quốc gia/);
    await axeClean(page);
  });
  await step('who looked at my data', async () => {
    await open(page, '/kho-du-lieu/ai-da-xem');
    assert.equal(await h1(page), 'Ai đã xem dữ liệu của tôi');
    const table = await text(page.locator('table'));
    assert.match(table, /Ủy ban nhân dân Thành phố Hà Nội/);
    assert.ok(table.includes(purpose), `the read for ${purpose} is listed`);
    assert.equal(await page.getByRole('link', { name: purpose }).first().getAttribute('href'), `/ho-so/${purpose}`);
    await axeClean(page);
  });
});

journey('the wallet at phone width, in English', async (page, step) => {
  await signedIn(page, '/kho-du-lieu/');
  for (const path of ['/kho-du-lieu/?lang=en', '/kho-du-lieu/dong-y', '/kho-du-lieu/ai-da-xem']) {
    await step(path, async () => {
      await open(page, path);
      await fitsWidth(page);
      await axeClean(page);
    });
  }
  assert.equal(await htmlLang(page), 'en', 'the language chosen stays');
}, { viewport: PHONE, phone: true });
