/// <reference types="mocha" />
// Extension-host tests in a real VS Code (code-server), on a fresh copy of the example workspace.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { IntegrationBuilderApi } from '../../src/extension/extension';
import type { TreeNode } from '../../src/extension/tree';
import { EXTENSION_ID, until } from './until';

function workspaceDir(): string {
  const dir = process.env.IB_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(dir, 'a workspace folder is open');
  return dir;
}

let api: IntegrationBuilderApi;

function labels(nodes: TreeNode[]): string[] {
  return nodes.map((n) => String(api.ctx.tree.getTreeItem(n).label));
}

function ourDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Integration Builder');
}

suite('Integration Builder in VS Code', () => {
  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<IntegrationBuilderApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    // The workspace holds an interactions.json, so `workspaceContains` activates the extension by itself.
    await until('activation by workspaceContains', () => ext.isActive || undefined, 30000);
    api = ext.exports;
    await api.ctx.specs.ready();
  });

  test('the tree lists every integration and interaction of the example workspace', async () => {
    const roots = api.ctx.tree.getChildren();
    assert.deepStrictEqual(labels(roots), ['Google Calendar', 'Google Drive', 'Google Sheets', 'HubSpot', 'Slack']);
    const calendar = api.ctx.tree.getChildren(roots[0]);
    assert.deepStrictEqual(labels(calendar).slice(0, 2), ['Create Event', 'Update Event']);
    const item = api.ctx.tree.getTreeItem(calendar[0]!);
    assert.strictEqual(item.description, 'not started');
    assert.strictEqual(item.contextValue, 'interaction.not-started');
    assert.ok(item.iconPath instanceof vscode.ThemeIcon);
    const all = roots.flatMap((r) => api.ctx.tree.getChildren(r));
    assert.ok(all.length >= 15, `at least 15 interactions, got ${all.length}`);
  });

  test('every contributed command is registered, and only those', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const contributed = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command).sort();
    assert.deepStrictEqual(contributed, [...api.commandIds].sort());
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((c) => !registered.has(c));
    assert.deepStrictEqual(missing, [], 'commands contributed but not registered');
    for (const id of [
      'generateInteraction',
      'generateAll',
      'stop',
      'restartFromScratch',
      'verifyInteraction',
      'verifyAll',
      'assembleIntegration',
      'openTranscript',
      'openInteractionFolder',
      'refresh',
    ]) {
      assert.ok(registered.has(`integrationBuilder.${id}`), `integrationBuilder.${id} is registered`);
    }
  });

  test('Verify says why it cannot act yet, naming its target', async () => {
    const msg = await vscode.commands.executeCommand<string>('integrationBuilder.verifyInteraction', { key: 'google-calendar/create-event' });
    assert.match(msg, /^google-calendar\/create-event has not run yet/);
    const verify = await vscode.commands.executeCommand<string>('integrationBuilder.verifyAll');
    assert.match(verify, /^Nothing to verify: no interaction has finished a run yet/);
  });

  test('a command takes its target from the cursor in the spec', async () => {
    const uri = vscode.Uri.file(path.join(workspaceDir(), 'interactions.json'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    const offset = doc.getText().indexOf('"sync-files"');
    assert.ok(offset > 0);
    editor.selection = new vscode.Selection(doc.positionAt(offset + 3), doc.positionAt(offset + 3));
    const msg = await vscode.commands.executeCommand<string>('integrationBuilder.verifyInteraction');
    assert.match(msg, /google-drive\/sync-files/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test("from the editor's right-click menu (the document's URI as argument) a command targets the interaction under the cursor", async () => {
    const uri = vscode.Uri.file(path.join(workspaceDir(), 'interactions.json'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    const offset = doc.getText().indexOf('"share-file"');
    assert.ok(offset > 0);
    editor.selection = new vscode.Selection(doc.positionAt(offset + 3), doc.positionAt(offset + 3));
    const msg = await vscode.commands.executeCommand<string>('integrationBuilder.verifyInteraction', doc.uri);
    assert.match(msg, /google-drive\/share-file/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('CodeLenses offer Generate, Verify and Review above each interaction', async () => {
    const uri = vscode.Uri.file(path.join(workspaceDir(), 'interactions.json'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const lenses = await until('code lenses', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100);
      return l && l.length ? l : undefined;
    });
    const createEventLine = doc.positionAt(doc.getText().indexOf('"create-event"')).line;
    const onLine = lenses.filter((l) => l.range.start.line === createEventLine).map((l) => l.command?.title);
    assert.deepStrictEqual(onLine, ['$(play) Generate create-event', '$(check) Verify', '$(diff-multiple) Review']);
  });

  test('a broken spec gets diagnostics at the right line and the rest keeps working', async () => {
    const file = path.join(workspaceDir(), 'nested', 'broken.interactions.json');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = [
      '{', //                                            1
      '  "integrations": [', //                          2
      '    { "id": "Bad_Id", "connectionId": "c", "environment": "dev",', // 3
      '      "docs": "https://example.com/api", "context": "",', //        4
      '      "interactions": [', //                                        5
      '        { "id": "ok-one", "displayName": "OK", "description": "", "prompt": "", "comments": "" },', // 6
      '        { "id": "no-prompt", "displayName": "No prompt", "description": "", "comments": "", "extra": 1 }', // 7
      '      ] }', //                                                      8
      '  ]', //                                                            9
      '}', //                                                             10
    ].join('\n');
    fs.writeFileSync(file, text);
    const uri = vscode.Uri.file(file);
    try {
      const diags = await until('diagnostics on broken.interactions.json', () => {
        const d = ourDiagnostics(uri);
        return d.length >= 3 ? d : undefined;
      });
      const byMessage = (re: RegExp) => diags.find((d) => re.test(d.message));
      const kebab = byMessage(/not kebab-case/);
      assert.ok(kebab, 'kebab-case error');
      assert.strictEqual(kebab.range.start.line, 2); // 0-based: line 3
      assert.strictEqual(kebab.range.start.character, 12);
      assert.strictEqual(kebab.severity, vscode.DiagnosticSeverity.Error);
      const missing = byMessage(/missing required field "prompt"/);
      assert.ok(missing, 'missing field error');
      assert.strictEqual(missing.range.start.line, 6);
      assert.strictEqual(missing.range.start.character, 8);
      const unknown = byMessage(/unknown field "extra"/);
      assert.ok(unknown, 'unknown field warning');
      assert.strictEqual(unknown.severity, vscode.DiagnosticSeverity.Warning);
      assert.strictEqual(unknown.range.start.line, 6);

      // The example spec is untouched and still listed; the broken file shows as a problems row.
      const roots = await until('problems row in the tree', () => {
        const r = api.ctx.tree.getChildren();
        return r.some((n) => n.type === 'problems') ? r : undefined;
      });
      const rootLabels = labels(roots);
      assert.ok(rootLabels.includes('Google Calendar'));
      assert.ok(rootLabels.includes(path.join('nested', 'broken.interactions.json')), rootLabels.join(', '));
      assert.deepStrictEqual(ourDiagnostics(vscode.Uri.file(path.join(workspaceDir(), 'interactions.json'))), []);
    } finally {
      fs.rmSync(file);
    }
    // Deleting the file clears its diagnostics and its rows.
    await until('diagnostics cleared after delete', () => (ourDiagnostics(uri).length === 0 ? true : undefined));
    await until('problems row gone', () => (api.ctx.tree.getChildren().some((n) => n.type === 'problems') ? undefined : true));
  });

  test('the tree follows edits of an open spec before it is saved', async () => {
    const uri = vscode.Uri.file(path.join(workspaceDir(), 'interactions.json'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const anchor = doc.positionAt(doc.getText().indexOf('{ "id": "create-event"'));
    const inserted =
      '{ "id": "quick-add-event", "displayName": "Quick Add Event", "description": "Create an event from text", "prompt": "", "comments": "" },\n        ';
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, anchor, inserted);
    assert.ok(await vscode.workspace.applyEdit(edit));
    try {
      await until('new interaction in the tree', () => api.ctx.specs.store.find('google-calendar/quick-add-event'));
      const calendar = api.ctx.tree.getChildren()[0]!;
      assert.strictEqual(labels(api.ctx.tree.getChildren(calendar))[0], 'Quick Add Event');
    } finally {
      // Undo the edit in the buffer itself, then revert this document by its URI: the revert command on
      // "the active editor" reverted nothing when a loaded machine made another editor active first.
      const at = doc.getText().indexOf(inserted);
      if (at >= 0) {
        const undo = new vscode.WorkspaceEdit();
        undo.delete(uri, new vscode.Range(doc.positionAt(at), doc.positionAt(at + inserted.length)));
        await vscode.workspace.applyEdit(undo);
      }
      await vscode.commands.executeCommand('workbench.action.files.revert', uri);
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
    await until('edit reverted', () => (api.ctx.specs.store.find('google-calendar/quick-add-event') ? undefined : true));
  });

  test('a new spec file on disk appears in the tree without a reload', async () => {
    const file = path.join(workspaceDir(), 'extra.interactions.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        integrations: [
          {
            id: 'notion',
            connectionId: 'c',
            environment: 'dev',
            docs: 'https://developers.notion.com/reference',
            context: '',
            interactions: [{ id: 'create-page', displayName: 'Create Page', description: 'Create a page', prompt: '', comments: '' }],
          },
        ],
      }),
    );
    try {
      await until('Notion in the tree', () => (labels(api.ctx.tree.getChildren()).includes('Notion') ? true : undefined));
    } finally {
      fs.rmSync(file);
    }
    await until('Notion gone after delete', () => (labels(api.ctx.tree.getChildren()).includes('Notion') ? undefined : true));
  });

  test('a spec-named file under the configured work root is no spec of the workspace', async () => {
    const config = vscode.workspace.getConfiguration('integrationBuilder');
    await config.update('workRoot', 'custom-work', vscode.ConfigurationTarget.Workspace);
    const spec = (id: string, name: string) =>
      JSON.stringify({
        integrations: [
          {
            id,
            connectionId: 'c',
            environment: 'dev',
            docs: 'https://example.com/docs',
            context: '',
            interactions: [{ id: 'one', displayName: name, description: 'd', prompt: '', comments: '' }],
          },
        ],
      });
    const hidden = path.join(workspaceDir(), 'custom-work', 'jira', 'one', 'copied.interactions.json');
    const visible = path.join(workspaceDir(), 'linear.interactions.json');
    fs.mkdirSync(path.dirname(hidden), { recursive: true });
    fs.writeFileSync(hidden, spec('jira', 'Jira One'));
    fs.writeFileSync(visible, spec('linear', 'Linear One'));
    try {
      await until('Linear in the tree', () => (labels(api.ctx.tree.getChildren()).includes('Linear') ? true : undefined));
      const files = await vscode.commands.executeCommand<string[]>('integrationBuilder.refresh');
      assert.ok(files.includes(visible) && !files.some((f) => f.includes(`${path.sep}custom-work${path.sep}`)), `the rescan found ${files.join(', ')}`);
      assert.ok(!labels(api.ctx.tree.getChildren()).includes('Jira'), 'a file in the work root is not a spec');
    } finally {
      fs.rmSync(path.join(workspaceDir(), 'custom-work'), { recursive: true, force: true });
      fs.rmSync(visible, { force: true });
      await config.update('workRoot', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await until('Linear gone after delete', () => (labels(api.ctx.tree.getChildren()).includes('Linear') ? undefined : true));
  });

  test('the spec JSON Schema is contributed and generated', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const validation = ext.packageJSON.contributes.jsonValidation as { fileMatch: string[]; url: string }[];
    assert.deepStrictEqual(validation[0]!.fileMatch, ['interactions.json', '*.interactions.json']);
    const schema = JSON.parse(fs.readFileSync(path.join(ext.extensionPath, validation[0]!.url), 'utf8'));
    const interaction = schema.properties.integrations.items.properties.interactions.items;
    assert.deepStrictEqual(interaction.required, ['id', 'displayName', 'description', 'prompt', 'comments']);
    assert.strictEqual(interaction.additionalProperties, false);
  });

  test('Generate interaction runs a real opencode agent with the demo model, live in the tree, and Verify verifies it', async function () {
    // Loaded mode (npm test keeps every core busy): an agent's whole run, toolchain included, gets room.
    this.timeout(600_000);
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const config = vscode.workspace.getConfiguration('integrationBuilder');
    await config.update('demoModel', true, vscode.ConfigurationTarget.Workspace);
    await config.update('opencode.path', path.join(ext.extensionPath, 'node_modules/opencode-ai/bin/opencode.exe'), vscode.ConfigurationTarget.Workspace);
    const key = 'google-calendar/create-event';
    const statuses: string[] = [];
    const sub = api.ctx.runs.onDidChange(() => {
      const s = api.ctx.runs.get(key)?.status;
      if (s && statuses[statuses.length - 1] !== s) statuses.push(s);
    });
    try {
      const queued = await vscode.commands.executeCommand<string[]>('integrationBuilder.generateInteraction', { key });
      assert.deepStrictEqual(queued, [key]);
      await until('the demo agent to finish', () => (api.ctx.runs.get(key)?.status === 'needs-review' ? true : undefined), 240_000);
    } finally {
      sub.dispose();
    }
    assert.deepStrictEqual(statuses.slice(0, 2), ['queued', 'running']);
    assert.strictEqual(statuses[statuses.length - 1], 'needs-review');
    // Its shell commands ran in the agent sandbox (bubblewrap is installed here).
    assert.strictEqual(api.ctx.agents.current!.get(key)!.sandbox, 'bwrap');
    const script = path.join(workspaceDir(), '.integration-builder/work/google-calendar/create-event/google-calendar/actions/create-event.ts');
    const source = fs.readFileSync(script, 'utf8');
    assert.match(source, /createAction/);
    assert.match(source, /retries: 3/);
    // The workspace is a git checkout: the work root is kept out of its status by .git/info/exclude, and
    // no `.gitignore` of ours hides the agent's own files from its grep and glob tools (ripgrep).
    assert.ok(!fs.existsSync(path.join(workspaceDir(), '.integration-builder/work/.gitignore')), 'no .gitignore in the work root');
    assert.match(
      fs.readFileSync(path.join(workspaceDir(), '.git/info/exclude'), 'utf8'),
      /^\/\.integration-builder\/work\/$/m,
      'the work root is in .git/info/exclude',
    );
    const calendar = api.ctx.tree.getChildren()[0]!;
    const item = api.ctx.tree.getTreeItem(api.ctx.tree.getChildren(calendar)[0]!);
    assert.match(String(item.description), /^needs review · (\d+m )?\d+s · \$[\d.]+ · demo$/);

    const transcript = await vscode.commands.executeCommand<string>('integrationBuilder.openTranscript', { key });
    assert.match(transcript, /^# google-calendar\/create-event — attempt 1 \(demo model\)/);
    assert.match(transcript, /### ✓ write/);
    assert.match(transcript, /### ✓ bash `ls -R google-calendar`/);
    assert.match(transcript, /### ✓ record_fixture/);
    assert.match(transcript, /### ✓ run_tests/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

    // Verify: every check with the real tools, against the fixture the demo recorded through the
    // demo Nango stand-in. The verdict becomes the run's status.
    const reports = await vscode.commands.executeCommand<
      { verdict: string; checks: { check: string; outcome: string; findings: { rule: string; message: string }[] }[] }[]
    >('integrationBuilder.verifyInteraction', { key });
    const summary = JSON.stringify(reports[0]?.checks.map((c) => [c.check, c.outcome, c.findings.map((f) => `${f.rule}: ${f.message}`)]));
    assert.strictEqual(reports[0]?.verdict, 'verified', summary);
    assert.strictEqual(api.ctx.runs.get(key)?.status, 'verified');
    const onDisk = path.join(workspaceDir(), '.integration-builder/work/.runs/google-calendar/create-event.verify.json');
    assert.ok(fs.existsSync(onDisk), 'the report is kept next to the run record');

    // Review: VS Code's multi-file diff of what the agent changed against the scaffold (the fixtures the
    // recorder wrote are the harness's, not the agent's); then accept it: Assemble takes verified and accepted.
    const review = await vscode.commands.executeCommand<{ diff: string; changes: { rel: string; status: string }[] }>('integrationBuilder.reviewInteraction', {
      key,
    });
    assert.strictEqual(review.diff, 'multi', JSON.stringify(review));
    assert.ok(
      review.changes.some((c) => c.rel === 'google-calendar/actions/create-event.ts' && c.status === 'modified'),
      JSON.stringify(review.changes),
    );
    assert.ok(!review.changes.some((c) => c.rel.endsWith('.test.json')), `no fixture among the agent's changes: ${JSON.stringify(review.changes)}`);
    assert.match(vscode.window.tabGroups.activeTabGroup.activeTab?.label ?? '', /^Review google-calendar\/create-event: \d+ file\(s\) changed/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    const accepted = await vscode.commands.executeCommand<{ state: string }>('integrationBuilder.acceptInteraction', { key });
    assert.strictEqual(accepted.state, 'accepted');
    await until('the tree to say accepted', () =>
      /^verified · accepted · /.test(String(api.ctx.tree.getTreeItem(api.ctx.tree.getChildren(calendar)[0]!).description)) ? true : undefined,
    );

    // Assemble: the verified and accepted interaction goes into the Nango project, which then compiles.
    api.ctx.silentConfirmations = true;
    const assembled = await vscode.commands.executeCommand<{ compile: { ok: boolean }; written: string[]; refused: { key: string }[] }>(
      'integrationBuilder.assembleIntegration',
      'google-calendar',
    );
    assert.ok(assembled.compile.ok, JSON.stringify(assembled.compile));
    assert.deepStrictEqual(assembled.refused, [], 'only verified and accepted interactions have run, none is refused');
    assert.match(fs.readFileSync(path.join(workspaceDir(), 'nango-integrations/google-calendar/actions/create-event.ts'), 'utf8'), /createAction/);
    assert.strictEqual(
      fs.readFileSync(path.join(workspaceDir(), 'nango-integrations/index.ts'), 'utf8'),
      "import './google-calendar/actions/create-event.js';\n",
    );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

    // Attach: OpenCode's own UI in a terminal, on our server, on that session.
    const terminalName = await vscode.commands.executeCommand<string>('integrationBuilder.attachToSession', { key });
    assert.strictEqual(terminalName, `OpenCode: ${key}`);
    const terminal = vscode.window.terminals.find((t) => t.name === terminalName)!;
    const opts = terminal.creationOptions as vscode.TerminalOptions;
    const run = api.ctx.agents.current!.get(key)!;
    assert.deepStrictEqual(opts.shellArgs, ['attach', run.serverUrl, '--dir', run.folder, '--session', run.sessionId]);
    assert.ok(fs.existsSync(String(opts.shellPath)), 'the opencode binary the service runs');
    terminal.dispose();

    // Restart from scratch: a second attempt, the first kept in the history.
    api.ctx.silentConfirmations = true;
    await vscode.commands.executeCommand('integrationBuilder.restartFromScratch', { key });
    await until(
      'the second attempt to finish',
      () => {
        const run = api.ctx.agents.current?.get(key);
        return run && run.attempt === 2 && run.status === 'needs-review' ? run : undefined;
      },
      240_000,
    );
    assert.strictEqual(api.ctx.agents.current!.get(key)!.history.length, 1);
    // A new attempt starts without the acceptance; the first attempt keeps it in the history.
    assert.strictEqual(api.ctx.agents.current!.get(key)!.history[0]!.review?.decision, 'accepted');
    await until('the acceptance to be cleared in the tree', () => (api.ctx.reviews.get(key)?.state === 'none' ? true : undefined));
  });

  test('Send Feedback to Agent: a reply in the review and a text reach the finished demo run as a new turn of its session, verified after; refused while it runs or when it never ran', async function () {
    this.timeout(600_000);
    // The demo run of the test above: attempt 2, finished.
    const key = 'google-calendar/create-event';
    // Finished: its agent has left the active runs (the record says needs-review a moment before).
    await until('the demo run to leave the active runs', () => (api.ctx.agents.current?.activeKeys().includes(key) === false ? true : undefined), 60_000);
    const before = api.ctx.agents.current?.get(key);
    assert.ok(before && before.status === 'needs-review' && before.attempt === 2, `the demo run has finished: ${JSON.stringify(before?.status)}`);
    const sessionId = before.sessionId;

    // Never ran: refused, nothing sent.
    const never = await vscode.commands.executeCommand<string>('integrationBuilder.sendFeedback', { key: 'slack/send-message', text: 'anything' });
    assert.match(never, /^slack\/send-message has not run yet: there is no agent to send feedback to/);

    // The review shows a finding as a comment (a verification of this attempt, made by hand); a reply written
    // in its thread is the feedback, with where it was written.
    const script = 'google-calendar/actions/create-event.ts';
    api.ctx.verifyResults.show([
      {
        version: 1,
        key,
        integrationId: 'google-calendar',
        interactionId: 'create-event',
        folder: before.folder,
        attempt: 2,
        verdict: 'failed',
        startedAt: new Date().toISOString(),
        durationMs: 1,
        checks: [
          {
            check: 'code',
            outcome: 'failed',
            durationMs: 1,
            findings: [
              { check: 'code', rule: 'code.no-log', severity: 'error', message: 'the created event id is not logged', location: { file: script, line: 3 } },
            ],
          },
        ],
      } as never,
    ]);
    const review = await vscode.commands.executeCommand<{ threads: { file: string; line: number; rules: string[] }[] }>(
      'integrationBuilder.reviewInteraction',
      {
        key,
      },
    );
    assert.deepStrictEqual(review.threads, [{ file: script, line: 3, rules: ['code.no-log'] }], JSON.stringify(review));
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    const thread = api.ctx.reviews.threadsOf(key)[0]!;
    assert.strictEqual(thread.canReply, true, 'a finding can be answered');
    const sent = await vscode.commands.executeCommand<{ key: string; turn: number }>('integrationBuilder.sendFeedback', {
      thread,
      text: 'Log the id of the created event.',
    });
    assert.deepStrictEqual(sent, { key, turn: 2 });
    const run = api.ctx.agents.current!.get(key)!;
    assert.strictEqual(run.feedback?.length, 1);
    assert.strictEqual(run.feedback[0]!.text, `Log the id of the created event.\n\n(About ${script}, line 3, where Verify found: code.no-log.)`);
    assert.strictEqual(run.feedback[0]!.before.status, 'needs-review');
    assert.strictEqual(run.attempt, 2, 'the same attempt');
    assert.deepStrictEqual(
      thread.comments.map((c) => [c.author.name, c.label]),
      [
        ['Verify: code', undefined],
        ['You', 'sent to the agent (turn 2)'],
      ],
    );

    // While the turn is queued or running, more feedback is refused.
    const busy = await vscode.commands.executeCommand<string>('integrationBuilder.sendFeedback', { key, text: 'And another thing.' });
    assert.match(busy, /^google-calendar\/create-event is still running: send feedback once its agent has finished/);
    assert.strictEqual(api.ctx.agents.current!.get(key)!.feedback?.length, 1);

    // The turn runs in the same session and is verified when it ends.
    const after = await until(
      'the feedback turn to end and be verified',
      () => {
        const r = api.ctx.agents.current?.get(key);
        return r && !api.ctx.agents.current!.activeKeys().includes(key) && r.verification ? r : undefined;
      },
      480_000,
    );
    assert.strictEqual(after.sessionId, sessionId, 'the same session');
    assert.strictEqual(after.attempt, 2);
    assert.strictEqual(after.verification?.verdict, 'verified', JSON.stringify(after.verification));
    assert.strictEqual(after.status, 'verified');
    const transcript = await vscode.commands.executeCommand<string>('integrationBuilder.openTranscript', { key });
    assert.match(transcript, /Log the id of the created event\./);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

    // A text sent with the command (the palette's input box, the tree, the Agents view) reaches the builder as it is.
    const again = await vscode.commands.executeCommand<{ key: string; turn: number }>('integrationBuilder.sendFeedback', {
      key,
      text: 'Handle a 404 for a deleted calendar.',
    });
    assert.deepStrictEqual(again, { key, turn: 3 });
    assert.strictEqual(api.ctx.agents.current!.get(key)!.feedback?.[1]?.text, 'Handle a 404 for a deleted calendar.');
    await api.ctx.agents.stop([key]);
  });

  test('Check Agent Sandbox runs the real sandbox and reports every check', async function () {
    this.timeout(60_000);
    const result = await vscode.commands.executeCommand<{ ok: boolean; checks: { name: string; ok: boolean; detail: string }[] }>(
      'integrationBuilder.checkSandbox',
    );
    assert.ok(result.ok, JSON.stringify(result.checks));
    assert.deepStrictEqual(
      result.checks.map((c) => c.name),
      [
        'bubblewrap',
        'folder writable',
        'fixtures read-only',
        'neighbours and run records invisible',
        'environment cleared',
        'no process outlives a command',
        'no network',
      ],
    );
  });

  test('Assemble refused before writing: every problem at its file in a document, nothing written', async () => {
    // A verified run on disk whose script imports a file from outside its folder, into a nango.yaml
    // project: Assemble must refuse both, before it writes anything, and show them — not a toast.
    const root = workspaceDir();
    const key = 'hubspot/create-contact';
    const folder = path.join(root, '.integration-builder/work/hubspot/create-contact');
    const script = path.join(folder, 'hubspot/actions/create-contact.ts');
    const record = path.join(root, '.integration-builder/work/.runs/hubspot/create-contact.json');
    const project = path.join(root, 'yaml-project');
    fs.mkdirSync(path.dirname(script), { recursive: true });
    fs.writeFileSync(script, "import { shared } from '../../../outside.js';\nexport default shared;\n");
    fs.mkdirSync(path.dirname(record), { recursive: true });
    const tokens = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 };
    fs.writeFileSync(
      record,
      JSON.stringify({
        version: 1,
        key,
        integrationId: 'hubspot',
        interactionId: 'create-contact',
        specFile: path.join(root, 'interactions.json'),
        folder,
        attempt: 1,
        status: 'verified',
        demo: true,
        queuedAt: new Date().toISOString(),
        costUsd: 0,
        tokens,
        steps: 0,
        toolCalls: 0,
        retries: 0,
        history: [],
      }),
    );
    // The default flow: a person accepted it (Assemble takes verified and accepted interactions).
    const accepted = await vscode.commands.executeCommand<{ state: string }>('integrationBuilder.acceptInteraction', { key });
    assert.strictEqual(accepted.state, 'accepted', JSON.stringify(accepted));
    fs.mkdirSync(project, { recursive: true });
    fs.writeFileSync(path.join(project, 'nango.yaml'), 'integrations:\n  hubspot: {}\n');
    const config = vscode.workspace.getConfiguration('integrationBuilder');
    await config.update('nangoProject', 'yaml-project', vscode.ConfigurationTarget.Workspace);
    api.ctx.silentConfirmations = true;
    try {
      const refusal = await vscode.commands.executeCommand<{ written: string[]; problems: { kind: string; path: string; line?: number; keys: string[] }[] }>(
        'integrationBuilder.assembleIntegration',
        'hubspot',
      );
      assert.ok(refusal && Array.isArray(refusal.problems), `a refusal, got ${JSON.stringify(refusal)}`);
      assert.deepStrictEqual(refusal.written, []);
      const yaml = refusal.problems.find((p) => p.kind === 'nango-yaml');
      assert.strictEqual(yaml?.path, path.join(project, 'nango.yaml'));
      const outside = refusal.problems.find((p) => p.kind === 'import-outside');
      assert.deepStrictEqual([outside?.path, outside?.line, outside?.keys], [script, 1, [key]]);
      const shown = vscode.window.activeTextEditor?.document.getText() ?? '';
      assert.match(shown, /^# Assembly of hubspot refused/);
      assert.match(shown, /## \d\. A nango\.yaml project/);
      assert.match(shown, /imports \.\.\/\.\.\/\.\.\/outside\.js, which is outside the interaction folder/);
      assert.deepStrictEqual(fs.readdirSync(project), ['nango.yaml'], 'nothing was written into the project');
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    } finally {
      await config.update('nangoProject', undefined, vscode.ConfigurationTarget.Workspace);
      fs.rmSync(record, { force: true });
      fs.rmSync(folder, { recursive: true, force: true });
      fs.rmSync(project, { recursive: true, force: true });
    }
  });

  test('Review: the diff against the scaffold and the findings as comments at their lines; accept, then a change to the folder clears it', async function () {
    // Opens diff editors and waits for the folder's watcher: with the cores busy (IB_LOAD) that is more than mocha's 20 s.
    this.timeout(90_000);
    const root = workspaceDir();
    const key = 'hubspot/sync-deals';
    const folder = path.join(root, '.integration-builder/work/hubspot/sync-deals');
    const script = path.join(folder, 'hubspot/syncs/sync-deals.ts');
    const record = path.join(root, '.integration-builder/work/.runs/hubspot/sync-deals.json');
    fs.mkdirSync(path.dirname(script), { recursive: true });
    fs.writeFileSync(script, "import { createSync } from 'nango';\nconst deals: any = [];\nexport default createSync({ deals });\n");
    fs.writeFileSync(path.join(folder, 'hubspot/mappers.ts'), 'export const toDeal = (x: unknown) => x;\n');
    fs.mkdirSync(path.dirname(record), { recursive: true });
    const tokens = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 };
    fs.writeFileSync(
      record,
      JSON.stringify({
        version: 1,
        key,
        integrationId: 'hubspot',
        interactionId: 'sync-deals',
        specFile: path.join(root, 'interactions.json'),
        folder,
        attempt: 1,
        status: 'failed',
        demo: true,
        queuedAt: new Date().toISOString(),
        costUsd: 0,
        tokens,
        steps: 0,
        toolCalls: 0,
        retries: 0,
        history: [],
      }),
    );
    const finding = {
      check: 'transcript',
      rule: 'transcript.any-cast',
      severity: 'error',
      message: '`: any` hides the shape of the data',
      location: { file: 'hubspot/syncs/sync-deals.ts', line: 2 },
      step: { attempt: 1, line: 0, step: 1 },
    };
    api.ctx.verifyResults.show([
      {
        version: 1,
        key,
        integrationId: 'hubspot',
        interactionId: 'sync-deals',
        folder,
        attempt: 1,
        verdict: 'failed',
        startedAt: new Date().toISOString(),
        durationMs: 1,
        checks: [{ check: 'transcript', outcome: 'failed', durationMs: 1, findings: [finding] }],
      } as never,
    ]);
    try {
      const review = await vscode.commands.executeCommand<{
        diff: string;
        changes: { rel: string; status: string }[];
        threads: { file: string; line: number; rules: string[] }[];
      }>('integrationBuilder.reviewInteraction', { key });
      assert.strictEqual(review.diff, 'multi');
      const changed = Object.fromEntries(review.changes.map((c) => [c.rel, c.status]));
      assert.strictEqual(changed['hubspot/syncs/sync-deals.ts'], 'modified', JSON.stringify(review.changes));
      assert.strictEqual(changed['hubspot/mappers.ts'], 'added');
      // The scaffold's other files are not there in this hand-made folder: deleted, as the diff shows.
      assert.strictEqual(changed['index.ts'], 'deleted');
      assert.deepStrictEqual(review.threads, [{ file: 'hubspot/syncs/sync-deals.ts', line: 2, rules: ['transcript.any-cast'] }]);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

      const accepted = await vscode.commands.executeCommand<{ state: string }>('integrationBuilder.acceptInteraction', { key });
      assert.strictEqual(accepted.state, 'accepted');
      const hubspot = api.ctx.tree.getChildren().find((n) => n.type === 'integration' && n.integration.id === 'hubspot')!;
      const row = () => api.ctx.tree.getChildren(hubspot).find((n) => n.type === 'interaction' && n.interaction.key === key)!;
      await until('the tree to say accepted', () => (/(^| · )accepted( · |$)/.test(String(api.ctx.tree.getTreeItem(row()).description)) ? true : undefined));
      // A change to the folder after acceptance: the tree follows it (the folder is watched), not accepted any more.
      // The folder's watcher starts with the first review state (just now): a change written before the
      // OS watch is in place is not seen, so the change is written again until it is (each a real change).
      let edits = 0;
      await until(
        'the acceptance to be cleared by the change',
        () => {
          if (/ · acceptance cleared: changed/.test(String(api.ctx.tree.getTreeItem(row()).description))) return true;
          if (edits++ % 20 === 0) fs.writeFileSync(path.join(folder, 'hubspot/mappers.ts'), `export const toDeal = (x: unknown) => ({ x }); // ${edits}\n`);
          return undefined;
        },
        45_000,
      );
      assert.strictEqual(api.ctx.reviews.get(key)?.state, 'stale');

      api.ctx.silentConfirmations = true;
      const rejected = await vscode.commands.executeCommand<{ state: string }>('integrationBuilder.rejectInteraction', { key, reason: 'any everywhere' });
      assert.strictEqual(rejected.state, 'rejected');
      assert.match(JSON.parse(fs.readFileSync(record, 'utf8')).review.reason, /any everywhere/);
    } finally {
      fs.rmSync(record, { force: true });
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });

  test('Attention: runs that need you are said in one grouped notification and counted for the badge; the setting turns the notification off', async () => {
    const board = api.ctx.runs;
    const keys = ['slack/send-message', 'hubspot/sync-deals'];
    const saved = keys.map((k) => board.get(k));
    const config = vscode.workspace.getConfiguration('integrationBuilder');
    try {
      // The runs needing you besides these two (the badge counts every run of the workspace).
      const counted = api.ctx.attention.needingYou - saved.filter((r) => r && ['blocked', 'failed', 'interrupted', 'needs-review'].includes(r.status)).length;
      for (const k of keys) board.set(k, { status: 'running' });
      board.set(keys[0]!, { status: 'blocked', detail: 'asked to record with a secret' });
      board.set(keys[1]!, { status: 'failed', detail: 'provider errors' });
      const said = await until('the grouped notice', () => (api.ctx.attention.last?.notice.needYou.length === 2 ? api.ctx.attention.last : undefined));
      assert.deepStrictEqual(said, {
        shown: true,
        notice: {
          kind: 'batch-finished',
          severity: 'warning',
          message: 'All 2 agent runs have finished: 1 blocked, 1 failed. 2 runs need you: slack/send-message, hubspot/sync-deals.',
          needYou: keys,
        },
      });
      assert.strictEqual(api.ctx.attention.needingYou, counted + 2);
      // The badge is on the Interactions view (there from activation, whether or not the Agents view was opened).
      await until('the badge', () => (api.interactionsView.badge?.value === counted + 2 ? true : undefined));
      assert.match(String(api.interactionsView.badge?.tooltip), /need you: blocked, failed/);

      await config.update('notifications.attention', false, vscode.ConfigurationTarget.Workspace);
      board.set(keys[0]!, { status: 'running' });
      board.set(keys[0]!, { status: 'interrupted', detail: 'the server went away' });
      const quiet = await until('the next notice', () =>
        api.ctx.attention.last?.notice.message.startsWith('slack/send-message has finished') ? api.ctx.attention.last : undefined,
      );
      assert.strictEqual(quiet.shown, false, 'the setting turns the notification off');
      assert.strictEqual(api.ctx.attention.needingYou, counted + 2, 'the badge counts them either way');
    } finally {
      await config.update('notifications.attention', undefined, vscode.ConfigurationTarget.Workspace);
      keys.forEach((k, i) => (saved[i] ? board.set(k, saved[i]) : board.delete(k)));
    }
  });

  test('Open interaction folder explains when there is no folder yet', async () => {
    const result = await vscode.commands.executeCommand('integrationBuilder.openInteractionFolder', { key: 'slack/send-message' });
    assert.strictEqual(result, undefined);
  });
});
