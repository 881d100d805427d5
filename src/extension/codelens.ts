// CodeLens in spec files: Generate / Verify above each interaction, Generate all / Verify all /
// Assemble above each integration.
import * as vscode from 'vscode';
import { hasErrors } from '../core/spec/model';
import type { SpecStore } from '../core/spec/store';
import { COMMANDS } from './commandIds';

export class SpecCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: { dispose(): void };

  constructor(private readonly store: SpecStore) {
    this.subscription = store.onDidChange(() => this.changed.fire());
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const spec = this.store.get(doc.uri.fsPath);
    if (!spec) return [];
    const lenses: vscode.CodeLens[] = [];
    const at = (line: number) => new vscode.Range(line, 0, line, 0);
    for (const integ of spec.integrations) {
      const r = at(integ.range.start.line);
      const target = { integrationId: integ.id, file: integ.file };
      lenses.push(
        new vscode.CodeLens(r, { title: `$(run-all) Generate all (${integ.interactions.length})`, command: COMMANDS.generateAll, arguments: [target] }),
        new vscode.CodeLens(r, { title: '$(checklist) Verify all', command: COMMANDS.verifyAll, arguments: [target] }),
        new vscode.CodeLens(r, { title: '$(package) Assemble integration', command: COMMANDS.assembleIntegration, arguments: [target] }),
      );
      for (const it of integ.interactions) {
        const line = at(it.range.start.line);
        if (hasErrors(it.problems)) {
          lenses.push(new vscode.CodeLens(line, { title: `$(error) ${it.id}: fix the problems to generate`, command: 'workbench.actions.view.problems' }));
          continue;
        }
        const arg = { key: it.key, file: it.file };
        lenses.push(
          new vscode.CodeLens(line, { title: `$(play) Generate ${it.id}`, command: COMMANDS.generateInteraction, arguments: [arg] }),
          new vscode.CodeLens(line, { title: '$(check) Verify', command: COMMANDS.verifyInteraction, arguments: [arg] }),
          new vscode.CodeLens(line, { title: '$(diff-multiple) Review', command: COMMANDS.reviewInteraction, arguments: [arg] }),
        );
      }
    }
    return lenses;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
