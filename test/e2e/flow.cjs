#!/usr/bin/env node
// The whole flow in a real VS Code, as a user sees it (issue #8): the packaged .vsix installed into
// code-server on 127.0.0.1, a fresh copy of the example workspace, the demo model and the demo Nango
// stand-in, driven through the UI with Playwright and headless Debian chromium.
//
//   npm run test:e2e          (after `npm run package`; `npm test` runs it last)
//   node test/e2e/flow.cjs
//
// Steps (a screenshot of each goes to <run>/screenshots/NN-name.png):
//   open interactions.json → right-click inside the create-event entry → Generate Interaction → the
//   Agents panel shows the agent's tool calls live → the tree says needs review → Verify All from the
//   palette → verified → Review Interaction (the multi-file diff against the scaffold) → Accept →
//   Assemble Integration → the script is read back from the project on disk; then a dishonest demo agent
//   on update-event: its fixture edit is reverted, the violation shows in the panel, Verify marks it
//   failed; its review shows the findings as comments, feedback goes to its agent as a new turn the
//   panel streams, and Assemble again takes only the accepted interaction.
// Exit code: 0 passed; 1 a step failed (the failure screenshot and logs are in the run dir); 2 harness error.
// Env: IB_SKIP_TOOLS=1 (tools already installed), IB_KEEP_RUNS (default 5), IB_E2E_HEADFUL=1 (no).
//      IB_LOAD (loaded mode: busy loops on this many cores, `cores`: all, while the flow runs; test/support/load.cjs).
'use strict';
const path = require('path');
const fs = require('fs');
const cs = require('../support/code-server.cjs');

const REPO = path.resolve(__dirname, '..', '..');
const RUNS = path.join(REPO, '.test-runs');
const VSIX = path.join(REPO, 'out', 'integration-builder.vsix');
const t0 = Date.now();
const log = (msg) => console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
const CHEATER = 'google-calendar/update-event';

class StepFailed extends Error {}

