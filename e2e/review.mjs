// What a reviewer does in the threatscribe web app, in Debian's Chromium driven by Playwright:
// paste the blog description, see the diagram and the findings, accept a finding with a
// justification, reload, add a second version, open the diff. A screenshot of each step goes
// to the directory given. Any failed check, page error or Content-Security-Policy violation
// exits non-zero.
//
// Usage: node review.mjs BASE_URL DESCRIPTION_FILE SCREENSHOT_DIR [CHROMIUM]

import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, descriptionFile, shots, executable = '/usr/bin/chromium'] = process.argv.slice(2);
const description = readFileSync(descriptionFile, 'utf8');
mkdirSync(shots, { recursive: true });

function check(condition, what) {
  if (!condition) { throw new Error('check failed: ' + what); }
  console.log('ok - ' + what);
}

const browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox', '--disable-gpu'] });
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => problems.push('page error: ' + error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') { problems.push('console: ' + message.text()); }
  });
  let step = 0;
  const shot = async (name) => {
    step += 1;
    await page.screenshot({ path: join(shots, `${step}-${name}.png`), fullPage: false });
  };

  // 1. Paste the description and name the model.
  await page.goto(base + '/');
  await page.fill('#name', 'Blog');
  await page.fill('#input', description);
  await shot('paste-description');
  await Promise.all([page.waitForURL(/\/models\/\d+\/versions\/1$/), page.click('#create button[type=submit]')]);

  // 2. The analysis: the diagram and the findings.
  check(await page.locator('.diagram svg').count() === 1, 'the data flow diagram is drawn');
  const rows = await page.locator('#findings tr.finding').count();
  check(rows > 20, `the findings table lists ${rows} findings`);
  check((await page.textContent('#f-count')).includes('shown'), "the report's script runs (served as a file)");
  check(await page.locator('text=SQL injection in Web application').count() > 0, 'SQL injection is among the findings');
  await shot('analysis');

  // 3. Accept a finding with a justification.
  const row = page.locator('#findings tr.finding', { hasText: 'WEB001@web-application' });
  await row.click();
  const form = page.locator('form.track[data-threat="WEB001@web-application"]');
  await form.locator('select[name=status]').selectOption('accepted');
  await form.locator('input[name=justification]').fill('Every query goes through SQLAlchemy; reviewed in SEC-42.');
  await form.locator('button[type=submit]').click();
  await form.locator('.saved', { hasText: 'saved: accepted' }).waitFor();
  check((await row.locator('span.status').textContent()) === 'accepted', 'the row shows the new status');
  const detail = page.locator('#findings tr.detail', { has: form });
  check((await detail.locator('p', { hasText: 'Status:' }).textContent()).includes('accepted (saved'), 'the detail shows the new status');
  await shot('finding-accepted');

  // 4. Reload: the decision is stored.
  await page.reload();
  const again = page.locator('#findings tr.finding', { hasText: 'WEB001@web-application' });
  check((await again.locator('span.status').textContent()) === 'accepted', 'after a reload the finding is still accepted');
  await again.click();
  const kept = await page.locator('form.track[data-threat="WEB001@web-application"] input[name=justification]').inputValue();
  check(kept.includes('SEC-42'), 'the justification is kept');
  await shot('after-reload');

  // 5. A second version of the same model.
  await page.goto(base + '/');
  await page.fill('#name', 'Blog');
  await page.fill('#input', description + ' The web application stores uploaded images in an Amazon S3 bucket.');
  await Promise.all([page.waitForURL(/\/models\/\d+\/versions\/2$/), page.click('#create button[type=submit]')]);
  check(await page.locator('text=Amazon S3').count() > 0, 'the second version has the S3 bucket');
  await shot('second-version');

  // 6. The diff between the two versions, from the history page.
  await page.click('text=history and diff');
  await page.selectOption('select[name=from]', '1');
  await page.selectOption('select[name=to]', '2');
  await Promise.all([page.waitForURL(/\/diff\?/), page.click('text=Show the differences')]);
  check((await page.textContent('h1')).includes('Version 1 → version 2'), 'the diff page opens');
  check(await page.locator('text=New findings').count() === 1, 'the diff lists new findings');
  await shot('diff');

  check(problems.length === 0, 'no page errors and no CSP violations' + (problems.length ? ': ' + problems.join('; ') : ''));
} finally {
  await browser.close();
}
