// The layering of src/, enforced (`npm run lint:deps`, part of `npm test`). Layers, bottom up:
//   src/shared         pure code the extension host and the webview share (the panel's protocol): no Node, no editor
//   src/core           plain Node: spec, workspace, agent, guard, verify, assemble, runs… (never the editor)
//   src/core/app       the application service both front ends are meant to call (being built)
//   src/extension      the VS Code front end        src/cli   the CLI front end
//   src/webview        browser code of the Agents panel: only src/shared
//   src/harness-plugin the opencode plugin, bundled on its own with no dependencies
// Type-only imports count everywhere (tsPreCompilationDeps): a type is still a dependency of the layer,
// and a cycle through types is still a knot the next change has to cut.

/**
 * Front ends only through the service: src/extension and src/cli may import src/core/app/** and the
 * core's `types.ts` files. Everything below is what they import directly today — to move behind
 * src/core/app. Remove an entry once its import goes through the service; never add one: a new
 * direct import from a front end into the core fails `npm run lint:deps`.
 * Paths are relative to src/core/, per front-end file.
 */
const TO_MOVE_BEHIND_APP = {
  'src/cli/main.ts': [
    'agent/binaries.ts',
    'assemble/index.ts',
    'model/demo.ts',
    'orchestrator.ts',
    'runs/record.ts',
    'runs/status.ts',
    'runs/store.ts',
    'runs/verifySummary.ts',
    'sandbox/doctor.ts',
    'sandbox/index.ts',
    'spec/loader.ts',
    'spec/model.ts',
    'spec/store.ts',
    'verify/index.ts',
    'workspace/paths.ts',
  ],
  'src/extension/agentService.ts': [
    'agent/binaries.ts',
    'guard/violations.ts',
    'model/demo.ts',
    'orchestrator.ts',
    'runs/board.ts',
    'runs/record.ts',
    'runs/store.ts',
    'runs/transcript.ts',
    'sandbox/index.ts',
    'session/stack.ts',
    'workspace/paths.ts',
  ],
  'src/extension/agentsView.ts': ['orchestrator.ts'],
  'src/extension/assembleCommand.ts': ['assemble/index.ts', 'spec/model.ts'],
  'src/extension/codelens.ts': ['spec/model.ts', 'spec/store.ts'],
  'src/extension/commands.ts': ['agent/attach.ts', 'sandbox/doctor.ts', 'spec/model.ts', 'workspace/paths.ts'],
  'src/extension/config.ts': ['workspace/paths.ts'],
  'src/extension/context.ts': ['runs/board.ts'],
  'src/extension/panelModel.ts': ['agent/events.ts', 'guard/violations.ts', 'runs/record.ts', 'runs/totals.ts'],
  'src/extension/specWorkspace.ts': ['spec/diagnostics.ts', 'spec/loader.ts', 'spec/store.ts'],
  'src/extension/tree.ts': ['runs/board.ts', 'runs/status.ts', 'spec/model.ts', 'spec/store.ts'],
  'src/extension/verifyResults.ts': ['runs/verifySummary.ts', 'spec/diagnostics.ts', 'spec/model.ts'],
};

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const THROUGH_THE_SERVICE = ['^src/core/app/', '^src/core/types\\.ts$', '^src/core/.*/types\\.ts$'];
const FRONT_END = '^src/(extension|cli)/';
const EDITOR_ONLY = '(^|/)node_modules/(vscode|@types/vscode|@vscode/)|^vscode$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles between files, type-only imports included: move what both need into a leaf file of the lower one.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-module-cycle',
      severity: 'error',
      comment:
        "No cycles between the core's modules (its folders, each with its subfolders), type-only imports included: one module " +
        'is below the other. Cut one by moving what the lower module needs from the upper into the lower one.',
      scope: 'folder',
      from: { path: '^src/core/' },
      to: { circular: true },
    },
    {
      name: 'core-is-plain-node',
      severity: 'error',
      comment: 'src/core never imports the editor, a front end, the webview or the harness plugin.',
      from: { path: '^src/core/' },
      to: { path: ['^src/(extension|cli|webview|harness-plugin)/', EDITOR_ONLY] },
    },
    {
      name: 'shared-is-pure',
      severity: 'error',
      comment: 'src/shared is what the extension host and the browser both run: nothing of the core, a front end, the webview or the editor (types included).',
      from: { path: '^src/shared/' },
      to: { path: ['^src/(core|extension|cli|webview|harness-plugin)/', EDITOR_ONLY] },
    },
    {
      name: 'browser-no-node',
      severity: 'error',
      comment: 'src/shared and src/webview run in the browser: no Node built-ins.',
      from: { path: '^src/(shared|webview)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'webview-only-shared',
      severity: 'error',
      comment: 'The webview is browser code that speaks only the typed protocol: it imports src/shared and its own files, nothing else.',
      from: { path: '^src/webview/' },
      to: { pathNot: ['^src/(webview|shared)/'] },
    },
    {
      name: 'front-ends-apart',
      severity: 'error',
      comment: 'The CLI and the extension are two front ends on the same core: neither imports the other (nor the webview, a separate bundle).',
      from: { path: '^src/cli/' },
      to: { path: '^src/(extension|webview|harness-plugin)/' },
    },
    {
      name: 'front-ends-apart',
      severity: 'error',
      from: { path: '^src/extension/' },
      to: { path: '^src/(cli|webview|harness-plugin)/' },
    },
    {
      name: 'harness-plugin-alone',
      severity: 'error',
      comment: 'The harness plugin runs inside the opencode server, bundled on its own with no dependencies: Node built-ins and its own files only.',
      from: { path: '^src/harness-plugin/' },
      to: { pathNot: '^src/harness-plugin/', dependencyTypesNot: ['core'] },
    },
    // Front ends only through the service (src/core/app): one rule per front-end file with imports
    // still to move (TO_MOVE_BEHIND_APP), one for every other front-end file.
    ...Object.entries(TO_MOVE_BEHIND_APP).map(([file, targets]) => ({
      name: 'front-end-through-service',
      severity: 'error',
      comment: `${file} may import from src/core only src/core/app, types.ts files and what it imported before the service existed (TO_MOVE_BEHIND_APP in .dependency-cruiser.cjs).`,
      from: { path: `^${escapeRegExp(file)}$` },
      to: { path: '^src/core/', pathNot: [...THROUGH_THE_SERVICE, ...targets.map((t) => `^src/core/${escapeRegExp(t)}$`)] },
    })),
    {
      name: 'front-end-through-service',
      severity: 'error',
      comment: 'A front end reaches the core through the application service (src/core/app) and its types.ts files only.',
      from: { path: FRONT_END, pathNot: Object.keys(TO_MOVE_BEHIND_APP).map((f) => `^${escapeRegExp(f)}$`) },
      to: { path: '^src/core/', pathNot: THROUGH_THE_SERVICE },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing (a typo, a package that is not installed).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports are dependencies too (see the header).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
