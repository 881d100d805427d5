// A stand-in `vscode` module for measuring activate() outside the editor: every property is a
// callable, constructible no-op that returns another stub (and disposables that do nothing).
// `then` is undefined so awaiting a stub resolves at once instead of hanging.
'use strict';
function stub() {
  const fn = function () {};
  return new Proxy(fn, {
    get(_t, prop) {
      if (prop === 'then') return undefined;
      if (prop === Symbol.toPrimitive) return () => '';
      if (prop === Symbol.iterator) return function* () {};
      if (prop === 'workspaceFolders') return [];
      if (prop === 'textDocuments') return [];
      return stub();
    },
    // Assignments (statusBarItem.name = …) are taken and forgotten; a function's own `name` is read-only.
    set() {
      return true;
    },
    apply() {
      return stub();
    },
    construct() {
      return stub();
    },
  });
}
// Bundlers copy a module's own keys (esbuild's __toESM), so the top-level names must be real keys.
const NAMES = [
  'window',
  'workspace',
  'languages',
  'commands',
  'extensions',
  'env',
  'Uri',
  'EventEmitter',
  'Disposable',
  'ThemeIcon',
  'ThemeColor',
  'TreeItem',
  'TreeItemCollapsibleState',
  'MarkdownString',
  'Range',
  'Position',
  'Selection',
  'Diagnostic',
  'DiagnosticSeverity',
  'CodeLens',
  'WorkspaceEdit',
  'ProgressLocation',
  'StatusBarAlignment',
  'ViewColumn',
  'ExtensionMode',
  'FileType',
  'RelativePattern',
  'ConfigurationTarget',
  'TextEditorRevealType',
];
module.exports = Object.fromEntries(NAMES.map((n) => [n, stub()]));
