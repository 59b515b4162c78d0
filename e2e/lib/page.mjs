// Page helpers shared by the browser tests (*.test.mjs): the `journey`
// wrapper that gives each test a fresh page and fails on browser-reported
// problems, and small helpers to open pages and read them.
//
//   const journey = createJourney({ browser: () => browser, skip, label: 'exchange' });
//   const open = opener(() => base);
//   journey('overview: …', async (page, step, context, problems) => { await open(page, '/'); … });

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { saveFailure } from './platform.mjs';

/** The time each journey may take. */
export const TEST_TIMEOUT_MS = 120_000;

/** A desktop viewport, the journeys' default. */
export const DESKTOP = { width: 1280, height: 900 };
/** A small phone's viewport (use with `phone: true`). */
export const PHONE = { width: 360, height: 740 };

/** The console errors that count as problems by default (CSP refusals, uncaught errors). */
export const CONSOLE_PROBLEMS = /Refused to|Uncaught/;

/**
 * Collects the problems the browser reports on page into the returned array:
 * uncaught exceptions, console errors matching `consoleProblems`, and
 * sub-resources (stylesheets, scripts, images…) that answer >= 400 or fail.
 */
export function watch(page, { consoleProblems = CONSOLE_PROBLEMS } = {}) {
  const problems = [];
  page.on('pageerror', (err) => problems.push(`${page.url()}: uncaught ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && consoleProblems.test(msg.text())) {
      problems.push(`${page.url()}: console: ${msg.text()}`);
    }
  });
  page.on('response', (res) => {
    if (res.request().resourceType() !== 'document' && res.status() >= 400) {
      problems.push(`${page.url()}: ${res.request().resourceType()} ${res.url()} answered ${res.status()}`);
    }
  });
  page.on('requestfailed', (req) => {
    // A load cut short because the user moved on to another page is no fault.
    if (req.failure()?.errorText === 'net::ERR_ABORTED') return;
    problems.push(`${page.url()}: ${req.resourceType()} ${req.url()} failed: ${req.failure()?.errorText}`);
  });
  return problems;
}

/**
 * Returns `journey(name, fn, { viewport, phone, skip })`: a node:test test
 * that gets a fresh browser context (locale vi-VN, no cookies, no history)
 * and page. Besides its own assertions it fails when the page throws, when
 * the browser refuses something (Content-Security-Policy), or when a
 * stylesheet, script or image fails to load. On failure the page's
 * screenshot and HTML are saved (saveFailure), named `${label} ${name}`.
 *
 * fn is called as fn(page, step, context, problems), where
 * step(stepName, body) runs a sub-test with its own screenshot on failure.
 *
 * @param {object} o
 * @param {() => import('playwright-core').Browser} o.browser  the browser, read when the test runs
 * @param {string|false} o.skip  node:test's skip for every journey (e.g. chromiumSkipReason())
 * @param {string} [o.label]  prefix of the failure files' names
 * @param {RegExp} [o.consoleProblems]  see watch()
 * @param {number} [o.timeout]
 */
export function createJourney({ browser, skip, label = '', consoleProblems = CONSOLE_PROBLEMS, timeout = TEST_TIMEOUT_MS }) {
  const named = (s) => (label ? `${label} ${s}` : s);
  return function journey(name, fn, { viewport = DESKTOP, phone = false, skip: skipThis = false } = {}) {
    test(name, { skip: skip || skipThis, timeout }, async (t) => {
      const context = await browser().newContext({
        locale: 'vi-VN',
        viewport,
        ...(phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
      });
      const page = await context.newPage();
      page.setDefaultTimeout(15_000);
      page.setDefaultNavigationTimeout(30_000);
      const problems = watch(page, { consoleProblems });
      // A sub-step (one page of a list of pages) with its own screenshot on failure.
      const step = (stepName, body) => t.test(stepName, async () => {
        try {
          await body();
        } catch (err) {
          await saveFailure(page, named(`${name.split(':')[0]} ${stepName}`));
          throw err;
        }
      });
      try {
        await fn(page, step, context, problems);
        assert.deepEqual(problems, [], 'the browser reported problems on these pages');
      } catch (err) {
        await saveFailure(page, named(name));
        throw err;
      } finally {
        await context.close();
      }
    });
  };
}

/**
 * Runs a user action that loads a new page; returns the document's response
 * (none when `url` is given: then it waits until a page whose URL matches
 * has loaded, at the end of redirects that leave this site).
 */
export async function navigating(page, action, { url } = {}) {
  const [res] = await Promise.all([
    url ? page.waitForURL(url, { waitUntil: 'load' }).then(() => null) : page.waitForNavigation({ waitUntil: 'load' }),
    action(),
  ]);
  if (!url) assert.ok(res, `no document response after the action (still at ${page.url()})`);
  return res;
}

/**
 * Returns `open(page, path, status = 200)`: loads base() + path (or path
 * itself when it is an absolute http(s) URL), asserts the HTTP status and
 * returns the response.
 */
export function opener(base) {
  return async function open(page, path, status = 200) {
    const res = await page.goto(path.startsWith('http') ? path : base() + path, { waitUntil: 'load' });
    assert.equal(res.status(), status, `GET ${path}: HTTP status`);
    return res;
  };
}

/** A locator's visible text, white space collapsed. */
export const text = async (locator) => (await locator.innerText()).replace(/\s+/g, ' ').trim();

/** The text of the page's h1, asserting there is exactly one. */
export async function h1(page) {
  const heading = page.getByRole('heading', { level: 1 });
  assert.equal(await heading.count(), 1, 'the page has exactly one h1');
  return text(heading);
}

/** The texts of the page's h2 headings. */
export const h2s = (page) => page.getByRole('heading', { level: 2 }).allInnerTexts();

/** The lang attribute of the document's <html>. */
export const htmlLang = (page) => page.locator('html').getAttribute('lang');

/**
 * Signs in with an administrator's token on the sign-in form the page is on
 * (field "Mã quản trị", button "Đăng nhập"), by tapping when `tap`; returns
 * the document's response.
 */
export async function signInWithToken(page, token, { tap = false } = {}) {
  const field = page.getByLabel('Mã quản trị');
  const button = page.getByRole('button', { name: 'Đăng nhập' });
  if (tap) await field.tap();
  await field.fill(token);
  return navigating(page, () => (tap ? button.tap() : button.click()));
}
