// axe-core, run inside the page under test.
//
// The script is evaluated through the DevTools protocol rather than added as
// a <script> element, so the pages' Content-Security-Policy (script-src
// 'self') stays in force exactly as users get it.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let axeSource;

/** Runs axe-core on the page with the given tags; returns its results. */
export async function runAxe(page, tags = ['wcag2a', 'wcag2aa']) {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = await page.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await page.evaluate(`${axeSource}\n;void 0`);
  return page.evaluate(
    (values) => window.axe.run(document, { runOnly: { type: 'tag', values }, resultTypes: ['violations'] }),
    tags,
  );
}

/** The violations whose impact is in `impacts`. */
export function severe(results, impacts = ['serious', 'critical']) {
  return results.violations.filter((v) => impacts.includes(v.impact));
}

/** A report a developer can act on: rule, impact, help, link, and each node. */
export function describeViolations(url, violations) {
  const lines = [];
  for (const v of violations) {
    lines.push(`  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`);
    for (const n of v.nodes.slice(0, 10)) {
      lines.push(`    at ${JSON.stringify(n.target)}`);
      lines.push(`       ${n.html.replace(/\s+/g, ' ').slice(0, 200)}`);
      if (n.failureSummary) {
        for (const l of n.failureSummary.split('\n')) lines.push(`       ${l.trim()}`);
      }
    }
    if (v.nodes.length > 10) lines.push(`    … and ${v.nodes.length - 10} more nodes`);
  }
  return `${url}\n${lines.join('\n')}`;
}
