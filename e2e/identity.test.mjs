// Browser journeys through the identity provider's pages (the demo's
// `identity` address), in Debian's Chromium driven by playwright-core,
// against a real `vngov demo`:
//
//   - a public relying party's authorization-code flow with PKCE (S256) at
//     assurance level 2: the real sign-in form, the TOTP step (the code is
//     computed here, RFC 6238), the consent page, the redirect to the
//     client's callback (a small HTTP server in this process, on the demo
//     client's registered redirect URI http://127.0.0.1:8765/callback), the
//     code exchanged at the token endpoint, and the ID token's acr and amr;
//     then the account page, which lists the session and the service;
//   - a wrong password and an unknown personal ID get the same message;
//   - axe-core on the sign-in, TOTP, consent, sign-up and account pages;
//   - the sign-in at 360 px without sideways scrolling.
//
// Each test opens a fresh browser context (no cookies, no history); on
// failure it leaves a screenshot and the page's HTML in e2e/test-results/.

import assert from 'node:assert/strict';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { describeViolations, runAxe, severe } from './lib/a11y.mjs';
import { createJourney, PHONE, h1, navigating, opener, text } from './lib/page.mjs';
import { chromiumSkipReason, launchBrowser, startPlatform } from './lib/platform.mjs';
import { totp } from './lib/totp.mjs';

// The demo's public client (internal/identity/demo.go): code flow with PKCE,
// this exact redirect URI.
const CLIENT_ID = 'demo-public';
const CALLBACK_PORT = 8765;
const REDIRECT_URI = `http://127.0.0.1:${CALLBACK_PORT}/callback`;
const CLIENT_NAME = 'Ứng dụng mẫu Dịch vụ công (demo)';
const ACR_LEVEL2 = 'urn:vn:loa:2';

// internal/identity/signin.go errSignIn: one answer for every refusal.
const SIGNIN_FAILED = 'Số định danh (hoặc tên đăng nhập) hoặc mật khẩu không đúng. Hãy kiểm tra và nhập lại; nếu quên mật khẩu, hãy dùng chức năng Quên mật khẩu.';

// ---------------------------------------------------------------- the relying party's callback

/**
 * The client's redirect URI, served in this process on 127.0.0.1:8765: it
 * keeps each callback's query and answers with a small page. Listening
 * fails when the port is taken; the tests that need it are then skipped.
 */
function listenCallback() {
  const received = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, REDIRECT_URI);
    if (req.method === 'GET' && url.pathname === '/callback') {
      received.push(Object.fromEntries(url.searchParams));
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end('<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Ứng dụng mẫu</title></head><body><main><h1>Đã nhận mã cấp quyền</h1></main></body></html>');
      return;
    }
    res.writeHead(req.url === '/favicon.ico' ? 204 : 404);
    res.end();
  });
  return new Promise((resolve) => {
    server.once('error', (err) => resolve({ error: err }));
    server.listen({ port: CALLBACK_PORT, host: '127.0.0.1', exclusive: true }, () => resolve({ server, received }));
  });
}

const skip = chromiumSkipReason();
let callback = null;
let callbackSkip = false;
if (!skip) {
  callback = await listenCallback();
  if (callback.error) {
    callbackSkip = `127.0.0.1:${CALLBACK_PORT} is taken (${callback.error.code || callback.error.message}): ` +
      `the demo client's redirect URI ${REDIRECT_URI} cannot be served here, so the code-flow test is skipped; free the port and run again`;
    console.log(`e2e: SKIPPED (identity code flow): ${callbackSkip}`);
    callback = null;
  }
}

// ---------------------------------------------------------------- PKCE, JWT

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function pkce() {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
}

function decodeJWT(jwt) {
  const parts = jwt.split('.');
  assert.equal(parts.length, 3, 'a JWS in compact form');
  return {
    header: JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')),
    signed: Buffer.from(`${parts[0]}.${parts[1]}`),
    signature: Buffer.from(parts[2], 'base64url'),
  };
}

