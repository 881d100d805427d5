// Every command, registered from one table of (ctx) => handler factories. A command finds its
// target from what invoked it: a tree node, a CodeLens argument, the cursor in a spec file, or a
// quick pick when run from the palette.
import { firstBadStep } from '../shared/firstBad';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { attachCommand } from '../core/agent/attach';
import { hasErrors, isRunnable, type IntegrationModel, type InteractionModel } from '../core/spec/model';
import { UserCancelled } from './agentService';
import { interactionFolder, resolveWorkRoot } from '../core/workspace/paths';
import { COMMANDS, NANGO_SECRET, type CommandId } from './commandIds';
import type { ExtensionCtx } from './context';
import type { TreeNode } from './tree';
import { assembleIntegration, type ProposedFiles } from './assembleCommand';
import { showInsights } from './insightsPanel';
import type { BoardPanel } from './boardPanel';
import type { VerifyReport } from '../core/verify/types';
import { describeReviewState, ReviewRefused } from '../core/app/review';

type Handler = (...args: unknown[]) => unknown;
type Pair = { integration: IntegrationModel; interaction: InteractionModel };

function isNode(arg: unknown): arg is TreeNode {
  return !!arg && typeof arg === 'object' && 'type' in arg && typeof (arg as { type: unknown }).type === 'string';
}

function argNumber(arg: unknown, field: string): number | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  const v = (arg as Record<string, unknown>)[field];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

function argField(arg: unknown, field: string): string | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  const v = (arg as Record<string, unknown>)[field];
  return typeof v === 'string' ? v : undefined;
}

export class CommandTargets {
  constructor(private readonly ctx: ExtensionCtx) {}

  /** The interaction a command is about, or undefined when the user cancelled the pick. */
  async interaction(arg: unknown, placeHolder: string): Promise<Pair | undefined> {
    await this.ctx.specs.ready();
    const store = this.ctx.specs.store;
    if (isNode(arg) && arg.type === 'interaction') return store.find(arg.interaction.key);
    const key = typeof arg === 'string' ? arg : argField(arg, 'key');
    if (key) return store.find(key);
    // From the palette (no argument) or the editor's right-click menu (VS Code passes the document's
    // URI): the interaction under the cursor.
    const editor = vscode.window.activeTextEditor;
    const fromEditorMenu = arg instanceof vscode.Uri && editor?.document.uri.toString() === arg.toString();
    const atCursor = this.ctx.specs.interactionAtCursor(editor);
    if (atCursor && (arg === undefined || fromEditorMenu)) return store.find(atCursor.key);
    const pairs = store.integrations().flatMap((integration) => integration.interactions.map((interaction) => ({ integration, interaction })));
    if (pairs.length === 0) {
      void vscode.window.showWarningMessage('No interactions found: add an interactions.json to the workspace (Integration Builder: Create Spec).');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      pairs.map((p) => ({
        label: p.interaction.displayName,
        description: p.interaction.key,
        detail: [p.interaction.description, hasErrors(p.interaction.problems) ? '$(error) has problems' : ''].filter(Boolean).join(' — '),
        pair: p,
      })),
      { placeHolder, matchOnDescription: true, matchOnDetail: true },
    );
    return picked?.pair;
  }

  async integration(arg: unknown, placeHolder: string): Promise<IntegrationModel | undefined> {
    await this.ctx.specs.ready();
    const store = this.ctx.specs.store;
    if (isNode(arg) && arg.type !== 'problems') return store.integrations().find((i) => i.id === arg.integration.id);
    const id = typeof arg === 'string' ? arg : argField(arg, 'integrationId');
    if (id) return store.integrations().find((i) => i.id === id);
    const integrations = store.integrations();
    if (integrations.length === 0) {
      void vscode.window.showWarningMessage('No integrations found: add an interactions.json to the workspace (Integration Builder: Create Spec).');
      return undefined;
    }
    if (integrations.length === 1) return integrations[0];
    const picked = await vscode.window.showQuickPick(
      integrations.map((integration) => ({ label: integration.displayName, description: integration.id, integration })),
      { placeHolder },
    );
    return picked?.integration;
  }
}

