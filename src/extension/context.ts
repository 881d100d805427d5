// The one object every command and view gets: settings, specs, run status and the views.
import * as vscode from 'vscode';
import { RunBoard } from '../core/runs/board';
import { AgentService } from './agentService';
import { Config } from './config';
import { SpecWorkspace } from './specWorkspace';
import { ReviewService } from './review';
import { AttentionNotifier } from './attention';
import { InteractionsTree } from './tree';
import { VerifyResults } from './verifyResults';

export class ExtensionCtx implements vscode.Disposable {
  readonly config = new Config();
  readonly log: vscode.LogOutputChannel;
  readonly specs: SpecWorkspace;
  readonly runs = new RunBoard();
  readonly tree: InteractionsTree;
  readonly agents: AgentService;
  /** The last verification's findings (Problems panel) and its summary document. */
  readonly verifyResults: VerifyResults;
  /** Review: the diff against the scaffold, findings as comments, and each interaction's accept / reject state. */
  readonly reviews: ReviewService;
  /** Grouped notifications when runs need you or a batch has finished; the count of runs that need you. */
  readonly attention: AttentionNotifier;
  /** Tests answer confirmations themselves (a modal dialog would block them). */
  silentConfirmations = false;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Integration Builder', { log: true });
    this.specs = new SpecWorkspace(this.log, () => {
      try {
        return this.agents.workRoot();
      } catch {
        return undefined; // no folder open
      }
    });
    this.agents = new AgentService(this);
    this.verifyResults = new VerifyResults((key) => this.specs.store.find(key)?.interaction);
    this.reviews = new ReviewService(this);
    this.attention = new AttentionNotifier(this);
    this.tree = new InteractionsTree(this.specs.store, this.runs, () => this.workspaceRoot(), this.reviews);
  }

  /** The first workspace folder on disk: where the work root and a new spec go. */
  workspaceRoot(): string | undefined {
    return vscode.workspace.workspaceFolders?.find((f) => f.uri.scheme === 'file')?.uri.fsPath;
  }

  dispose(): void {
    this.agents.dispose();
    this.reviews.dispose();
    this.attention.dispose();
    this.verifyResults.dispose();
    this.tree.dispose();
    this.specs.dispose();
    this.log.dispose();
  }
}
