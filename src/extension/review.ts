// Review in the editor: what the agent changed against the scaffold in VS Code's own multi-file diff
// (one diff per file where the multi-file diff is not available), the verification's findings as
// comments at their lines (the Comments API), the transcript one click away; Accept and Reject; and the
// review state of every interaction for the tree, read against its folder (a change after acceptance
// makes it stale), refreshed when a run changes or a file of its folder does. A reply to a finding's
// thread, or a comment started on any line of an agent's file, is feedback to its agent (Send Feedback).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { IntegrationBuilder } from '../core/app/integrationBuilder';
import { describeReviewState, type ReviewState } from '../core/app/review';
import type { InteractionModel } from '../core/app/review';
import type { Finding, VerifyReport } from '../core/verify/types';
import { COMMANDS } from './commandIds';

/** A reply written in a review comment thread: the interaction it is about and the feedback for its agent. */
export interface FeedbackReply {
  readonly key: string;
  /** What the person wrote, with where it was written (file and line, the findings there) for the agent. */
  readonly text: string;
  /** What the person wrote, as written. */
  readonly said: string;
  readonly thread: vscode.CommentThread;
}

export const SCAFFOLD_SCHEME = 'integration-builder-scaffold';
/** The comment controller's id: `comments/commentThread/*` menus name it. */
export const REVIEW_COMMENTS = 'integrationBuilder.review';

/** What the review service needs of the extension (ExtensionCtx is one). */
export interface ReviewHost {
  readonly log: vscode.LogOutputChannel;
  readonly agents: {
    builder(): IntegrationBuilder;
    readonly current?: { report(key: string): VerifyReport | undefined };
  };
  readonly verifyResults: { report(key: string): VerifyReport | undefined };
  readonly runs: { onDidChange(listener: (keys: readonly string[]) => void): vscode.Disposable | { dispose(): void } };
}

/** The review state of each interaction, as the tree shows it. */
export interface ReviewStatusSource {
  get(key: string): ReviewState | undefined;
  readonly onDidChange: vscode.Event<readonly string[]>;
}

/** What Review Interaction opened (the extension-host tests read it). */
export interface ReviewOpened {
  readonly key: string;
  readonly folder: string;
  readonly changes: readonly { rel: string; status: 'added' | 'modified' | 'deleted' }[];
  /** `vscode.changes` (one multi-file diff) or `vscode.diff` (one tab per file). */
  readonly diff: 'multi' | 'per-file' | 'none';
  /** Each comment thread: the file (relative to the folder), its 1-based line, and the findings' rules. */
  readonly threads: readonly { file: string; line: number; rules: string[] }[];
}

/** How often accepted interactions are read again against their folders (besides the file watcher). */
const RECHECK_MS = 5000;

const SEVERITY_ICON: Record<Finding['severity'], string> = { error: '$(error)', warning: '$(warning)', info: '$(info)' };

export class ReviewService implements ReviewStatusSource, vscode.Disposable {
  private readonly states = new Map<string, ReviewState>();
  private readonly changed = new vscode.EventEmitter<readonly string[]>();
  readonly onDidChange = this.changed.event;
  /** The scaffold side of each diff, by URI (each review's URIs are new: a stamp in the query). */
  private readonly before = new Map<string, string>();
  private readonly comments = vscode.comments.createCommentController(REVIEW_COMMENTS, 'Integration Builder review');
  private readonly threads = new Map<string, vscode.CommentThread[]>();
  /** The findings' threads: their interaction and rules (a reply says where it was written). */
  private readonly threadKeys = new WeakMap<vscode.CommentThread, string>();
  private readonly threadRules = new WeakMap<vscode.CommentThread, string[]>();
  private readonly disposables: { dispose(): void }[] = [];
  private pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /**
   * Re-reads the accepted interactions every few seconds while there are any: the work root's file watcher
   * is the quick way to see a change after acceptance, but with the cores busy it can miss one, and an
   * acceptance that no longer holds must not stay on screen.
   */
  private recheck: NodeJS.Timeout | undefined;
  private watcher: vscode.FileSystemWatcher | undefined;
  private watchedRoot: string | undefined;

