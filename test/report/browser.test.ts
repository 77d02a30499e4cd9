/**
 * The report in a real browser: headless Chromium (Debian package `chromium`) opens report.html from
 * disk and must render its plots and table without console errors, load nothing but the page itself,
 * and sort the front table when a header is clicked. A screenshot is saved in the test's temp dir (and
 * as docs/report-screenshot.png with MOHAQ_UPDATE_DOCS=1).
 *
 * Without Chromium the test fails with instructions; MOHAQ_SKIP_BROWSER=1 skips it on purpose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { writeReport } from '../../src/report/index.js';
import { ROOT } from '../helpers/cli.js';
import { writeSyntheticRun } from './fixtures.js';

const CHROMIUM = process.env.MOHAQ_CHROMIUM ?? '/usr/bin/chromium';
// without the background-networking flags Chromium keeps trying to reach Google on a closed network
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Text of column `col` of the front table, row by row, as the page shows it now. */
function columnValues(page: Page, col: number): Promise<string[]> {
  return page.$$eval(`#front-table tbody tr`, (rows, c) => rows.map((r) => r.querySelectorAll('td')[c]!.getAttribute('data-v') ?? ''), col);
}

test('the report renders in Chromium: plots, sortable table, no console errors, no network', async (t) => {
  if (process.env.MOHAQ_SKIP_BROWSER === '1') {
    t.skip('MOHAQ_SKIP_BROWSER=1');
    return;
  }
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}: install the Debian package (apt-get install -y chromium), point MOHAQ_CHROMIUM at a Chromium binary, or set MOHAQ_SKIP_BROWSER=1 to skip this test`,
  );

  const dir = join(mkdtempSync(join(tmpdir(), 'mohaq-browser-')), 'bitfusion-run');
  writeSyntheticRun(dir, { platform: 'bitfusion', generations: 30 });
  const { htmlPath, report } = await writeReport(dir);
  const url = pathToFileURL(htmlPath).href;

  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(url, { waitUntil: 'load' });

    // every plot is laid out with a real size
    const sizes = await page.$$eval('svg.plot', (svgs) => svgs.map((s) => s.getBoundingClientRect()).map((r) => [r.width, r.height]));
    assert.equal(sizes.length, report.svgs.length);
    for (const [w, h] of sizes) assert.ok(w! > 200 && h! > 150, `plot size ${w} x ${h}`);
    assert.ok((await page.$$eval('svg.plot title', (ts) => ts.length)) > 100, 'points carry tooltips');

    // the table: rows start sorted by PER; a click on "speedup" sorts by it, a second click reverses
    const headers = await page.$$eval('#front-table thead th', (ths) => ths.map((th) => th.textContent!.trim()));
    const per = headers.indexOf('PER (%)');
    const speedup = headers.indexOf('speedup');
    assert.ok(per > 0 && speedup > 0, headers.join(', '));
    const rows = (await columnValues(page, per)).map(Number);
    assert.ok(rows.length > 5);
    assert.deepEqual(rows, [...rows].sort((a, b) => a - b));
    await page.click(`#front-table thead th:nth-child(${speedup + 1})`);
    const ascending = (await columnValues(page, speedup)).map(Number);
    assert.deepEqual(ascending, [...ascending].sort((a, b) => a - b));
    assert.equal(await page.getAttribute(`#front-table thead th:nth-child(${speedup + 1})`, 'aria-sort'), 'ascending');
    await page.click(`#front-table thead th:nth-child(${speedup + 1})`);
    const descending = (await columnValues(page, speedup)).map(Number);
    assert.deepEqual(descending, [...ascending].reverse());
    await page.click('#front-table thead th:nth-child(1)');
    const ids = (await columnValues(page, 0)).map(Number);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    await page.click(`#front-table thead th:nth-child(${per + 1})`);
    assert.deepEqual((await columnValues(page, per)).map(Number), rows);

    await page.mouse.move(0, 0); // no hover highlight in the screenshot
    const shot = join(dir, 'report-screenshot.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 50_000);
    if (process.env.MOHAQ_UPDATE_DOCS === '1') {
      const docs = join(ROOT, 'docs');
      mkdirSync(docs, { recursive: true });
      await page.screenshot({ path: join(docs, 'report-screenshot.png'), clip: { x: 0, y: 0, width: 1280, height: 1500 }, fullPage: true });
      copyFileSync(shot, join(dir, 'report-screenshot-full.png'));
    }

    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [url], 'the page loads nothing but itself');
  } finally {
    await browser?.close();
  }
});
