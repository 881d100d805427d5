// Keeps the SpecStore in step with the workspace: finds spec files, follows edits (unsaved buffers
// included) and file events, publishes diagnostics, and tracks whether the cursor is in an entry.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SpecDiagnostic } from '../core/spec/diagnostics';
import { SPEC_FILE_GLOB, SpecStore, isSpecFileName } from '../core/spec/store';
import { CURSOR_IN_INTERACTION } from './commandIds';

/** Folders that never hold a user's spec: dependencies and our own work folders. */
const EXCLUDE_GLOB = '**/{node_modules,.integration-builder,.git}/**';
const EDIT_DEBOUNCE_MS = 150;

export function isSpecDocument(doc: vscode.TextDocument): boolean {
  return doc.uri.scheme === 'file' && isSpecFileName(doc.uri.fsPath);
}

function toVscodeDiagnostic(d: SpecDiagnostic): vscode.Diagnostic {
  const range = new vscode.Range(d.range.start.line, d.range.start.column, d.range.end.line, d.range.end.column);
  const severity =
    d.severity === 'error'
      ? vscode.DiagnosticSeverity.Error
      : d.severity === 'warning'
        ? vscode.DiagnosticSeverity.Warning
        : vscode.DiagnosticSeverity.Information;
  const diagnostic = new vscode.Diagnostic(range, d.message, severity);
  diagnostic.source = 'Integration Builder';
  diagnostic.code = d.code;
  return diagnostic;
}

export class SpecWorkspace implements vscode.Disposable {
  readonly store = new SpecStore();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('integration-builder');
  private readonly disposables: vscode.Disposable[] = [this.diagnostics];
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private scanned: Promise<void> | undefined;
  /** The parser (zod, jsonc-parser) is the heaviest code we ship: load it on first use, not at activation. */
  private loaderModule: Promise<typeof import('../core/spec/loader')> | undefined;
  /** Newest load per file, so a slow disk read never overwrites a newer buffer. */
  private readonly generation = new Map<string, number>();

