// The Interactions view: spec file problems, integrations, and their interactions with live status.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunStatusSource } from '../core/runs/board';
import { STATUS_LABEL, type InteractionStatus } from '../core/runs/status';
import { hasErrors, type IntegrationModel, type InteractionModel, type LoadedSpec } from '../core/spec/model';
import type { SpecStore } from '../core/spec/store';
import { describeReviewState } from '../core/app/review';
import { COMMANDS } from './commandIds';
import type { ReviewStatusSource } from './review';

export type TreeNode =
  | { readonly type: 'problems'; readonly spec: LoadedSpec; readonly errors: number; readonly warnings: number }
  | { readonly type: 'integration'; readonly integration: IntegrationModel }
  | { readonly type: 'interaction'; readonly integration: IntegrationModel; readonly interaction: InteractionModel };

const STATUS_ICON: Record<InteractionStatus, [string, string?]> = {
  'not-started': ['circle-large-outline'],
  queued: ['clock', 'charts.yellow'],
  running: ['sync~spin', 'charts.blue'],
  'needs-review': ['eye', 'charts.orange'],
  blocked: ['circle-slash', 'charts.red'],
  verified: ['pass-filled', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  stopped: ['debug-stop'],
  interrupted: ['debug-disconnect', 'charts.orange'],
};

function icon([id, color]: [string, string?]): vscode.ThemeIcon {
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

/** `42s`, `3m 05s`, `1h 02m` */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

function integrationId(integration: IntegrationModel): string {
  return `${integration.file}\0${integration.id}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

type IntegrationNode = Extract<TreeNode, { type: 'integration' }>;
type InteractionNode = Extract<TreeNode, { type: 'interaction' }>;

/** Run changes that arrive together (200 agents streaming) are shown in one refresh of their rows. */
const ROW_REFRESH_MS = 50;

export class InteractionsTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | TreeNode[] | undefined>();
  /** `undefined`: the whole tree (the spec changed); nodes: those rows, in place (a run or a review changed). */
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: { dispose(): void }[];
  /** Ticks once a second while something runs, so elapsed times move (the running rows only). */
  private ticker: NodeJS.Timeout | undefined;
  /**
   * The nodes last handed out, so a row can be refreshed in place: VS Code knows a tree's elements by
   * identity. A node is kept while its model is the same object; a spec change makes new ones.
   */
  private readonly integrationNodes = new Map<string, IntegrationNode>();
  private readonly interactionNodes = new Map<string, InteractionNode>();
  /** Keys whose rows wait for the next refresh in place. */
  private readonly dirty = new Set<string>();
  private dirtyTimer: NodeJS.Timeout | undefined;
  /** Keys whose runs are running (the ticker's rows). */
  private readonly running = new Set<string>();

  constructor(
    private readonly store: SpecStore,
    private readonly runs: RunStatusSource,
    private readonly workspaceRoot: () => string | undefined,
    private readonly reviews?: ReviewStatusSource,
  ) {
    this.subscriptions = [store.onDidChange(() => this.refresh()), runs.onDidChange((keys) => this.onRunsChanged(keys))];
    if (reviews) this.subscriptions.push(reviews.onDidChange((keys) => this.refreshRows(keys)));
  }

  private onRunsChanged(keys: readonly string[]): void {
    for (const key of keys) {
      if (this.runs.get(key)?.status === 'running') this.running.add(key);
      else this.running.delete(key);
    }
    this.refreshRows(keys);
    if (this.running.size && !this.ticker) this.ticker = setInterval(() => this.refreshRows([...this.running]), 1000);
    if (!this.running.size && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  /** The whole tree: the spec changed. */
  refresh(): void {
    this.integrationNodes.clear();
    this.interactionNodes.clear();
    this.changed.fire(undefined);
  }

  /** These interactions' rows and their integrations' rows (their counts), in place, soon and together. */
  private refreshRows(keys: readonly string[]): void {
    for (const key of keys) this.dirty.add(key);
    this.dirtyTimer ??= setTimeout(() => {
      this.dirtyTimer = undefined;
      const nodes = new Set<TreeNode>();
      for (const node of this.interactionNodes.values()) {
        if (!this.dirty.has(node.interaction.key)) continue;
        nodes.add(node);
        const parent = this.integrationNodes.get(integrationId(node.integration));
        if (parent) nodes.add(parent);
      }
      this.dirty.clear();
      if (nodes.size) this.changed.fire([...nodes]);
    }, ROW_REFRESH_MS);
  }

  private integrationNode(integration: IntegrationModel): IntegrationNode {
    const id = integrationId(integration);
    let node = this.integrationNodes.get(id);
    if (node?.integration !== integration) this.integrationNodes.set(id, (node = { type: 'integration', integration }));
    return node;
  }

  private interactionNode(integration: IntegrationModel, interaction: InteractionModel): InteractionNode {
    const id = `${interaction.file}\0${interaction.key}`;
    let node = this.interactionNodes.get(id);
    if (node?.interaction !== interaction || node.integration !== integration)
      this.interactionNodes.set(id, (node = { type: 'interaction', integration, interaction }));
    return node;
  }

  statusOf(interaction: InteractionModel): InteractionStatus {
    return this.runs.get(interaction.key)?.status ?? 'not-started';
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (!node) {
      const problems: TreeNode[] = [];
      for (const spec of this.store.all()) {
        const diagnostics = this.store.diagnostics().get(spec.file) ?? spec.diagnostics;
        const errors = diagnostics.filter((d) => d.severity === 'error').length;
        const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
        if (errors + warnings > 0) problems.push({ type: 'problems', spec, errors, warnings });
      }
      const integrations = this.store.integrations().map((integration) => this.integrationNode(integration));
      return [...problems, ...integrations];
    }
    if (node.type === 'integration') {
      return node.integration.interactions.map((interaction) => this.interactionNode(node.integration, interaction));
    }
    return [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.type === 'interaction' ? this.integrationNode(node.integration) : undefined;
  }

  private relative(file: string): string {
    const root = this.workspaceRoot();
    return root ? path.relative(root, file) || path.basename(file) : path.basename(file);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.type) {
      case 'problems': {
        const item = new vscode.TreeItem(this.relative(node.spec.file), vscode.TreeItemCollapsibleState.None);
        const parts = [node.errors ? plural(node.errors, 'error') : '', node.warnings ? plural(node.warnings, 'warning') : ''];
        item.description = parts.filter(Boolean).join(', ');
        item.iconPath = icon(node.errors ? ['error', 'problemsErrorIcon.foreground'] : ['warning', 'problemsWarningIcon.foreground']);
        item.tooltip = `${this.relative(node.spec.file)} has problems. Open the Problems panel to see where.`;
        item.contextValue = 'specProblems';
        item.command = { command: 'workbench.actions.view.problems', title: 'Show Problems' };
        return item;
      }
      case 'integration': {
        const { integration } = node;
        const item = new vscode.TreeItem(integration.displayName, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `integration:${integration.file}:${integration.id}`;
        const counts = new Map<InteractionStatus, number>();
        for (const it of integration.interactions) counts.set(this.statusOf(it), (counts.get(this.statusOf(it)) ?? 0) + 1);
        const active = (['running', 'queued', 'blocked', 'failed', 'needs-review', 'verified'] as const)
          .filter((s) => counts.get(s))
          .map((s) => `${counts.get(s)} ${STATUS_LABEL[s]}`);
        item.description = [plural(integration.interactions.length, 'interaction'), ...active].join(' · ');
        const bad = hasErrors(integration.problems);
        item.iconPath = bad ? icon(['error', 'problemsErrorIcon.foreground']) : new vscode.ThemeIcon('plug');
        const tip = new vscode.MarkdownString(undefined, true);
        tip.appendMarkdown(`**${integration.displayName}** \`${integration.id}\`\n\n`);
        if (integration.context) tip.appendText(integration.context + '\n\n');
        tip.appendMarkdown(
          `Connection \`${integration.connectionId || '—'}\` · environment \`${integration.environment || '—'}\` · toolchain ${integration.toolchain}\n\n`,
        );
        for (const d of integration.docs) tip.appendMarkdown(`- ${d}\n`);
        if (bad) tip.appendMarkdown(`\n\n$(error) ${integration.problems.find((p) => p.severity === 'error')?.message ?? ''}`);
        item.tooltip = tip;
        item.contextValue = 'integration';
        item.command = {
          command: COMMANDS.revealInSpec,
          title: 'Show in spec',
          arguments: [{ file: integration.file, offset: integration.idRange.start.offset }],
        };
        return item;
      }
      case 'interaction': {
        const { interaction, integration } = node;
        const item = new vscode.TreeItem(interaction.displayName, vscode.TreeItemCollapsibleState.None);
        item.id = `interaction:${interaction.file}:${interaction.key}`;
        const invalid = hasErrors(interaction.problems) || hasErrors(integration.problems);
        const status = this.statusOf(interaction);
        const run = this.runs.get(interaction.key);
        if (invalid) {
          const first = [...interaction.problems, ...integration.problems].find((p) => p.severity === 'error');
          item.iconPath = icon(['error', 'problemsErrorIcon.foreground']);
          item.description = `invalid: ${first?.message ?? 'see Problems'}`;
        } else if (run?.unreadable) {
          item.iconPath = icon(['warning', 'problemsWarningIcon.foreground']);
          item.description = 'run record unreadable: run unknown';
        } else {
          item.iconPath = icon(STATUS_ICON[status]);
          const extra: string[] = [];
          if (run?.startedAt) {
            const end = run.endedAt ? Date.parse(run.endedAt) : Date.now();
            extra.push(formatElapsed(end - Date.parse(run.startedAt)));
          }
          if (run?.costUsd) extra.push(`$${run.costUsd.toFixed(run.costUsd < 0.1 ? 3 : 2)}`);
          if (run?.violations) extra.push(`⚠ ${run.violations} violation${run.violations === 1 ? '' : 's'}`);
          if (run?.demo) extra.push('demo');
          if (run?.unsandboxed) extra.push('unsandboxed');
          if (run?.elsewhere) extra.push('run by another process');
          const review = this.reviews?.get(interaction.key);
          if (review?.state === 'accepted') extra.unshift('accepted');
          else if (review?.state === 'stale') extra.unshift('acceptance cleared: changed');
          else if (review?.state === 'rejected') extra.unshift('rejected');
          item.description = [STATUS_LABEL[status], ...extra].join(' · ');
          if (review?.state === 'accepted') item.iconPath = icon(['verified-filled', 'testing.iconPassed']);
        }
        const tip = new vscode.MarkdownString(undefined, true);
        tip.appendMarkdown(`**${interaction.displayName}** \`${interaction.key}\`\n\n`);
        tip.appendText(interaction.description || '(no description)');
        tip.appendMarkdown(`\n\n*${interaction.kind}*${interaction.kindInferred ? ` — ${interaction.kindReason}` : ''}`);
        if (interaction.prompt) tip.appendMarkdown('\n\nPrompt: ').appendText(interaction.prompt);
        if (interaction.comments) tip.appendMarkdown('\n\nComments: ').appendText(interaction.comments);
        if (run?.unreadable) tip.appendMarkdown('\n\nThe run record cannot be read: ').appendText(run.unreadable);
        else tip.appendMarkdown(`\n\nStatus: ${STATUS_LABEL[status]}${run?.detail ? ` — ${run.detail}` : ''}`);
        const reviewed = this.reviews?.get(interaction.key);
        if (reviewed && reviewed.state !== 'none') tip.appendMarkdown('\n\nReview: ').appendText(describeReviewState(reviewed));
        item.tooltip = tip;
        item.contextValue = `interaction.${invalid ? 'invalid' : status}`;
        item.command = {
          command: COMMANDS.revealInSpec,
          title: 'Show in spec',
          arguments: [{ file: interaction.file, offset: interaction.idRange.start.offset }],
        };
        return item;
      }
    }
  }

  dispose(): void {
    if (this.ticker) clearInterval(this.ticker);
    if (this.dirtyTimer) clearTimeout(this.dirtyTimer);
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