const STARTER_SPEC = `// Integration Builder workspace spec. Comments and trailing commas are allowed.
{
  "integrations": [
    {
      "id": "google-calendar",
      "displayName": "Google Calendar",
      "connectionId": "test-google-calendar",
      "environment": "dev",
      "docs": ["https://developers.google.com/calendar/api/v3/reference"],
      "context": "This integration uses the Google Calendar REST API v3.",
      "interactions": [
        { "id": "create-event", "displayName": "Create Event", "description": "Create a calendar event",
          "prompt": "As a pre-requisite create a calendar first", "comments": "" }
      ]
    }
  ]
}
`;

export const TRANSCRIPT_SCHEME = 'integration-builder-transcript';

/** Serves `integration-builder-transcript:/<integration>/<interaction>.md` from the run's transcript. */
export class TranscriptProvider implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly ctx: ExtensionCtx) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const { key, attempt } = parseTranscriptUri(uri);
    return (await this.ctx.agents.transcript(key, attempt))?.markdown ?? `${key}${attempt ? ` attempt ${attempt}` : ''} has no transcript.\n`;
  }

  refresh(key: string): void {
    this.changed.fire(transcriptUri(key));
  }
}

/** `/<integration>/<interaction>.md` is the latest attempt; `….attempt-N.md` a given one. */
export function transcriptUri(key: string, attempt?: number): vscode.Uri {
  return vscode.Uri.from({ scheme: TRANSCRIPT_SCHEME, path: `/${key}${attempt ? `.attempt-${attempt}` : ''}.md` });
}