async function main() {
  if (!process.env.IB_SKIP_TOOLS) cs.ensureTools();
  else cs.assertTools();
  // Loaded mode starts once the tools are in place: it loads the tests, not the install.
  require('../support/load.cjs').startLoad(log);
  if (!fs.existsSync(VSIX)) throw new Error(`${path.relative(REPO, VSIX)} not found: run \`npm run package\` first`);
  cs.pruneRuns(RUNS, 'e2e-', Number(process.env.IB_KEEP_RUNS || 5));
  // Inside the repo, so the work folders resolve nango, zod and vitest from its node_modules (as a
  // user's Nango project would provide them).
  const run = cs.newRunDir(RUNS, 'e2e-');
  const shots = path.join(run, 'screenshots');
  fs.mkdirSync(shots, { recursive: true });
  const { dir: workspace } = cs.prepareWorkspace(REPO, path.join(run, 'workspace'));
  log(`run dir ${path.relative(REPO, run)}`);
  log(cs.installVsix(run, VSIX).split('\n').pop());
  const server = await cs.startCodeServer({
    run,
    folder: workspace,
    smokeTestDriver: false,
    settings: {
      'integrationBuilder.demoModel': true,
      'integrationBuilder.demoCheaters': [CHEATER],
      'integrationBuilder.concurrency': 2,
      // The pinned opencode from the repo's dev dependencies (the extension would otherwise offer to install it).
      'integrationBuilder.opencode.path': path.join(REPO, 'node_modules/opencode-ai/bin/opencode.exe'),
      'workbench.colorTheme': 'Default Dark Modern',
    },
  });
  log(`code-server on ${server.authority} in ${(server.startupMs / 1000).toFixed(1)}s`);
  const browser = await cs.launchBrowser(path.join(run, 'chrome-profile'), { viewport: { width: 1600, height: 1000 } });
  const page = browser.pages()[0] || (await browser.newPage());
  const consoleLines = [];
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  let n = 0;
  const shot = async (name) => {
    const file = path.join(shots, `${String(++n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file });
    log(`screenshot ${path.relative(REPO, file)}`);
  };
  const ui = new Workbench(page);
  let failed = false;
  try {
    await page.goto(cs.workbenchUrl(server, { folder: workspace }));
    await page.locator('.monaco-workbench').waitFor({ timeout: 90000 });
    await ui.openContainer();
    await ui.treeRow('Google Calendar').waitFor({ timeout: 60000 });
    await shot('workbench');

    // 1. Open the spec; right-click inside the create-event entry → Generate Interaction.
    await ui.quickOpen('interactions.json');
    await ui.rightClickOnText('"create-event"');
    await shot('context-menu');
    await ui.clickContextMenuItem('Generate Interaction');

    // 2. The Agents panel shows the agent working: tool calls appear live.
    const panel = ui.agentsPanel();
    await panel.locator('text=google-calendar/create-event').first().waitFor({ timeout: 90000 });
    await panel.locator('text=/record_fixture|write/').first().waitFor({ timeout: 120000 });
    await shot('agents-panel-live');

    // 3. It finishes: the tree says needs review.
    await ui.expandTree('Google Calendar');
    await ui.waitForRowDescription('Create Event', /needs review/, 240000);
    await shot('needs-review');

    // 4. Verify All from the palette → verified.
    await ui.runCommand('Integration Builder: Verify All');
    await ui.waitForRowDescription('Create Event', /verified/, 300000);
    await shot('verified');

    // 5. Review: what the agent changed against the scaffold in VS Code's multi-file diff; then Accept
    //    (Assemble takes verified and accepted interactions).
    //    From the Agents panel, as a user at the end of a run would: select the agent, its Review button.
    await panel.locator('.agent', { hasText: 'google-calendar/create-event' }).click();
    await panel.locator('.action-review').click();
    await page.locator('.tabs-container .tab', { hasText: 'Review google-calendar/create-event' }).first().waitFor({ timeout: 60000 });
    await ui.notification(/google-calendar\/create-event: \d+ file\(s\) changed against the scaffold · verification: verified/).waitFor({ timeout: 30000 });
    await shot('review-diff');
    await panel.locator('.action-accept').click();
    await ui.waitForRowDescription('Create Event', /verified · accepted|accepted/, 60000);
    await shot('accepted');

    // 6. Assemble Integration → the script is in the project on disk.
    await ui.runCommand('Integration Builder: Assemble Integration');
    await ui.pickQuickItem('google-calendar');
    const assembled = await waitForFile(workspace, /google-calendar\/actions\/create-event\.ts$/, 240000);
    const source = fs.readFileSync(assembled, 'utf8');
    if (!source.includes('createAction')) throw new StepFailed(`${assembled} does not hold the action:\n${source.slice(0, 400)}`);
    log(`assembled: ${path.relative(workspace, assembled)}`);
    // The script lands before the project's compile has run; the report opens when all is done.
    await page.locator('.tabs-container .tab.active', { hasText: 'Assembly of google-calendar' }).first().waitFor({ timeout: 240000 });
    await page.locator('.editor-group-container.active .view-lines', { hasText: 'Compile: ✓ passed' }).first().waitFor({ timeout: 30000 });
    await shot('assembled');

    // 7. A dishonest agent: its fixture edit is reverted, the violation shows, Verify fails it.
    await ui.page.locator('.tabs-container .tab', { hasText: 'interactions.json' }).first().click();
    await ui.page.locator('.tabs-container .tab.active', { hasText: 'interactions.json' }).first().waitFor({ timeout: 15000 });
    await ui.rightClickOnText('"update-event"');
    await ui.clickContextMenuItem('Generate Interaction');
    await ui.waitForRowDescription('Update Event', /violation/, 240000);
    await ui.waitForRowDescription('Update Event', /needs review/, 240000);
    // The violation shows in the panel: in the list, and in that agent's stream.
    await panel.locator('.agent', { hasText: 'google-calendar/update-event' }).click();
    await panel.locator('.violation', { hasText: 'fixture guard' }).first().waitFor({ timeout: 60000 });
    const fixture = path.join(workspace, '.integration-builder/work/google-calendar/update-event/google-calendar/tests/update-event.test.json');
    const body = fs.readFileSync(fixture, 'utf8');
    if (body.includes('expected_')) throw new StepFailed(`the cheater's edit is still in ${fixture}`);
    await shot('violation');
    await ui.runCommand('Integration Builder: Verify All');
    await ui.waitForRowDescription('Update Event', /failed/, 300000);
    // The findings sit in the stream too, at the step that led to them; First bad step scrolls to the
    // earliest (the stream is virtualised: findings placed after it are what the tail shows).
    await panel.locator('.finding').first().waitFor({ timeout: 60000 });
    await panel.locator('.action-jumpToFirstBadStep').click();
    await panel.locator('.finding', { hasText: 'transcript.fixture-edit' }).first().waitFor({ timeout: 60000 });
    await shot('cheater-failed');
    // The transcript for long reading: a full editor tab with the same stream.
    await panel.locator('.action-openTranscript').click();
    await page.locator('.tabs-container .tab', { hasText: 'Agent: google-calendar/update-event' }).first().waitFor({ timeout: 30000 });
    // An editor tab's webview has no purpose in its URL; the sidebar view's says purpose=webviewView.
    const tab = page
      .frameLocator('iframe.webview.ready[src*="extensionId=integration-builder.integration-builder"]:not([src*="purpose=webviewView"])')
      .first()
      .frameLocator('#active-frame');
    // The filter box narrows the long stream to that finding.
    await tab.locator('input.search').fill('transcript.fixture-edit');
    await tab.locator('.finding', { hasText: 'transcript.fixture-edit' }).first().waitFor({ timeout: 30000 });
    await shot('transcript-tab');

    // 8. Review the failed one: its findings become comments at their lines; feedback goes to its agent
    //    as a new turn of the same session, which the panel streams.
    await panel.locator('.agent', { hasText: 'google-calendar/update-event' }).click();
    await panel.locator('.action-review').click();
    await page.locator('.tabs-container .tab', { hasText: 'Review google-calendar/update-event' }).first().waitFor({ timeout: 60000 });
    await ui.notification(/google-calendar\/update-event: .*verification: failed, \d+ finding\(s\) as comments/).waitFor({ timeout: 30000 });
    await shot('review-findings');
    const feedback = 'Never edit the recorded fixture: make the script produce what it holds.';
    await panel.locator('.action-feedback').click();
    const box = page.locator('.quick-input-widget input').first();
    await box.waitFor({ state: 'visible', timeout: 15000 });
    await box.fill(feedback);
    await page.keyboard.press('Enter');
    // The panel shows the feedback where the new turn begins; the turn runs, then ends with a verdict.
    await panel.locator('details.feedback', { hasText: feedback }).first().waitFor({ timeout: 120000 });
    await ui.waitForRowDescription('Update Event', /^(queued|running)/, 120000);
    await ui.waitForRowDescription('Update Event', /^(needs review|verified|failed)/, 300000);
    await shot('feedback-turn');

    // 9. Assemble again: only the accepted interaction; the other is left out, and the report says so.
    await ui.runCommand('Integration Builder: Assemble Integration');
    await ui.pickQuickItem('google-calendar');
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Only the 1 Verified and Accepted' }).first().click({ timeout: 60000 });
    await page.locator('.editor-group-container.active .view-lines', { hasText: 'google-calendar/update-event' }).first().waitFor({ timeout: 240000 });
    if (fs.existsSync(path.join(path.dirname(assembled), 'update-event.ts'))) throw new StepFailed('Assemble wrote update-event, which is not accepted');
    await shot('assembled-accepted-only');
    log('PASSED');
  } catch (err) {
    failed = true;
    console.error(`[e2e] FAILED: ${err.stack || err}`);
    await page.screenshot({ path: path.join(shots, 'failure.png') }).catch(() => undefined);
  } finally {
    fs.writeFileSync(path.join(run, 'browser-console.log'), consoleLines.join('\n'));
    await browser.close().catch(() => undefined);
    await server.stop();
  }
  return failed ? 1 : 0;
}

async function waitForFile(root, re, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const hit = findFile(root, re);
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new StepFailed(`no file matching ${re} under ${root} after ${timeoutMs} ms`);
}

function findFile(root, re) {
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop();
    let entries = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name === 'node_modules' || e.name === '.git' || e.name === '.integration-builder') continue;
        stack.push(p);
      } else if (re.test(p.split(path.sep).join('/'))) return p;
    }
  }
  return undefined;
}