  /**
   * `workRoot`: the configured work root (absolute), when there is one. Nothing under it is a spec of the
   * workspace: 200 agents writing in their folders must not wake the spec scan (it used to ignore only
   * the default `.integration-builder`).
   */
  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly workRoot: () => string | undefined = () => undefined,
  ) {
    this.disposables.push(
      this.store.onDidChange(() => this.publishDiagnostics()),
      vscode.workspace.onDidOpenTextDocument((doc) => isSpecDocument(doc) && void this.loadFromDocument(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => isSpecDocument(e.document) && this.scheduleEdit(e.document)),
      // A closed buffer may have been discarded unsaved: the file on disk is the truth again.
      vscode.workspace.onDidCloseTextDocument((doc) => isSpecDocument(doc) && void this.loadFromDisk(doc.uri)),
      vscode.window.onDidChangeTextEditorSelection((e) => this.updateCursorContext(e.textEditor)),
      vscode.window.onDidChangeActiveTextEditor((e) => this.updateCursorContext(e)),
    );
    const watcher = vscode.workspace.createFileSystemWatcher(SPEC_FILE_GLOB);
    this.disposables.push(
      watcher,
      watcher.onDidCreate((uri) => void this.loadFromDisk(uri)),
      watcher.onDidChange((uri) => void this.loadFromDisk(uri)),
      watcher.onDidDelete((uri) => {
        this.nextGeneration(uri.fsPath); // a load still under way must not bring it back
        this.store.delete(uri.fsPath);
        this.log.info(`spec removed: ${uri.fsPath}`);
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.rescan()),
    );
    // VS Code's watcher reports a folder created with files already in it (a checkout, an unzip, a
    // script) as the folder alone: look inside new folders for spec files ourselves.
    const folders = vscode.workspace.createFileSystemWatcher('**/*', false, true, true);
    this.disposables.push(
      folders,
      folders.onDidCreate((uri) => this.scheduleFolderScan(uri)),
    );
  }

  private readonly folderScans = new Map<string, NodeJS.Timeout>();

  /** Under node_modules, .git, our default folder or the configured work root: never a spec of the workspace. */
  private ignored(fsPath: string): boolean {
    if (/[\\/](node_modules|\.integration-builder|\.git)([\\/]|$)/.test(fsPath)) return true;
    const root = this.workRoot();
    if (!root) return false;
    const rel = path.relative(root, fsPath);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  }

  /** findFiles' exclude: the usual folders and the configured work root (relative to its workspace folder). */
  private excludeGlob(): string {
    const root = this.workRoot();
    const folder = root ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(root)) : undefined;
    const rel = folder
      ? path
          .relative(folder.uri.fsPath, root as string)
          .split(path.sep)
          .join('/')
      : '';
    // one level of braces (VS Code's globs do not nest them)
    return rel && !rel.startsWith('..') ? `{**/node_modules/**,**/.integration-builder/**,**/.git/**,${rel}/**}` : EXCLUDE_GLOB;
  }

  private scheduleFolderScan(uri: vscode.Uri): void {
    if (uri.scheme !== 'file' || isSpecFileName(uri.fsPath) || this.ignored(uri.fsPath)) return;
    const key = uri.fsPath;
    clearTimeout(this.folderScans.get(key));
    this.folderScans.set(
      key,
      setTimeout(async () => {
        this.folderScans.delete(key);
        try {
          if ((await vscode.workspace.fs.stat(uri)).type !== vscode.FileType.Directory) return;
          const found = await vscode.workspace.findFiles(new vscode.RelativePattern(uri, SPEC_FILE_GLOB), this.excludeGlob());
          await Promise.all(found.filter((f) => !this.store.get(f.fsPath)).map((f) => this.loadFromDisk(f)));
        } catch {
          // the folder is gone again: nothing to load
        }
      }, 300),
    );
  }

  /** First scan, shared by everyone who needs the specs loaded. */
  ready(): Promise<void> {
    this.scanned ??= this.rescan();
    return this.scanned;
  }

  /** Finds every spec file again and reloads them all. */
  async rescan(): Promise<void> {
    const uris = (await vscode.workspace.findFiles(SPEC_FILE_GLOB, this.excludeGlob())).filter((u) => !this.ignored(u.fsPath));
    const found = new Set(uris.map((u) => u.fsPath));
    for (const file of this.store.files()) if (!found.has(file)) this.store.delete(file);
    await Promise.all(uris.map((uri) => this.loadFromDisk(uri)));
    this.log.info(`found ${uris.length} spec file(s)`);
    this.updateCursorContext(vscode.window.activeTextEditor);
  }

  private loader(): Promise<typeof import('../core/spec/loader')> {
    this.loaderModule ??= import('../core/spec/loader');
    return this.loaderModule;
  }

  private nextGeneration(file: string): number {
    const g = (this.generation.get(file) ?? 0) + 1;
    this.generation.set(file, g);
    return g;
  }

  private openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  }

  private async loadFromDisk(uri: vscode.Uri): Promise<void> {
    if (uri.scheme !== 'file' || this.ignored(uri.fsPath)) return;
    const doc = this.openDocument(uri);
    if (doc?.isDirty) {
      await this.loadFromDocument(doc); // the unsaved buffer is newer than the file
      return;
    }
    const generation = this.nextGeneration(uri.fsPath);
    const spec = await (await this.loader()).loadSpecFile(uri.fsPath);
    if (generation !== this.generation.get(uri.fsPath)) return;
    this.store.put(spec);
    this.log.info(`loaded ${uri.fsPath}: ${spec.integrations.length} integration(s), ${spec.diagnostics.length} problem(s)`);
  }

  private async loadFromDocument(doc: vscode.TextDocument): Promise<void> {
    const file = doc.uri.fsPath;
    const generation = this.nextGeneration(file);
    const text = doc.getText();
    const { loadSpec } = await this.loader();
    if (generation !== this.generation.get(file)) return;
    this.store.put(loadSpec(file, text));
    this.updateCursorContext(vscode.window.activeTextEditor);
  }

  private scheduleEdit(doc: vscode.TextDocument): void {
    const key = doc.uri.fsPath;
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        void this.loadFromDocument(doc);
      }, EDIT_DEBOUNCE_MS),
    );
  }

  private publishDiagnostics(): void {
    this.diagnostics.clear();
    for (const [file, list] of this.store.diagnostics()) {
      this.diagnostics.set(vscode.Uri.file(file), list.map(toVscodeDiagnostic));
    }
  }

  /** The interaction under the cursor of the given editor, if it is a spec file. */
  interactionAtCursor(editor: vscode.TextEditor | undefined) {
    if (!editor || !isSpecDocument(editor.document)) return undefined;
    const offset = editor.document.offsetAt(editor.selection.active);
    return this.store.interactionAt(editor.document.uri.fsPath, offset);
  }

  private updateCursorContext(editor: vscode.TextEditor | undefined): void {
    const inside = this.interactionAtCursor(editor) !== undefined;
    void vscode.commands.executeCommand('setContext', CURSOR_IN_INTERACTION, inside);
  }

  dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    for (const t of this.folderScans.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}