  constructor(private readonly host: ReviewHost) {
    this.disposables.push(
      this.comments,
      vscode.workspace.registerTextDocumentContentProvider(SCAFFOLD_SCHEME, { provideTextDocumentContent: (uri) => this.before.get(uri.toString()) ?? '' }),
      host.runs.onDidChange((keys) => this.refreshSoon(keys)),
    );
    // A person may start a comment on any line of an agent's file: a thread there is feedback to its agent.
    this.comments.commentingRangeProvider = {
      provideCommentingRanges: (doc) => (this.keyOf(doc.uri) ? [new vscode.Range(0, 0, Math.max(0, doc.lineCount - 1), 0)] : []),
    };
    this.comments.options = { prompt: 'Feedback to the agent…', placeHolder: 'What should the agent change? (Send Feedback to Agent)' };
  }

  /** The interaction whose folder holds this file (one that has run), if any. */
  keyOf(uri: vscode.Uri): string | undefined {
    if (uri.scheme !== 'file') return undefined;
    let root: string;
    try {
      root = this.host.agents.builder().workRoot;
    } catch {
      return undefined;
    }
    const rel = path.relative(root, uri.fsPath).split(path.sep);
    if (rel.length < 3 || rel[0] === '..' || path.isAbsolute(rel[0] ?? '') || rel[0]?.startsWith('.')) return undefined;
    const key = `${rel[0]}/${rel[1]}`;
    return this.states.has(key) ? key : undefined;
  }

  /**
   * A comment thread's reply (`{ thread, text }`, as VS Code passes it to a `comments/commentThread/context`
   * command) as feedback: its interaction, and the text with where it was written. Undefined for anything
   * else; a reply on a file of no interaction has an empty key (the command says so).
   */
  replyOf(arg: unknown): FeedbackReply | undefined {
    if (!arg || typeof arg !== 'object') return undefined;
    const { thread, text } = arg as { thread?: unknown; text?: unknown };
    if (typeof text !== 'string' || !thread || typeof thread !== 'object' || !((thread as vscode.CommentThread).uri instanceof vscode.Uri)) return undefined;
    const t = thread as vscode.CommentThread;
    const key = this.threadKeys.get(t) ?? this.keyOf(t.uri) ?? '';
    if (!key || !text.trim()) return { key, text, said: text, thread: t };
    let root = '';
    try {
      root = this.host.agents.builder().workRoot;
    } catch {
      /* no folder open: keyOf said no key already */
    }
    const file = path
      .relative(path.join(root, ...key.split('/')), t.uri.fsPath)
      .split(path.sep)
      .join('/');
    const line = (t.range?.start.line ?? 0) + 1;
    const rules = this.threadRules.get(t);
    const where = `(About ${file}, line ${line}${rules?.length ? `, where Verify found: ${rules.join(', ')}` : ''}.)`;
    return { key, text: `${text.trim()}\n\n${where}`, said: text, thread: t };
  }

  /** @internal test hook: the comment threads the last review of this interaction opened (and those started in it). */
  threadsOf(key: string): readonly vscode.CommentThread[] {
    return this.threads.get(key) ?? [];
  }

  /** The reply, sent: shown in its thread as the person's, saying which turn it started. */
  noteSent(thread: vscode.CommentThread, text: string, turn: number | undefined): void {
    const body = new vscode.MarkdownString();
    body.appendText(text);
    const sent: vscode.Comment = {
      body,
      mode: vscode.CommentMode.Preview,
      author: { name: 'You' },
      label: turn ? `sent to the agent (turn ${turn})` : 'sent to the agent',
    };
    thread.comments = [...thread.comments, sent];
    // A thread the person started is the review's too: the next review of the interaction clears it.
    const key = this.threadKeys.get(thread) ?? this.keyOf(thread.uri);
    if (key && !this.threads.get(key)?.includes(thread)) {
      this.threadKeys.set(thread, key);
      this.threads.set(key, [...(this.threads.get(key) ?? []), thread]);
    }
  }

  get(key: string): ReviewState | undefined {
    return this.states.get(key);
  }