// ---------------------------------------------------------------- platform and browser

let platform;
let browser;
let base; // the identity provider's address, also its issuer
let discovery;
let minh; // the level-2 demo citizen: personal_id, password, totp_secret

before(async () => {
  if (skip) return;
  platform = await startPlatform();
  base = platform.endpoints.identity;
  assert.ok(base, `endpoints.json has no "identity" address: ${JSON.stringify(platform.endpoints)}`);
  const accounts = JSON.parse(await readFile(join(platform.dataDir, 'demo-accounts.json'), 'utf8'));
  const citizens = accounts.identity?.citizens ?? [];
  minh = citizens.find((c) => c.personal_id === '001089012345');
  assert.ok(minh?.password && minh?.totp_secret, 'demo-accounts.json has identity.citizens with 001089012345, his password and totp_secret');
  assert.equal(minh.level, 2);
  const client = accounts.identity.clients.find((c) => c.client_id === CLIENT_ID);
  assert.ok(client?.redirect_uris?.includes(REDIRECT_URI), `the demo client ${CLIENT_ID} has the redirect URI ${REDIRECT_URI}`);
  const res = await fetch(`${base}/.well-known/openid-configuration`);
  assert.equal(res.status, 200, 'discovery');
  discovery = await res.json();
  assert.equal(discovery.issuer, base);
  assert.ok(discovery.code_challenge_methods_supported.includes('S256'));
  assert.ok(discovery.acr_values_supported.includes(ACR_LEVEL2));
  browser = await launchBrowser();
}, { timeout: 600_000 }); // a cold `go build` can take minutes

after(async () => {
  await browser?.close();
  await platform?.stop();
  await new Promise((resolve) => (callback?.server ? callback.server.close(resolve) : resolve()));
});

const baseJourney = createJourney({
  browser: () => browser,
  skip,
  label: 'identity',
  consoleProblems: /Refused to|Uncaught|violates the following Content Security Policy/,
});

/** A journey (lib/page.mjs); with needsCallback it is skipped when the callback port is taken. */
function journey(name, fn, { needsCallback = false, ...options } = {}) {
  baseJourney(name, fn, { ...options, skip: needsCallback && callbackSkip });
}

const open = opener(() => base);

/** A fresh authorization request of the demo's public client. */
function authorizeURL({ scope = 'openid profile', acr = ACR_LEVEL2 } = {}) {
  const { verifier, challenge } = pkce();
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const u = new URL(discovery.authorization_endpoint);
  u.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(acr ? { acr_values: acr } : {}),
  }).toString();
  return { url: u.toString(), verifier, state, nonce };
}

/** Fills and sends the sign-in form; returns the document's response. */
async function signIn(page, username, password, { tap = false } = {}) {
  const user = page.getByLabel('Số định danh cá nhân hoặc tên đăng nhập');
  const pass = page.getByLabel('Mật khẩu', { exact: true });
  const button = page.getByRole('button', { name: 'Đăng nhập', exact: true });
  if (tap) await user.tap();
  await user.fill(username);
  if (tap) await pass.tap();
  await pass.fill(password);
  return navigating(page, () => (tap ? button.tap() : button.click()));
}

/** The sign-in error's text, or null when there is none. */
async function signinError(page) {
  const el = page.locator('#signin-error');
  return (await el.count()) ? text(el) : null;
}

// ---------------------------------------------------------------- journeys

