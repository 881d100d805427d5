// Scaffolds one interaction folder for the Nango toolchain (zero-yaml): a minimal project that holds
// only this interaction. `node_modules` is not installed per folder: Node resolves it from the
// user's project above the work root. Writes go to a staging folder first and are moved into place
// at the end, so a failure never leaves a half-written folder behind.
import { existsSync, readFileSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { InteractionModel } from '../spec/model';
import { assertSafeSegment } from './paths';

export interface ScaffoldResult {
  readonly folder: string;
  /** The agent's own file: the only source file it is meant to write. */
  readonly scriptPath: string;
  /** Where recorded fixtures go. */
  readonly testsDir: string;
  /** Files the harness wrote, relative to the folder (the agent may not change them). */
  readonly generated: readonly string[];
}

/** `create-event` → `CreateEvent` */
export function pascalCase(id: string): string {
  return id
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** Relative path of the interaction's script: `<integration>/actions/<id>.ts` or `…/syncs/…`. */
export function scriptRelativePath(interaction: Pick<InteractionModel, 'integrationId' | 'id' | 'kind'>): string {
  // An id that is not one path segment would put the script (and what is written next to it) elsewhere.
  assertSafeSegment(interaction.integrationId, 'integration id');
  assertSafeSegment(interaction.id, 'interaction id');
  return path.posix.join(interaction.integrationId, interaction.kind === 'sync' ? 'syncs' : 'actions', `${interaction.id}.ts`);
}

export function testsRelativeDir(interaction: Pick<InteractionModel, 'integrationId'>): string {
  return path.posix.join(interaction.integrationId, 'tests');
}

/**
 * The interaction's own files in its tests folder, by Nango's names: the fixture `nango dryrun --save`
 * writes, the one kept next to generated tests, and the test `nango generate:tests` writes.
 */
export function interactionTestFiles(interaction: Pick<InteractionModel, 'integrationId' | 'id'>): string[] {
  const dir = testsRelativeDir(interaction);
  return [
    `${interaction.id}.test.json`,
    `${interaction.integrationId}-${interaction.id}.test.json`,
    `${interaction.integrationId}-${interaction.id}.test.ts`,
  ].map((name) => `${dir}/${name}`);
}

const TSCONFIG = {
  include: ['index.ts', '**/*.ts'],
  exclude: ['node_modules', 'dist', 'build', '.nango'],
  compilerOptions: {
    module: 'node16',
    target: 'esnext',
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    forceConsistentCasingInFileNames: true,
    moduleResolution: 'node16',
    allowUnusedLabels: false,
    allowUnreachableCode: false,
    exactOptionalPropertyTypes: true,
    noFallthroughCasesInSwitch: true,
    noImplicitOverride: true,
    noImplicitReturns: true,
    noPropertyAccessFromIndexSignature: true,
    noUncheckedIndexedAccess: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    declaration: false,
    sourceMap: true,
    composite: false,
    checkJs: false,
    noEmit: true,
  },
};

function quote(s: string): string {
  return `'${s
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "\\'")
    .replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')}'`;
}

export function actionStub(interaction: InteractionModel): string {
  const name = pascalCase(interaction.id);
  return `import { createAction } from 'nango';
import * as z from 'zod';

// Scaffolded by Integration Builder for ${interaction.key}.
// Replace the models and exec with the real implementation (see the task in the session prompt).

const ${name}Input = z.object({});

const ${name}Output = z.object({});

const action = createAction({
    description: ${quote(interaction.description || interaction.displayName)},
    version: '1.0.0',
    input: ${name}Input,
    output: ${name}Output,
    scopes: [],

    exec: async (_nango, _input): Promise<z.infer<typeof ${name}Output>> => {
        throw new Error('${interaction.key} is not implemented yet');
    }
});

export type NangoActionLocal = Parameters<(typeof action)['exec']>[0];
export default action;
`;
}

export function syncStub(interaction: InteractionModel): string {
  const name = pascalCase(interaction.id);
  const model = `${name}Record`;
  return `import { createSync } from 'nango';
import * as z from 'zod';

// Scaffolded by Integration Builder for ${interaction.key}.
// Replace the model, endpoint and exec with the real implementation (see the task in the session prompt).
// Work incrementally with a checkpoint and take deletes from the API: "Syncs: checkpoints and deletes"
// in the nango-interaction skill.

const ${model} = z.object({
    id: z.string()
});

const sync = createSync({
    description: ${quote(interaction.description || interaction.displayName)},
    version: '1.0.0',
    endpoints: [{ method: 'GET', path: '/${interaction.id}', group: ${quote(interaction.displayName)} }],
    frequency: 'every hour',
    autoStart: true,
    models: {
        ${model}: ${model}
    },

    exec: async (_nango) => {
        throw new Error('${interaction.key} is not implemented yet');
    }
});

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
`;
}

/**
 * What the installed Nango CLI insists a project's package.json declares: `nango compile` (and dryrun,
 * generate:tests) first checks `devDependencies` for `nango` at its own version and `zod` at the version
 * of its example project, and when either differs it rewrites package.json and runs `npm install` in the
 * folder (a private copy of the whole toolchain, ~400 packages; offline, a failed compile). A work folder
 * that already declares both makes that check a no-op, whoever runs the compile and however the
 * environment is set: the protected package.json stays as the harness wrote it, and nothing is installed.
 */
export interface NangoDevDependencies {
  readonly nango: string;
  readonly zod: string;
}

/** The first `node_modules/nango` in `dir` or above it (the user's project, as Node resolves it). */
function findNangoPackage(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', 'nango');
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(d) === d) return undefined;
  }
}