  /** Reads the review of these interactions again (against their folders) and tells the views. */
  async refresh(keys: readonly string[]): Promise<void> {
    this.watch();
    let now: Map<string, ReviewState>;
    try {
      now = await this.host.agents.builder().reviews(keys);
    } catch (err) {
      this.host.log.warn(`reviews cannot be read: ${(err as Error).message}`);
      return;
    }
    const changed: string[] = [];
    for (const key of keys) {
      const before = this.states.get(key);
      const state = now.get(key);
      if (state) this.states.set(key, state);
      else this.states.delete(key);
      if (JSON.stringify(before) !== JSON.stringify(state)) changed.push(key);
    }
    if (changed.length) this.changed.fire(changed);
    this.recheckAccepted();
  }

  private recheckAccepted(): void {
    const accepted = () => [...this.states].filter(([, st]) => st.state === 'accepted').map(([key]) => key);
    if (accepted().length && !this.recheck) this.recheck = setInterval(() => accepted().length && this.refreshSoon(accepted()), RECHECK_MS);
    else if (!accepted().length && this.recheck) {
      clearInterval(this.recheck);
      this.recheck = undefined;
    }
  }

  /** Coalesces refreshes: a burst of run changes or file writes is one read per interaction. */
  private refreshSoon(keys: readonly string[]): void {
    for (const k of keys) this.pending.add(k);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const batch = [...this.pending];
      this.pending = new Set();
      void this.refresh(batch);
    }, 250);
  }

  /** A file changed under the work root: the interaction it belongs to, if its review may change (it has one). */
  private watch(): void {
    let root: string;
    try {
      root = this.host.agents.builder().workRoot;
    } catch {
      return; // no folder open
    }
    if (this.watchedRoot === root) return;
    this.watcher?.dispose();
    this.watchedRoot = root;
    this.watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), '**/*'));
    const onFile = (uri: vscode.Uri) => {
      const rel = path.relative(root, uri.fsPath).split(path.sep);
      if (rel.length < 2 || rel[0] === '..' || rel[0]?.startsWith('.')) return;
      const key = `${rel[0]}/${rel[1]}`;
      const state = this.states.get(key);
      if (state && state.state !== 'none') this.refreshSoon([key]);
    };
    this.watcher.onDidChange(onFile);
    this.watcher.onDidCreate(onFile);
    this.watcher.onDidDelete(onFile);
  }

  /** The latest verification of this interaction, as the editor knows it. */
  private reportOf(key: string): VerifyReport | undefined {
    return this.host.verifyResults.report(key) ?? this.host.agents.current?.report(key);
  }

  /**
   * Opens the review of an interaction: the diff of everything its agent changed against the scaffold,
   * the latest verification's findings as comments, and a notification with the transcript, Accept and Reject.
   */
  async open(interaction: InteractionModel): Promise<ReviewOpened | string> {
    const key = interaction.key;
    const builder = this.host.agents.builder();
    const run = await builder.record(key);
    if (!run) return `${key} has not run yet: there is nothing to review.`;
    const { folder, changes } = await builder.reviewChanges(interaction);
    const report = this.reportOf(key);
    const threads = this.showFindings(key, folder, report && report.attempt === run.attempt ? report : undefined);
    let diff: ReviewOpened['diff'] = 'none';
    if (changes.length) {
      const stamp = Date.now();
      const beforeUri = (rel: string, content: string | undefined) => {
        const uri = vscode.Uri.from({ scheme: SCAFFOLD_SCHEME, path: `/${key}/${rel}`, query: `scaffold-${stamp}` });
        this.before.set(uri.toString(), content ?? '');
        return uri;
      };
      const resources = changes.map((c): [vscode.Uri, vscode.Uri, vscode.Uri] => {
        const file = vscode.Uri.file(path.join(folder, ...c.rel.split('/')));
        const left = beforeUri(c.rel, c.before);
        const right = c.status === 'deleted' ? beforeUri(`${c.rel}.deleted`, '') : file;
        return [file, left, right];
      });
      const title = `Review ${key}: ${changes.length} file(s) changed against the scaffold`;
      try {
        await vscode.commands.executeCommand('vscode.changes', title, resources);
        diff = 'multi';
      } catch (err) {
        // Older VS Code: one diff per file.
        this.host.log.info(`vscode.changes is not available (${(err as Error).message}); one diff per file`);
        for (const [file, left, right] of resources)
          await vscode.commands.executeCommand('vscode.diff', left, right, `${path.basename(file.fsPath)} (scaffold ↔ ${key})`, { preview: false });
        diff = 'per-file';
      }
    }
    const state = await builder.review(key);
    const said = [
      `${key}: ${changes.length ? `${changes.length} file(s) changed against the scaffold` : 'nothing changed against the scaffold'}`,
      report
        ? `verification: ${report.verdict}${threads.length ? `, ${threads.reduce((n, t) => n + t.rules.length, 0)} finding(s) as comments` : ''}`
        : 'not verified yet',
      state ? describeReviewState(state) : '',
    ].filter(Boolean);
    const transcript = 'Open Transcript';
    const accept = 'Accept';
    const reject = 'Reject…';
    void vscode.window.showInformationMessage(said.join(' · '), transcript, accept, reject).then(async (pick) => {
      if (pick === transcript) await vscode.commands.executeCommand(COMMANDS.openTranscript, { key });
      if (pick === accept) await vscode.commands.executeCommand(COMMANDS.acceptInteraction, { key });
      if (pick === reject) await vscode.commands.executeCommand(COMMANDS.rejectInteraction, { key });
    });
    return { key, folder, changes: changes.map(({ rel, status }) => ({ rel, status })), diff, threads };
  }

  /** The findings of a verification as comment threads at their files and lines (those on no file: on the script's first line). */
  private showFindings(key: string, folder: string, report: VerifyReport | undefined): ReviewOpened['threads'] {
    for (const t of this.threads.get(key) ?? []) t.dispose();
    this.threads.delete(key);
    if (!report) return [];
    const findings = report.checks.flatMap((c) => c.findings);
    const byPlace = new Map<string, { file: string; line: number; findings: Finding[] }>();
    const script = findings.find((f) => f.location?.file.includes('/actions/') || f.location?.file.includes('/syncs/'))?.location?.file;
    for (const f of findings) {
      const file = f.location?.file ?? script ?? 'index.ts';
      const line = f.location?.line ?? 1;
      const at = `${file}:${line}`;
      const place = byPlace.get(at) ?? { file, line, findings: [] };
      place.findings.push(f);
      byPlace.set(at, place);
    }
    const made: vscode.CommentThread[] = [];
    const said: { file: string; line: number; rules: string[] }[] = [];
    for (const place of byPlace.values()) {
      const uri = vscode.Uri.file(path.join(folder, ...place.file.split('/')));
      const line = Math.max(0, place.line - 1);
      const comments = place.findings.map((f): vscode.Comment => {
        const body = new vscode.MarkdownString(undefined, true);
        body.isTrusted = { enabledCommands: [COMMANDS.openTranscript] };
        body.appendMarkdown(`${SEVERITY_ICON[f.severity]} **${f.rule}** — `).appendText(f.message);
        if (!f.location) body.appendMarkdown(' *(about the transcript, not a line of this file)*');
        if (f.quote) body.appendMarkdown('\n\n').appendCodeblock(f.quote);
        if (f.step) {
          const args = encodeURIComponent(JSON.stringify([{ key, attempt: f.step.attempt, line: f.step.line }]));
          body.appendMarkdown(
            `\n\n[Open the step in the transcript${f.step.step ? ` (step ${f.step.step})` : ''}](command:${COMMANDS.openTranscript}?${args})`,
          );
        }
        return { body, mode: vscode.CommentMode.Preview, author: { name: `Verify: ${f.check}` } };
      });
      const thread = this.comments.createCommentThread(uri, new vscode.Range(line, 0, line, 0), comments);
      thread.label = `Verification of ${key} (attempt ${report.attempt}): ${report.verdict}`;
      thread.canReply = true;
      thread.contextValue = `ibFinding:${key}`;
      this.threadKeys.set(thread, key);
      this.threadRules.set(
        thread,
        place.findings.map((f) => f.rule),
      );
      thread.collapsibleState = vscode.CommentThreadCollapsibleState.Expanded;
      made.push(thread);
      said.push({ file: place.file, line: place.line, rules: place.findings.map((f) => f.rule) });
    }
    this.threads.set(key, made);
    return said;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.recheck) clearInterval(this.recheck);
    for (const ts of this.threads.values()) for (const t of ts) t.dispose();
    this.watcher?.dispose();
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}
