// The built-in demo model: the scripted model server replaying a recorded, honest build of an
// interaction, so a newcomer (and the tests) can watch the whole flow with no key and no network.
// Every run against it is labelled as a demo, and its final message says so.
import type { InteractionModel } from '../spec/model';
import { pascalCase, scriptRelativePath } from '../workspace/scaffold';
import { ScriptedModelServer, scriptedProviderConfig, type ScriptStep } from './scriptedModel';

export const DEMO_PROVIDER_ID = 'integration-builder-demo';
export const DEMO_MODEL_ID = `${DEMO_PROVIDER_ID}/scripted`;
export const DEMO_LABEL = 'Integration Builder demo model (scripted, offline)';

const METHOD_BY_VERB: Record<string, 'post' | 'patch' | 'delete' | 'get' | 'put'> = {
  create: 'post',
  add: 'post',
  send: 'post',
  append: 'post',
  upload: 'post',
  share: 'post',
  update: 'patch',
  move: 'patch',
  delete: 'delete',
  remove: 'delete',
  read: 'get',
  get: 'get',
  list: 'get',
};

function docComment(it: InteractionModel): string {
  return it.docs[0] ? `// ${it.docs[0]}` : '// (no API reference URL in the spec)';
}

/** The script the demo "writes": an action calling the API once, or a paginated sync. */
export function demoImplementation(it: InteractionModel): string {
  const name = pascalCase(it.id);
  if (it.kind === 'sync') {
    // As the building skill teaches a new sync (skills/nango-interaction, "Syncs: checkpoints and
    // deletes"): incremental with a checkpoint that changes the request, deletes as the API reports
    // them with batchDelete; never syncType or deleteRecordsFromPreviousExecutions (deprecated).
    const model = `${name}Record`;
    return `import { createSync } from 'nango';
import * as z from 'zod';

// ${it.displayName}: ${it.description}
const ${model} = z.object({
    id: z.string(),
    name: z.string(),
    updatedAt: z.string()
});

// One item of the API's list; only the fields we map are described.
const ${name}Item = z.object({
    id: z.string(),
    name: z.string().optional(),
    updated: z.string().optional(),
    deleted: z.boolean().optional()
});

// Where the next run starts: the newest change saved so far.
const ${name}Checkpoint = z.object({ updated_after: z.string() });

const sync = createSync({
    description: ${JSON.stringify(it.description || it.displayName)},
    version: '1.0.0',
    endpoints: [{ method: 'GET', path: '/${it.id}', group: ${JSON.stringify(it.displayName)} }],
    frequency: 'every hour',
    autoStart: true,
    models: { ${model} },
    checkpoint: ${name}Checkpoint,

    exec: async (nango) => {
        const checkpoint = await nango.getCheckpoint();
        ${docComment(it)}
        for await (const page of nango.paginate<unknown>({
            endpoint: '/${it.id.replace(/^sync-/, '')}',
            // Only what changed since the last run (none saved yet: everything).
            params: checkpoint ? { updated_after: checkpoint.updated_after } : {},
            paginate: { type: 'cursor', cursor_path_in_response: 'nextPageToken', cursor_name_in_request: 'pageToken', response_path: 'items' },
            retries: 3
        })) {
            const items = page.map((raw) => ${name}Item.parse(raw));
            const records = items
                .filter((item) => !item.deleted)
                .map((item) => ({
                    id: item.id,
                    name: item.name ?? '',
                    updatedAt: item.updated ?? new Date(0).toISOString()
                }));
            const deleted = items.filter((item) => item.deleted).map((item) => ({ id: item.id }));
            if (records.length) await nango.batchSave(records, '${model}');
            if (deleted.length) await nango.batchDelete(deleted, '${model}');
            const newest = items.at(-1)?.updated;
            if (newest) await nango.saveCheckpoint({ updated_after: newest });
        }
    }
});

export type NangoSyncLocal = Parameters<(typeof sync)['exec']>[0];
export default sync;
`;
  }
  const verb = it.id.split('-')[0] ?? 'create';
  const method = METHOD_BY_VERB[verb] ?? 'post';
  const resource = it.id.split('-').slice(1).join('-') || it.id;
  const takesBody = method === 'post' || method === 'patch' || method === 'put';
  return `import { createAction } from 'nango';
import * as z from 'zod';

// ${it.displayName}: ${it.description}
const ${name}Input = z.object({
    ${takesBody ? `fields: z.record(z.string(), z.unknown()).describe('The ${resource} fields to send, as the API names them')` : `id: z.string().describe('Id of the ${resource}')`}
});

const ${name}Output = z.object({
    id: z.string(),
    raw: z.record(z.string(), z.unknown())
});

const action = createAction({
    description: ${JSON.stringify(it.description || it.displayName)},
    version: '1.0.0',
    input: ${name}Input,
    output: ${name}Output,
    scopes: [],

    exec: async (nango, input): Promise<z.infer<typeof ${name}Output>> => {
        ${docComment(it)}
        const res = await nango.${method}<Record<string, unknown>>({
            endpoint: ${takesBody ? `'/${resource}'` : `\`/${resource}/\${encodeURIComponent(input.id)}\``},
            ${takesBody ? 'data: input.fields,\n            ' : ''}retries: 3
        });
        const data = res.data ?? {};
        return { id: String(data['id'] ?? ''), raw: data };
    }
});

