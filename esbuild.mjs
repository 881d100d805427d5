// Builds everything the extension ships and the extension-host tests:
//   dist/extension.js            the extension's activation entry: registration only (Node, CJS, `vscode` external)
//   dist/extension-main.js       the extension's implementation, loaded by dist/extension.js on first use
//   dist/spec-loader.js          the spec parser, loaded by the implementation on first use
//   dist/webview/agents.{js,css} the Agents view's browser code
//   dist/webview/board.{js,css}  the Agents board's browser code (an editor tab)
//   schemas/interactions.schema.json  generated from the zod spec schema
//   out/test/vscode/*.js         extension-host tests (mocha), run inside code-server
// Usage: node esbuild.mjs [--production]
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { harnessPluginOptions, NODE_CJS } from './scripts/bundles.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const production = process.argv.includes('--production');
const t0 = Date.now();

const node = NODE_CJS;

// The spec loader (zod + jsonc-parser) is most of our code by size and takes ~40 ms to evaluate.
// It ships as its own file, dist/spec-loader.js, which the extension imports on first use, so
// activation does not pay for it.
const lazySpecLoader = {
  name: 'lazy-spec-loader',
  setup(b) {
    b.onResolve({ filter: /core\/spec\/loader$/ }, (args) =>
      args.importer.endsWith(join('src', 'extension', 'specWorkspace.ts')) ? { path: './spec-loader.js', external: true } : undefined,
    );
  },
};

// Activation only registers commands, views and providers with thin proxies (src/extension/extension.ts);
// the implementation (src/extension/lazyMain.ts) is its own file, dist/extension-main.js, which the
// activation entry requires on first use. test/unit/activation-budget.test.ts keeps dist/extension.js small.
const lazyMain = {
  name: 'lazy-main',
  setup(b) {
    b.onResolve({ filter: /^\.\/lazyMain$/ }, (args) =>
      args.importer.endsWith(join('src', 'extension', 'extension.ts')) ? { path: './extension-main.js', external: true } : undefined,
    );
  },
};

async function extension() {
  const common = { ...node, external: ['vscode'], sourcemap: !production, minify: production };
  await Promise.all([
    build({ ...common, entryPoints: [join(root, 'src/extension/extension.ts')], outfile: join(root, 'dist/extension.js'), plugins: [lazyMain] }),
    build({ ...common, entryPoints: [join(root, 'src/extension/lazyMain.ts')], outfile: join(root, 'dist/extension-main.js'), plugins: [lazySpecLoader] }),
    build({ ...common, entryPoints: [join(root, 'src/core/spec/loader.ts')], outfile: join(root, 'dist/spec-loader.js') }),
  ]);
}

async function webview() {
  const browser = { bundle: true, platform: 'browser', format: 'iife', target: 'es2022', sourcemap: !production, minify: production, logLevel: 'warning' };
  await Promise.all(
    ['agents', 'board'].map((name) =>
      build({ ...browser, entryPoints: [join(root, `src/webview/${name}.ts`)], outfile: join(root, `dist/webview/${name}.js`) }),
    ),
  );
  for (const name of ['agents', 'board']) copyFileSync(join(root, `src/webview/${name}.css`), join(root, `dist/webview/${name}.css`));
  // VS Code's icon font, shipped with the webview (no remote resources).
  const codicons = join(root, 'node_modules/@vscode/codicons/dist');
  copyFileSync(join(codicons, 'codicon.css'), join(root, 'dist/webview/codicon.css'));
  copyFileSync(join(codicons, 'codicon.ttf'), join(root, 'dist/webview/codicon.ttf'));
}

// The opencode plugin that gives sessions the harness tools: ESM, runs inside the opencode server.
async function harnessPlugin(outfile = join(root, 'dist/harness-plugin.mjs')) {
  await build(harnessPluginOptions(join(root, 'src/harness-plugin/plugin.ts'), outfile));
}

// The headless CLI (bin `integration-builder`): the same core, no vscode.
async function cli() {
  await build({
    ...node,
    entryPoints: [join(root, 'src/cli/bin.ts')],
    outfile: join(root, 'dist/cli.js'),
    sourcemap: !production,
    minify: production,
    banner: { js: '#!/usr/bin/env node' },
  });
  chmodSync(join(root, 'dist/cli.js'), 0o755);
}

async function schema() {
  const tmp = join(root, 'out/build/json-schema.cjs');
  await build({ ...node, entryPoints: [join(root, 'src/core/spec/jsonSchema.ts')], outfile: tmp });
  const { specJsonSchema } = createRequire(import.meta.url)(tmp);
  mkdirSync(join(root, 'schemas'), { recursive: true });
  writeFileSync(join(root, 'schemas/interactions.schema.json'), JSON.stringify(specJsonSchema(), null, 2) + '\n');
}

async function vscodeTests() {
  const dir = join(root, 'test/vscode');
  const entries = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
  rmSync(join(root, 'out/test/vscode'), { recursive: true, force: true });
  await build({
    ...node,
    entryPoints: entries,
    outdir: join(root, 'out/test/vscode'),
    external: ['vscode', 'mocha'],
    sourcemap: 'inline',
  });
}

// A clean dist/: a production build must not ship a dev build's source maps.
rmSync(join(root, 'dist'), { recursive: true, force: true });
await Promise.all([extension(), webview(), schema(), vscodeTests(), harnessPlugin(), cli()]);
console.log(`[build] ${production ? 'production ' : ''}build done in ${Date.now() - t0} ms`);