journey('code flow at level 2: a public client with PKCE, password, TOTP and consent; then the account page', async (page, step, _context, problems) => {
  const req = authorizeURL({ scope: 'openid profile', acr: ACR_LEVEL2 });
  let code;

  await step('sign-in form', async () => {
    await open(page, req.url);
    assert.match(page.url(), new RegExp(`^${base}/login\\?authRequestID=`), 'the authorization request leads to the sign-in page');
    assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
    assert.equal(await h1(page), 'Đăng nhập');
    assert.match(await text(page.locator('main .lead')), new RegExp(`Đăng nhập để sử dụng ${CLIENT_NAME.replace(/[()]/g, '\\$&')}\\.`));
    assert.match(await text(page.locator('main .notice')), /yêu cầu xác thực mức 2/);
    assert.equal(await page.getByLabel('Mật khẩu', { exact: true }).getAttribute('type'), 'password');
    const res = await signIn(page, minh.personal_id, minh.password);
    assert.equal(res.status(), 200);
  });

  await step('TOTP step', async () => {
    assert.match(page.url(), new RegExp(`^${base}/login/otp\\?authRequestID=`), 'the password leads to the second factor');
    assert.equal(await h1(page), 'Xác thực hai lớp');
    assert.match(await text(page.locator('main .lead')), /yêu cầu xác thực mức 2/);
    const field = page.getByLabel('Mã xác thực');
    assert.equal(await field.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await field.getAttribute('inputmode'), 'numeric');
    // Not in the last second of a 30 s step: the code is used at once.
    if (Date.now() % 30_000 > 28_500) await new Promise((r) => setTimeout(r, 30_000 - (Date.now() % 30_000) + 100));
    await field.fill(totp(minh.totp_secret));
    const res = await navigating(page, () => page.getByRole('button', { name: 'Xác nhận' }).click());
    assert.equal(res.status(), 200);
  });

  await step('consent', async () => {
    assert.match(page.url(), new RegExp(`^${base}/login/consent\\?authRequestID=`), 'a first use of the service asks for consent');
    assert.equal(await h1(page), 'Đồng ý cung cấp thông tin');
    assert.equal(await text(page.locator('#consent-client')), CLIENT_NAME);
    assert.match(await text(page.locator('#consent-purpose')), /Nhận biết bạn khi nộp/);
    assert.match(await text(page.locator('#consent-scopes')), /Họ và tên, ngày sinh, giới tính/);
    const before = callback.received.length;
    try {
      await navigating(page, () => page.getByRole('button', { name: 'Đồng ý', exact: true }).click(), { url: (u) => u.href.startsWith(REDIRECT_URI) });
    } catch (err) {
      await page.waitForTimeout(500); // the browser's console message, if any
      // A browser applies the consent page's form-action directive to every
      // redirect that follows the form, the last one to the client included.
      assert.fail(`after "Đồng ý" the browser did not reach the client's redirect URI ${REDIRECT_URI} (still at ${page.url()}): ${err.message.split('\n')[0]}` +
        `${problems.length ? `\n  the browser reported:\n  ${problems.join('\n  ')}` : ''}`);
    }
    assert.equal(callback.received.length, before + 1, 'the client received one callback');
    const got = callback.received.at(-1);
    assert.equal(got.state, req.state, 'the state comes back');
    assert.ok(got.code, `a code, not an error: ${JSON.stringify(got)}`);
    assert.equal(new URL(page.url()).searchParams.get('code'), got.code);
    assert.equal(got.iss ?? base, base, 'the iss parameter, when sent, is the issuer');
    code = got.code;
  });

  await step('code exchange and ID token', async () => {
    assert.ok(code, 'no authorization code: the flow did not reach the client');
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: CLIENT_ID, code_verifier: req.verifier };
    const res = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams(form),
    });
    const body = await res.json();
    assert.equal(res.status, 200, `token endpoint: ${JSON.stringify(body)}`);
    assert.equal(body.token_type.toLowerCase(), 'bearer');
    assert.ok(body.access_token, 'an access token');
    assert.ok(body.id_token, 'an ID token');

    const jwt = decodeJWT(body.id_token);
    const claims = jwt.payload;
    assert.equal(claims.acr, ACR_LEVEL2, `acr: ${JSON.stringify(claims)}`);
    assert.ok(Array.isArray(claims.amr) && claims.amr.includes('otp'), `amr includes otp: ${JSON.stringify(claims.amr)}`);
    assert.ok(claims.amr.includes('pwd'), `amr includes pwd: ${JSON.stringify(claims.amr)}`);
    assert.equal(claims.iss, base);
    assert.ok([claims.aud].flat().includes(CLIENT_ID), `aud ${JSON.stringify(claims.aud)}`);
    assert.equal(claims.nonce, req.nonce, 'the nonce comes back');
    assert.ok(claims.exp * 1000 > Date.now(), 'not expired');
    assert.equal(claims.name, 'Nguyễn Văn Minh', 'the profile scope gives the name');
    assert.notEqual(claims.sub, minh.personal_id, 'the subject is not the personal ID (pairwise)');

    // The signature, with the provider's published key.
    const jwks = await (await fetch(discovery.jwks_uri)).json();
    const jwk = jwks.keys.find((k) => k.kid === jwt.header.kid);
    assert.ok(jwk, `the ID token's key ${jwt.header.kid} is published`);
    assert.equal(jwt.header.alg, 'RS256');
    assert.ok(verify('sha256', jwt.signed, createPublicKey({ key: jwk, format: 'jwk' }), jwt.signature), 'the ID token signature verifies');

    // The code is single-use.
    const again = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    assert.equal(again.status, 400, 'a code is exchanged once only');
    await again.arrayBuffer();
  });

  await step('account page: the session and the connected service', async () => {
    await open(page, '/account');
    assert.equal(await h1(page), 'Tài khoản của tôi');
    const sessions = page.getByRole('region', { name: 'Phiên đăng nhập' }).locator('tbody tr');
    const current = sessions.filter({ hasText: 'Phiên này' });
    assert.equal(await current.count(), 1, 'this browser\'s session is listed, marked as the current one');
    const cells = await current.locator('td').allInnerTexts();
    assert.match(cells[1], /Chrome/, 'with the browser');
    assert.equal(cells[2], '127.0.0.1', 'with the address');
    assert.equal(cells[3], '2', 'at level 2');
    const services = page.getByRole('region', { name: 'Dịch vụ đã kết nối' }).locator('tbody tr');
    const row = services.filter({ hasText: CLIENT_NAME });
    assert.equal(await row.count(), 1, 'the service just used is listed');
    assert.match(await text(row), /Nhận biết bạn khi nộp/);
    assert.match(await text(row), /Họ và tên, ngày sinh, giới tính/);
    await row.getByRole('button', { name: 'Rút lại đồng ý' }).waitFor();
  });
}, { needsCallback: true });