/** The workbench parts this test touches. */
class Workbench {
  constructor(page) {
    this.page = page;
  }

  container() {
    return this.page.locator('[id="workbench.view.extension.integrationBuilder"]');
  }

  async openContainer() {
    const icon = this.page.locator('.activitybar .action-item .action-label[aria-label^="Integration Builder"]').first();
    await icon.waitFor({ timeout: 90000 });
    if (!(await this.container().isVisible())) await icon.click();
    await this.container().waitFor({ timeout: 30000 });
  }

  treeRow(label) {
    const pane = this.page.locator('.pane', { has: this.page.locator('.pane-header', { hasText: 'Interactions' }) });
    return pane.locator('.monaco-list-row', { has: this.page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) }).first();
  }

  async expandTree(label) {
    const row = this.treeRow(label);
    await row.waitFor({ timeout: 30000 });
    if ((await row.getAttribute('aria-expanded')) === 'false') await row.click();
  }

  async waitForRowDescription(label, re, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const row = this.treeRow(label);
      if (await row.isVisible()) {
        last = (
          await row
            .locator('.label-description')
            .innerText()
            .catch(() => '')
        ).trim();
        if (re.test(last)) return last;
      }
      await this.page.waitForTimeout(500);
    }
    throw new StepFailed(`tree row "${label}" never matched ${re} (last: "${last}")`);
  }

  agentsPanel() {
    return this.page
      .frameLocator('iframe.webview.ready[src*="extensionId=integration-builder.integration-builder"][src*="purpose=webviewView"]')
      .first()
      .frameLocator('#active-frame');
  }

  async runCommand(title) {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input').first();
    await input.waitFor({ state: 'visible', timeout: 15000 });
    await input.fill(`>${title}`);
    await this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 15000 });
    await this.page.keyboard.press('Enter');
  }

  /** A notification toast whose message matches `re`. */
  notification(re) {
    return this.page.locator('.notifications-toasts .notification-toast', { hasText: re }).first();
  }

  async pickQuickItem(text) {
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
    await row.waitFor({ timeout: 30000 });
    await row.click();
  }

  async quickOpen(name) {
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input').first();
    await input.waitFor({ state: 'visible', timeout: 15000 });
    await input.fill(name);
    await this.page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 15000 });
    await this.page.keyboard.press('Enter');
    await this.page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: 15000 });
  }

  /** Right-clicks the first occurrence of `text` in the active editor (found with the editor's Find). */
  async rightClickOnText(text) {
    const editor = this.page.locator('.editor-group-container.active .monaco-editor').first();
    await editor.click();
    await this.page.keyboard.press('Control+F');
    await this.page.keyboard.insertText(text);
    await this.page.keyboard.press('Escape');
    // The selection is the match: right-click on it.
    const selection = editor.locator('.selected-text').first();
    await selection.waitFor({ timeout: 10000 });
    // The editor re-renders the selection as the find widget closes: its box can be gone for a moment
    // (CI once read null here). Ask again until it has one.
    let box = await selection.boundingBox();
    for (let i = 0; !box && i < 50; i++) {
      await this.page.waitForTimeout(100);
      box = await selection.boundingBox();
    }
    if (!box) throw new StepFailed(`the selection of ${text} has no box on screen`);
    await this.page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { button: 'right' });
  }

  contextMenuItem(label) {
    return this.page.locator('.monaco-menu .action-item', { hasText: label }).first();
  }

  /**
   * Clicks an item of the open context menu. VS Code ignores a click that comes too soon after the menu
   * opened (so releasing the right button cannot pick an item); a click it ignored leaves the menu open,
   * so it is clicked again until the menu closes.
   */
  async clickContextMenuItem(label) {
    const item = this.contextMenuItem(label);
    await item.waitFor({ timeout: 10000 });
    for (let attempt = 1; ; attempt++) {
      await item.click();
      const closed = await item.waitFor({ state: 'hidden', timeout: 3000 }).then(
        () => true,
        () => false,
      );
      if (closed) return;
      if (attempt === 3) throw new StepFailed(`the context menu stayed open after 3 clicks on "${label}"`);
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[e2e] harness error: ${err.stack || err}`);
    process.exit(2);
  },
);