/**
 * The devDependencies the Nango CLI installed above `dir` checks for (its `checkAndSyncPackageJson`):
 * `nango` at the CLI's own `NANGO_VERSION`, `zod` as its example project pins it. Undefined when no CLI
 * is installed there or its files do not say (then the scaffold declares none, as before).
 */
export function installedNangoDevDependencies(dir: string): NangoDevDependencies | undefined {
  const pkg = findNangoPackage(dir);
  if (!pkg) return undefined;
  try {
    let nango: string | undefined;
    try {
      nango = /NANGO_VERSION\s*=\s*['"]([^'"]+)['"]/.exec(readFileSync(path.join(pkg, 'dist', 'version.js'), 'utf8'))?.[1];
    } catch {
      nango = undefined;
    }
    nango ??= (JSON.parse(readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version?: unknown }).version as string | undefined;
    const example = JSON.parse(readFileSync(path.join(pkg, 'example', 'package.json'), 'utf8')) as { devDependencies?: Record<string, unknown> };
    const zod = example.devDependencies?.['zod'];
    if (typeof nango !== 'string' || !nango || typeof zod !== 'string' || !zod) return undefined;
    return { nango, zod };
  } catch {
    return undefined;
  }
}

/**
 * The files of a fresh interaction folder, relative path → content. `devDependencies`: what the
 * installed Nango CLI checks package.json for (installedNangoDevDependencies), declared so that its
 * compile leaves package.json alone.
 */
export function scaffoldFiles(interaction: InteractionModel, devDependencies?: NangoDevDependencies): Map<string, string> {
  const script = scriptRelativePath(interaction);
  const files = new Map<string, string>();
  files.set(
    'package.json',
    JSON.stringify(
      {
        name: `${interaction.integrationId}--${interaction.id}`,
        version: '0.0.0',
        private: true,
        type: 'module',
        description: `Integration Builder work folder for ${interaction.key}. Dependencies resolve from the project above.`,
        scripts: { compile: 'nango compile', test: 'vitest run' },
        // Declared, never installed here: they resolve from the project above (see NangoDevDependencies).
        ...(devDependencies ? { devDependencies: { nango: devDependencies.nango, zod: devDependencies.zod } } : {}),
      },
      null,
      2,
    ) + '\n',
  );
  files.set('tsconfig.json', JSON.stringify(TSCONFIG, null, 2) + '\n');
  files.set('index.ts', `import './${script.replace(/\.ts$/, '.js')}';\n`);
  files.set(script, interaction.kind === 'sync' ? syncStub(interaction) : actionStub(interaction));
  files.set(path.posix.join(testsRelativeDir(interaction), '.gitkeep'), '');
  // The Nango CLI recognises a project by its `.nango/` folder.
  files.set('.nango/.gitkeep', '');
  return files;
}

export class ScaffoldError extends Error {
  constructor(
    message: string,
    readonly folder: string,
  ) {
    super(message);
    this.name = 'ScaffoldError';
  }
}

/**
 * Creates `folder` with a fresh scaffold. Refuses to touch an existing folder unless `replace` is
 * set (restart from scratch), in which case the old folder is removed only once the new one is ready.
 */
export async function scaffoldInteraction(folder: string, interaction: InteractionModel, opts: { replace?: boolean } = {}): Promise<ScaffoldResult> {
  const parent = path.dirname(folder);
  const staging = path.join(parent, `.${path.basename(folder)}.staging-${process.pid}-${Date.now()}`);
  const files = scaffoldFiles(interaction, installedNangoDevDependencies(parent));
  try {
    await fs.mkdir(parent, { recursive: true });
  } catch (err) {
    throw new ScaffoldError(`cannot create the interaction folder ${folder}: ${(err as Error).message}`, folder);
  }
  const exists = await fs.stat(folder).then(
    () => true,
    () => false,
  );
  if (exists && !opts.replace) throw new ScaffoldError(`${folder} already exists; use Restart from scratch to start it anew`, folder);
  try {
    for (const [rel, content] of files) {
      const target = path.join(staging, rel);
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.writeFile(target, content);
    }
  } catch (err) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw new ScaffoldError(`cannot scaffold ${folder}: ${(err as Error).message}`, folder);
  }
  // Swap: the old folder is moved aside, not deleted, until the new one is in place.
  const aside = `${staging}.old`;
  try {
    if (exists) await fs.rename(folder, aside);
    await fs.rename(staging, folder);
  } catch (err) {
    if (exists) await fs.rename(aside, folder).catch(() => undefined);
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw new ScaffoldError(`cannot scaffold ${folder}: ${(err as Error).message}`, folder);
  }
  if (exists) await fs.rm(aside, { recursive: true, force: true });
  const script = scriptRelativePath(interaction);
  return {
    folder,
    scriptPath: path.join(folder, script),
    testsDir: path.join(folder, testsRelativeDir(interaction)),
    generated: [...files.keys()].filter((f) => f !== script),
  };
}