journey('wrong password and unknown personal ID: the same Vietnamese message (no account enumeration)', async (page, _step, context) => {
  await open(page, '/login');
  assert.equal(await h1(page), 'Đăng nhập');

  // Minh exists; the password is wrong.
  let res = await signIn(page, minh.personal_id, `${minh.password}-sai`);
  assert.equal(res.status(), 401);
  const wrongPassword = await signinError(page);
  const wrongHeading = await text(page.getByRole('alert').getByRole('heading'));
  assert.equal(await page.getByLabel('Số định danh cá nhân hoặc tên đăng nhập').inputValue(), minh.personal_id, 'the ID typed is kept');
  assert.equal(await page.getByLabel('Mật khẩu', { exact: true }).inputValue(), '', 'the password is not sent back');

  // A well-formed personal ID with no account.
  res = await signIn(page, '001089099999', 'mot-mat-khau-bat-ky-1');
  assert.equal(res.status(), 401);
  const unknown = await signinError(page);
  const unknownHeading = await text(page.getByRole('alert').getByRole('heading'));

  assert.equal(wrongPassword, SIGNIN_FAILED);
  assert.equal(unknown, wrongPassword, 'an unknown personal ID and a wrong password get the same message');
  assert.equal(unknownHeading, wrongHeading);
  assert.equal(wrongHeading, 'Chưa đăng nhập được');
  assert.equal((await context.cookies()).some((c) => c.name === 'vngov_id_session'), false, 'no session after refusals');
});