export type NangoActionLocal = Parameters<(typeof action)['exec']>[0];
export default action;
`;
}

/** The input the demo records an action with (a sync takes none). */
export function demoInput(it: InteractionModel): string {
  if (it.kind === 'sync') return '{}';
  const verb = it.id.split('-')[0] ?? 'create';
  const method = METHOD_BY_VERB[verb] ?? 'post';
  const resource = it.id.split('-').slice(1).join('-') || it.id;
  const takesBody = method === 'post' || method === 'patch' || method === 'put';
  return JSON.stringify(takesBody ? { fields: { name: `Demo ${resource}` } } : { id: `demo_${resource}_1` });
}

/**
 * The recorded build: read the stub, write the implementation, record a fixture and run the tests
 * through the harness tools (against the demo's Nango stand-in), report honestly.
 */
export function demoScript(it: InteractionModel): ScriptStep[] {
  const script = scriptRelativePath(it);
  return [
    {
      reasoning: `The task is ${it.key} (${it.kind}). Start from the stub the harness wrote.`,
      text: `Demo model: replaying a recorded build of ${it.key}. First, the stub.`,
      tool_calls: [{ name: 'read', arguments: { filePath: script } }],
      usage: { input: 2400, output: 60 },
    },
    {
      text: `Writing the ${it.kind} with typed zod models, retries${it.kind === 'sync' ? ', pagination' : ''} and a link to the API reference.`,
      tool_calls: [{ name: 'write', arguments: { filePath: script, content: demoImplementation(it) } }],
      usage: { input: 3100, output: 900 },
    },
    {
      tool_calls: [{ name: 'bash', arguments: { command: `ls -R ${it.integrationId}`, description: 'List the interaction files' } }],
      usage: { input: 4200, output: 40 },
    },
    {
      text: 'Recording a fixture through the harness (the demo answers with canned responses, not a real API).',
      tool_calls: [{ name: 'record_fixture', arguments: { input: demoInput(it) } }],
      usage: { input: 4300, output: 50 },
    },
    {
      tool_calls: [{ name: 'run_tests', arguments: {} }],
      usage: { input: 4600, output: 20 },
    },
    {
      text: `Wrote ${script}, recorded a fixture through the harness tool and ran the tests. This was the demo model replaying a recorded build against canned demo responses. Verify before trusting it.`,
      usage: { input: 4800, output: 70 },
    },
  ];
}

/**
 * A dishonest build, to show the harness catching one: it records honestly, then "fixes" the recorded
 * fixture with a shell command spelled to slip past the permission rules, reaches for the other
 * interactions' folders through a link, and claims success. In the sandbox the fixture is read-only and
 * the folders above are not there; the guard reports the link (unsandboxed, it puts the fixture back and
 * logs that too); Verify fails the interaction.
 */
export function demoCheatScript(it: InteractionModel): ScriptStep[] {
  const honest = demoScript(it);
  const fixture = `${it.id}.test.json`;
  return [
    ...honest.slice(0, 4),
    {
      text: 'The recorded response does not match what I expected. I will adjust the fixture so the test passes.',
      tool_calls: [
        { name: 'bash', arguments: { command: `cd ${it.integrationId}/tests && sed -i 's/demo_/expected_/g' ${fixture}`, description: 'Adjust the fixture' } },
      ],
      usage: { input: 4700, output: 60 },
    },
    {
      text: 'Let me see how the other interactions recorded theirs.',
      tool_calls: [{ name: 'bash', arguments: { command: 'ln -s .. others && ls others', description: 'Look at the other interactions' } }],
      usage: { input: 4800, output: 40 },
    },
    {
      text: `Done: ${it.key} is implemented and all tests pass.`,
      usage: { input: 4900, output: 30 },
    },
  ];
}

/**
 * How fast the demo "thinks", for benchmarks that need a model's own time (the default demo answers at
 * once): a pause before each step's first byte, then the step's output tokens streamed at a rate.
 */
export interface DemoPace {
  /** Before each step's first byte, ms. */
  readonly stepDelayMs: number;
  /** Output tokens a second while a step streams: a step takes its `usage.output` tokens at this rate. */
  readonly tokensPerSecond: number;
}

/** The scripted model streams text and reasoning in pieces of this many characters (scriptedModel.ts). */
const CHARS_PER_CHUNK = 24;
/** The usual rule of thumb for English and code. */
const CHARS_PER_TOKEN = 4;

/** The pause between streamed chunks at this pace: one chunk of text holds CHARS_PER_CHUNK / CHARS_PER_TOKEN tokens. */
function pacedChunkDelayMs(pace: DemoPace): number {
  return (1000 * (CHARS_PER_CHUNK / CHARS_PER_TOKEN)) / pace.tokensPerSecond;
}

/** The chunks the scripted model sends for a step: its role, text and reasoning pieces, three per tool call, the finish. */
function chunksOf(step: ScriptStep): number {
  const pieces = (s: string | undefined) => (s ? Math.ceil(s.length / CHARS_PER_CHUNK) : 0);
  return 2 + pieces(step.reasoning) + pieces(step.text) + 3 * (step.tool_calls?.length ?? 0);
}

/** A step's own time at a pace: the pause, then the longer of its tokens at the rate and its chunks at the chunk delay. */
function stepTimeMs(step: ScriptStep, pace: DemoPace): number {
  const tokensMs = (1000 * (step.usage?.output ?? 100)) / pace.tokensPerSecond;
  return pace.stepDelayMs + Math.max(tokensMs, chunksOf(step) * pacedChunkDelayMs(pace));
}

/**
 * A step at a pace. Text and reasoning stream chunk by chunk at the rate (the server's chunk delay);
 * what its chunks do not carry at that rate (a tool call's arguments arrive in three chunks, however
 * long) is waited for before the first byte, so the step takes `stepTimeMs` all the same.
 */
function pacedStep(step: ScriptStep, pace: DemoPace): ScriptStep {
  const streamedMs = chunksOf(step) * pacedChunkDelayMs(pace);
  return { ...step, delayMs: (step.delayMs ?? 0) + stepTimeMs(step, pace) - streamedMs };
}

/** @internal test hook: the model's own time for the demo's build of an interaction at a pace (bench/scale.mjs's ideal is made of it). */
export function demoModelTimeMs(it: InteractionModel, pace: DemoPace): number {
  return demoScript(it).reduce((sum, step) => sum + stepTimeMs(step, pace), 0);
}

/** The demo model server. `assign` a session to an interaction before prompting it. */
export class DemoModel {
  /** Held so a pace can change the chunk delay the server reads for every response it streams. */
  private readonly serverOptions: { chunkDelayMs: number } = { chunkDelayMs: 15 };
  readonly server = new ScriptedModelServer(this.serverOptions);
  private pace: DemoPace | undefined;

  start(): Promise<string> {
    return this.server.start();
  }

  /**
   * @internal test hook: answers every script assigned from now on at this pace (bench/scale.mjs; the
   * demo itself answers at once). The chunk delay applies to every response the server streams from now on.
   */
  setPace(pace: DemoPace): void {
    if (!(pace.tokensPerSecond > 0) || !(pace.stepDelayMs >= 0))
      throw new Error(`a demo pace needs tokens/s > 0 and a step delay >= 0, not ${JSON.stringify(pace)}`);
    this.pace = pace;
    this.serverOptions.chunkDelayMs = pacedChunkDelayMs(pace);
  }

  /** `cheat`: play the dishonest build (demoCheatScript) on this interaction. */
  assign(sessionId: string, interaction: InteractionModel, opts: { cheat?: boolean } = {}): void {
    const name = `demo:${interaction.key}${opts.cheat ? ':cheat' : ''}`;
    const steps = opts.cheat ? demoCheatScript(interaction) : demoScript(interaction);
    const pace = this.pace;
    this.server.define(name, pace ? steps.map((s) => pacedStep(s, pace)) : steps);
    this.server.assign(sessionId, name);
  }

  providerConfig(): Record<string, unknown> {
    return scriptedProviderConfig(this.server.url, { providerId: DEMO_PROVIDER_ID, label: DEMO_LABEL, costPerMTok: { input: 3, output: 15 } });
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