function parseTranscriptUri(uri: vscode.Uri): { key: string; attempt?: number } {
  const m = /^\/(.+?)(?:\.attempt-(\d+))?\.md$/.exec(uri.path);
  if (!m) return { key: uri.path.replace(/^\//, '') };
  return { key: m[1] as string, attempt: m[2] ? Number(m[2]) : undefined };
}

export function commandTable(ctx: ExtensionCtx, proposed: ProposedFiles, board: Pick<BoardPanel, 'show'>): Record<CommandId, Handler> {
  const targets = new CommandTargets(ctx);

  /** The target interaction, refused (with the reason) when the spec has errors in it. */
  const runnable = async (arg: unknown, placeHolder: string): Promise<Pair | undefined> => {
    const pair = await targets.interaction(arg, placeHolder);
    if (!pair) return undefined;
    if (!isRunnable(pair.integration, pair.interaction)) {
      void vscode.window.showErrorMessage(
        `${pair.interaction.key} has problems in ${vscode.workspace.asRelativePath(pair.interaction.file)}: fix them first (see the Problems panel).`,
      );
      return undefined;
    }
    return pair;
  };

  const startRuns = async (pairs: Pair[]): Promise<string[] | undefined> => {
    try {
      const queued = await ctx.agents.generate(pairs);
      await vscode.commands.executeCommand('integrationBuilder.interactions.focus');
      return queued;
    } catch (err) {
      if (err instanceof UserCancelled) return undefined;
      throw err;
    }
  };

  // Assemble needs one API.
  /** Verification under a cancellable progress notification, one line per check as it runs. */
  const verifyWithProgress = (keys: string[], title: string): Thenable<VerifyReport[] | undefined> =>
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      let done = 0;
      // Every finished interaction moves the bar by its share; each check's start and outcome is the message.
      const total = Math.max(1, keys.length);
      try {
        return await ctx.agents.verify(keys, {
          signal: abort.signal,
          onProgress: (key, check, outcome) => {
            progress.report({ message: `${key}: ${check} ${outcome} (${done}/${keys.length} done)` });
          },
          onReport: (report) => {
            done++;
            progress.report({ message: `${report.key}: ${report.verdict} (${done}/${keys.length} done)`, increment: 100 / total });
          },
        });
      } catch (err) {
        if (abort.signal.aborted) return undefined;
        throw err;
      }
    });

  return {
    [COMMANDS.generateInteraction]: async (arg?: unknown) => {
      const pair = await runnable(arg, 'Interaction to generate');
      if (!pair) return undefined;
      const running = ctx.agents.current?.activeKeys().includes(pair.interaction.key);
      if (running) {
        void vscode.window.showInformationMessage(`${pair.interaction.key} is already ${ctx.runs.get(pair.interaction.key)?.status ?? 'running'}.`);
        return [];
      }
      return startRuns([pair]);
    },

    [COMMANDS.generateAll]: async (arg?: unknown) => {
      await ctx.specs.ready();
      let integrations = ctx.specs.store.integrations();
      if (arg !== undefined) {
        const one = await targets.integration(arg, 'Integration to generate');
        if (!one) return undefined;
        integrations = [one];
      }
      const pairs = integrations.flatMap((integration) => integration.interactions.map((interaction) => ({ integration, interaction })));
      const ready = pairs.filter((p) => isRunnable(p.integration, p.interaction));
      const skipped = pairs.length - ready.length;
      if (skipped) void vscode.window.showWarningMessage(`${skipped} interaction(s) have problems in the spec and were skipped (see the Problems panel).`);
      if (!ready.length) return [];
      return startRuns(ready);
    },

    [COMMANDS.stop]: async (arg?: unknown) => {
      const o = ctx.agents.current;
      const active = o?.activeKeys() ?? [];
      if (!o || !active.length) {
        void vscode.window.showInformationMessage('No agent is running.');
        return [];
      }
      let keys: string[];
      if (arg !== undefined) {
        const pair = await targets.interaction(arg, 'Interaction to stop');
        if (!pair) return undefined;
        keys = [pair.interaction.key];
      } else {
        const all = '$(debug-stop) Stop all';
        const picked = await vscode.window.showQuickPick([all, ...active], { placeHolder: 'Agent to stop' });
        if (!picked) return undefined;
        keys = picked === all ? active : [picked];
      }
      await ctx.agents.stop(keys);
      return keys;
    },

    [COMMANDS.restartFromScratch]: async (arg?: unknown) => {
      const pair = await runnable(arg, 'Interaction to restart from scratch');
      if (!pair) return undefined;
      const ok = ctx.silentConfirmations
        ? 'Restart'
        : await vscode.window.showWarningMessage(
            `Restart ${pair.interaction.key} from scratch? Its folder and its agent session are deleted and a new agent starts. The old attempt stays in the run history.`,
            { modal: true },
            'Restart',
          );
      if (ok !== 'Restart') return undefined;
      try {
        await ctx.agents.restart(pair);
      } catch (err) {
        if (err instanceof UserCancelled) return undefined;
        throw err;
      }
      return pair.interaction.key;
    },

    [COMMANDS.openTranscript]: async (arg?: unknown) => {
      const pair = await targets.interaction(arg, 'Interaction whose transcript to open');
      if (!pair) return undefined;
      // `{ key, attempt, line }` (from a finding or the panel) opens that attempt at that entry.
      const attempt = argNumber(arg, 'attempt');
      const line = argNumber(arg, 'line');
      const rendered = await ctx.agents.transcript(pair.interaction.key, attempt);
      if (!rendered) {
        void vscode.window.showInformationMessage(`${pair.interaction.key} has not run yet: there is no transcript.`);
        return undefined;
      }
      // A read-only virtual document: nothing to save, and reopening shows the latest.
      const current = ctx.agents.current?.get(pair.interaction.key)?.attempt;
      const uri = transcriptUri(pair.interaction.key, attempt !== undefined && attempt !== current ? attempt : undefined);
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
      const at = line !== undefined ? rendered.lineOfEntry[line] : undefined;
      const selection = at !== undefined ? new vscode.Range(at, 0, at, 0) : undefined;
      const editor = await vscode.window.showTextDocument(doc, { preview: true, selection });
      if (selection) editor.revealRange(selection, vscode.TextEditorRevealType.AtTop);
      return rendered.markdown;
    },

    [COMMANDS.verifyInteraction]: async (arg?: unknown) => {
      const pair = await targets.interaction(arg, 'Interaction to verify');
      if (!pair) return undefined;
      const key = pair.interaction.key;
      const notYet =
        !ctx.runs.get(key) || ctx.runs.get(key)?.status === 'not-started'
          ? `${key} has not run yet: generate it first, then verify what the agent built.`
          : ctx.agents.current?.activeKeys().includes(key)
            ? `${key} is still running: verify it when its agent has finished.`
            : undefined;
      if (notYet) {
        void vscode.window.showInformationMessage(notYet);
        return notYet;
      }
      const reports = await verifyWithProgress([key], `Verifying ${key}`);
      const report = reports?.[0];
      if (!report) return reports;
      const first = report.checks.flatMap((c) => c.findings).find((f) => f.severity === 'error') ?? report.checks.flatMap((c) => c.findings)[0];
      const show = 'Show Report';
      const jump = 'Jump to First Bad Step';
      const text = `${key}: ${report.verdict === 'verified' ? 'verified — every check passed' : `${report.verdict}${first ? ` — ${first.rule}: ${first.message}` : ''}`}`;
      const buttons = firstBadStep(report) ? [show, jump] : [show];
      // Not awaited: the command is done; the buttons act whenever the user gets to them.
      void (report.verdict === 'verified' ? vscode.window.showInformationMessage(text, show) : vscode.window.showWarningMessage(text, ...buttons)).then(
        async (pick) => {
          if (pick === show) await ctx.verifyResults.open();
          const step = firstBadStep(report);
          if (pick === jump && step) await vscode.commands.executeCommand(COMMANDS.openTranscript, { key, attempt: step.attempt, line: step.line });
        },
      );
      return reports;
    },

    [COMMANDS.verifyAll]: async (arg?: unknown) => {
      await ctx.specs.ready();
      let scope: string | undefined;
      if (arg !== undefined) {
        const integration = await targets.integration(arg, 'Integration to verify');
        if (!integration) return undefined;
        scope = integration.id;
      }
      const running = new Set(ctx.agents.current?.activeKeys() ?? []);
      const keys = ctx.specs.store
        .interactions()
        .filter((i) => !scope || i.integrationId === scope)
        .map((i) => i.key)
        .filter((k) => {
          const status = ctx.runs.get(k)?.status;
          return status !== undefined && status !== 'not-started' && !running.has(k);
        });
      if (!keys.length) {
        const message = `Nothing to verify${scope ? ` in ${scope}` : ''}: no interaction has finished a run yet.`;
        void vscode.window.showInformationMessage(message);
        return message;
      }
      const reports = await verifyWithProgress(keys, `Verifying ${keys.length} interaction(s)`);
      if (reports?.length) await ctx.verifyResults.open();
      return reports;
    },
    [COMMANDS.attachToSession]: async (arg?: unknown) => {
      const pair = await targets.interaction(arg, 'Agent session to attach to');
      if (!pair) return undefined;
      const key = pair.interaction.key;
      const run = ctx.agents.current?.get(key);
      const endpoint = run?.serverUrl ? ctx.agents.connection?.endpointOf(run.serverUrl) : undefined;
      if (!run?.sessionId || !endpoint) {
        const message = `${key}: its session is not on a server this window is connected to (generate it first).`;
        void vscode.window.showInformationMessage(message);
        return message;
      }
      // OpenCode's own UI on our server, attached to that session: to inspect it or take over by hand.
      const attach = attachCommand(ctx.agents.opencodeBin ?? ctx.config.opencodePath ?? 'opencode', endpoint, { folder: run.folder, sessionId: run.sessionId });
      const terminal = vscode.window.createTerminal({
        name: `OpenCode: ${key}`,
        cwd: run.folder,
        shellPath: attach.file,
        shellArgs: attach.args,
        env: attach.env,
      });
      terminal.show();
      return terminal.name;
    },

    [COMMANDS.assembleIntegration]: async (arg?: unknown) => {
      const integration = await targets.integration(arg, 'Integration to assemble');
      if (!integration) return undefined;
      return assembleIntegration(ctx, integration, proposed);
    },

    [COMMANDS.openInteractionFolder]: async (arg?: unknown) => {
      const pair = await targets.interaction(arg, 'Interaction whose folder to open');
      if (!pair) return undefined;
      const root = ctx.workspaceRoot();
      if (!root) {
        void vscode.window.showErrorMessage('Open a folder first: interaction folders live under the workspace.');
        return undefined;
      }
      const folder = interactionFolder(resolveWorkRoot(root, ctx.config.workRoot), pair.integration.id, pair.interaction.id);
      if (!existsSync(folder)) {
        void vscode.window.showInformationMessage(
          `No folder yet for ${pair.interaction.key} (it would be ${vscode.workspace.asRelativePath(folder)}): generate the interaction first.`,
        );
        return undefined;
      }
      await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(folder));
      return folder;
    },

    [COMMANDS.refresh]: async () => {
      await ctx.specs.rescan();
      ctx.tree.refresh();
      return ctx.specs.store.files();
    },

    [COMMANDS.revealInSpec]: async (arg?: unknown) => {
      const file = argField(arg, 'file');
      const offset = arg && typeof arg === 'object' ? (arg as { offset?: unknown }).offset : undefined;
      if (!file) return undefined;
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
      const pos = doc.positionAt(typeof offset === 'number' ? offset : 0);
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preserveFocus: false });
      return file;
    },

    [COMMANDS.setNangoSecretKey]: async () => {
      const key = await vscode.window.showInputBox({
        title: 'Nango secret key',
        prompt:
          'The secret key of the Nango environment your test connections live in. Kept in VS Code’s secret storage; used only by the harness to record fixtures.',
        password: true,
        ignoreFocusOut: true,
      });
      if (key === undefined) return undefined;
      if (key.trim()) await ctx.extension.secrets.store(NANGO_SECRET, key.trim());
      else await ctx.extension.secrets.delete(NANGO_SECRET);
      void vscode.window.showInformationMessage(key.trim() ? 'Nango secret key saved.' : 'Nango secret key removed.');
      return !!key.trim();
    },

    [COMMANDS.checkSandbox]: async () => {
      // The core's doctor (the CLI's `doctor`), loaded on first use: it stays out of the activation bundle's hot path.
      const { sandboxDoctor, renderDoctor } = await import('../core/sandbox/doctor');
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Checking the agent sandbox…' }, () =>
        sandboxDoctor(),
      );
      ctx.log.info(`agent sandbox check:\n${renderDoctor(result)}`);
      const show = 'Show Details';
      const message = result.ok
        ? 'The agent sandbox works: agents’ shell commands run in bubblewrap (own folder only, no secrets, no network, nothing left running).'
        : `The agent sandbox does not work here: ${result.checks
            .filter((c) => !c.ok)
            .map((c) => `${c.name} — ${c.detail}`)
            .join('; ')}`;
      // Not awaited: the message stays until dismissed, the command's result is ready now.
      void (result.ok ? vscode.window.showInformationMessage(message, show) : vscode.window.showWarningMessage(message, show)).then(
        (pick) => pick === show && ctx.log.show(true),
      );
      return result;
    },

    [COMMANDS.showInsights]: () => showInsights(ctx),
    [COMMANDS.showBoard]: () => board.show(),

    [COMMANDS.restartAgentServer]: async (arg?: unknown) => {
      // Asked only when it interrupts something (the settings notification has already said what: `confirmed`).
      const { running, queued } = ctx.agents.activeRuns();
      const rebuild = ctx.agents.pendingSettings.length > 0;
      const interrupted = rebuild ? running + queued : running;
      const confirmed = !!arg && typeof arg === 'object' && (arg as { confirmed?: unknown }).confirmed === true;
      if (interrupted && !confirmed && !ctx.silentConfirmations) {
        const restart = 'Restart';
        const pick = await vscode.window.showWarningMessage(
          `Restart the agent server? ${interrupted} agent run(s) will be interrupted (restart them from scratch afterwards).${rebuild || !queued ? '' : ` The ${queued} queued run(s) wait for the new server.`}`,
          { modal: true },
          restart,
        );
        if (pick !== restart) return undefined;
      }
      try {
        const status = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Restarting the agent server…' }, () =>
          ctx.agents.restartServer(),
        );
        return status;
      } catch (err) {
        if (err instanceof UserCancelled) return undefined;
        throw err;
      }
    },

    [COMMANDS.reviewInteraction]: async (arg?: unknown) => {
      const pair = await targets.interaction(arg, 'Interaction to review');
      if (!pair) return undefined;
      const key = pair.interaction.key;
      if (ctx.agents.current?.activeKeys().includes(key)) {
        const message = `${key} is still running: review it when its agent has finished.`;
        void vscode.window.showInformationMessage(message);
        return message;
      }
      const opened = await ctx.reviews.open(pair.interaction);
      if (typeof opened === 'string') void vscode.window.showInformationMessage(opened);
      return opened;
    },

    // Feedback to a finished run's agent: a new turn of its session, in its folder, verified when it ends.
    // From the palette, the tree or the Agents view (an input box), `{ key, text }`, or a reply written in a
    // review comment thread (VS Code passes `{ thread, text }`; where it was written goes with it).
    [COMMANDS.sendFeedback]: async (arg?: unknown) => {
      const refuse = (message: string) => {
        void vscode.window.showWarningMessage(message);
        return message;
      };
      const reply = ctx.reviews.replyOf(arg);
      let key: string;
      if (reply) {
        if (!reply.key) return refuse('This comment is on no interaction’s folder: feedback goes to the agent of an interaction that has run.');
        key = reply.key;
      } else {
        const pair = await targets.interaction(arg, 'Interaction whose agent gets your feedback');
        if (!pair) return undefined;
        key = pair.interaction.key;
      }
      const board = ctx.runs.get(key);
      if (ctx.agents.current?.activeKeys().includes(key) || board?.status === 'running' || board?.status === 'queued')
        return refuse(`${key} is still running: send feedback once its agent has finished.`);
      if (board?.elsewhere) return refuse(`${key} is being run by another process: send feedback from there, or once it has finished.`);
      if (!(await ctx.agents.builder().record(key))) return refuse(`${key} has not run yet: there is no agent to send feedback to. Generate it first.`);
      let text = reply?.text ?? argField(arg, 'text');
      if (text === undefined) {
        text = await vscode.window.showInputBox({
          title: `Feedback to the agent of ${key}`,
          prompt: 'What should it change? It goes to the same session as a new turn, in the same folder, and the turn is verified when it ends.',
          ignoreFocusOut: true,
          validateInput: (v) => (v.trim() ? undefined : 'Say what the agent should change.'),
        });
        if (text === undefined) return undefined;
      }
      if (!text.trim()) return refuse(`The feedback to ${key}'s agent is empty: nothing was sent.`);
      let turn: number | undefined;
      try {
        turn = await ctx.agents.sendFeedback(key, text);
      } catch (err) {
        if (err instanceof UserCancelled) return undefined;
        ctx.log.warn(`feedback to ${key}: ${(err as Error).message}`);
        return refuse(`Feedback to ${key} was not sent: ${(err as Error).message}.`);
      }
      if (reply) ctx.reviews.noteSent(reply.thread, reply.said, turn);
      void vscode.window.showInformationMessage(
        `${key}: your feedback went to its agent${turn ? ` as turn ${turn}` : ''}; the turn is verified when it ends. Its earlier verdict is kept in the run's history.`,
      );
      return { key, turn };
    },

    [COMMANDS.acceptInteraction]: async (arg?: unknown) => {
      const pair = await targets.interaction(arg, 'Interaction to accept');
      if (!pair) return undefined;
      const key = pair.interaction.key;
      try {
        const { state } = await ctx.agents.builder().accept(key);
        await ctx.reviews.refresh([key]);
        const verified = ctx.runs.get(key)?.status === 'verified';
        const message = `${key}: ${describeReviewState(state)}.${verified ? ' Assemble takes it.' : ' It is not verified: Assemble leaves it out unless you include unverified interactions.'} A change to its folder clears the acceptance.`;
        void (verified ? vscode.window.showInformationMessage(message) : vscode.window.showWarningMessage(message));
        return state;
      } catch (err) {
        if (!(err instanceof ReviewRefused)) throw err;
        void vscode.window.showWarningMessage(err.message);
        return err.message;
      }
    },

    [COMMANDS.rejectInteraction]: async (arg?: unknown) => {
      const pair = await targets.interaction(arg, 'Interaction to reject');
      if (!pair) return undefined;
      const key = pair.interaction.key;
      let reason = argField(arg, 'reason');
      if (reason === undefined && !ctx.silentConfirmations) {
        reason = await vscode.window.showInputBox({
          title: `Reject ${key}`,
          prompt: 'Why? (optional: kept in its run record; Assemble leaves it out)',
          ignoreFocusOut: true,
        });
        if (reason === undefined) return undefined;
      }
      try {
        const { state } = await ctx.agents.builder().reject(key, { reason });
        await ctx.reviews.refresh([key]);
        void vscode.window.showInformationMessage(`${key}: ${describeReviewState(state)}. Assemble leaves it out.`);
        return state;
      } catch (err) {
        if (!(err instanceof ReviewRefused)) throw err;
        void vscode.window.showWarningMessage(err.message);
        return err.message;
      }
    },

    [COMMANDS.createSpec]: async () => {
      const root = ctx.workspaceRoot();
      if (!root) {
        void vscode.window.showErrorMessage('Open a folder first: the spec is created at its root.');
        return undefined;
      }
      const uri = vscode.Uri.joinPath(vscode.Uri.file(root), 'interactions.json');
      if (!existsSync(uri.fsPath)) await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(STARTER_SPEC));
      await vscode.window.showTextDocument(uri);
      return uri.fsPath;
    },
  };
}