journey('accessibility: no serious or critical axe-core violations (WCAG 2 A/AA) on sign-in, TOTP, consent, sign-up and account', async (page, step) => {
  const reports = [];
  const check = async (label) => {
    const found = severe(await runAxe(page, ['wcag2a', 'wcag2aa']));
    if (found.length) {
      const report = describeViolations(label, found);
      reports.push(report);
      console.log(`e2e: axe-core violations on ${report}`);
    }
  };

  await step('sign-in', async () => {
    await open(page, '/login');
    await check('/login');
    await open(page, authorizeURL({ scope: 'openid profile email' }).url);
    await check('/login?authRequestID=… (level 2)');
    const res = await signIn(page, minh.personal_id, 'khong-phai-mat-khau');
    assert.equal(res.status(), 401);
    await check('/login (401, wrong password)');
  });
  await step('TOTP', async () => {
    const res = await signIn(page, minh.personal_id, minh.password);
    assert.equal(res.status(), 200);
    assert.match(page.url(), /\/login\/otp\?/);
    await check('/login/otp');
    // Five digits: never a valid code.
    await page.getByLabel('Mã xác thực').fill('12345');
    const res2 = await navigating(page, () => page.getByRole('button', { name: 'Xác nhận' }).click());
    assert.equal(res2.status(), 422);
    await page.locator('#otp-error').waitFor();
    await check('/login/otp (422, wrong code)');
  });
  await step('consent', async () => {
    // Level 1 is enough for this request; the session has it. The email
    // scope has not been agreed to, so the consent page comes.
    await open(page, authorizeURL({ scope: 'openid email', acr: '' }).url);
    assert.match(page.url(), /\/login\/consent\?/, `consent expected, at ${page.url()}`);
    await check('/login/consent');
  });
  await step('account', async () => {
    await open(page, '/account');
    assert.equal(await h1(page), 'Tài khoản của tôi');
    await check('/account');
  });
  await step('sign-up', async () => {
    await open(page, '/signup');
    await check('/signup');
    const res = await navigating(page, () => page.getByRole('button', { name: 'Đăng ký', exact: true }).click());
    assert.equal(res.status(), 422);
    await check('/signup (422)');
  });
  assert.deepEqual(reports, [], 'pages with accessibility violations');
});

journey('phone width (360 px): the sign-in does not scroll sideways, and works by touch', async (page, step) => {
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
        if (el.closest('.table-scroll') && !['absolute', 'fixed'].includes(getComputedStyle(el).position)) continue;
        if (r.width > 0 || ['absolute', 'fixed'].includes(getComputedStyle(el).position)) {
          culprits.push(`${describe(el)} right edge at ${Math.round(r.right)} px`);
        }
      }
      return { scrollWidth: document.documentElement.scrollWidth, culprits: culprits.slice(0, 10) };
    });
    assert.ok(layout.scrollWidth <= PHONE.width,
      `${label}: the document is ${layout.scrollWidth} px wide on a ${PHONE.width} px screen; sticking out:\n  ${layout.culprits.join('\n  ')}`);
  };
  await step('/login', async () => {
    await open(page, '/login');
    await fits('/login');
  });
  await step('/login for a level-2 service', async () => {
    await open(page, authorizeURL().url);
    await fits('/login?authRequestID=… (level 2)');
  });
  await step('/login with the error, by touch', async () => {
    const res = await signIn(page, '001089099999', 'mot-mat-khau-bat-ky-1', { tap: true });
    assert.equal(res.status(), 401);
    assert.equal(await signinError(page), SIGNIN_FAILED);
    await fits('/login (401)');
    const res2 = await signIn(page, minh.personal_id, minh.password, { tap: true });
    assert.equal(res2.status(), 200);
    assert.match(page.url(), /\/login\/otp\?/, 'the password by touch leads to the second factor');
    await fits('/login/otp');
  });
}, { viewport: PHONE, phone: true });
