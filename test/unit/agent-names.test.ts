// What a real model reads — the first prompt, every skill, the scaffold's stubs — names skills, tools,
// files, commands and SDK calls. Each must exist in what ships. Nothing here is a list kept by hand: the
// skills are the folders in skills/, the tools the harness's HARNESS_TOOLS, the files what the scaffold
// writes (and Nango's names for an interaction's tests), the commands and options those of the installed
// Nango CLI and the scaffold's package.json, the SDK calls the members of the installed SDK's types.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPrompt, SKILL_NAMES } from '../../src/core/agent/prompt';
import { HARNESS_TOOLS } from '../../src/core/harness/toolServer';
import { loadSpec } from '../../src/core/spec/loader';
import type { InteractionModel } from '../../src/core/spec/model';
import { interactionTestFiles, scaffoldFiles } from '../../src/core/workspace/scaffold';

const REPO = path.resolve(__dirname, '../..');
const SKILLS = path.join(REPO, 'skills');
const NM = path.join(REPO, 'node_modules');
const RUNNER_SDK = [path.join(NM, 'nango/node_modules/@nangohq/runner-sdk/dist'), path.join(NM, '@nangohq/runner-sdk/dist')].find((d) =>
  existsSync(d),
) as string;

// ---------------------------------------------------------------------------------------------
// What ships

const shippedSkills = readdirSync(SKILLS, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(path.join(SKILLS, e.name, 'SKILL.md')))
  .map((e) => e.name)
  .sort();

function interactions(): InteractionModel[] {
  const text = JSON.stringify({
    integrations: [
      {
        id: 'google-calendar',
        connectionId: 'test-conn',
        environment: 'dev',
        docs: 'https://developers.google.com/calendar/api/v3/reference',
        context: 'The Google Calendar REST API v3.',
        interactions: [
          {
            id: 'create-event',
            displayName: 'Create Event',
            description: 'Create a calendar event',
            prompt: 'Create a calendar first',
            comments: 'Ask Jane',
            kind: 'action',
          },
          { id: 'sync_events', displayName: 'Sync Events', description: 'Sync all events', prompt: '', comments: '', kind: 'sync' },
        ],
      },
    ],
  });
  const spec = loadSpec('/ws/interactions.json', text);
  expect(spec.diagnostics).toEqual([]);
  return [...(spec.integrations[0]?.interactions ?? [])];
}

/** Files and folders an interaction folder holds: the scaffold's, and its tests by Nango's names. */
function shippedFiles(it0: InteractionModel): Set<string> {
  const files = [...scaffoldFiles(it0).keys(), ...interactionTestFiles(it0)];
  const out = new Set<string>();
  for (const f of files) {
    out.add(f);
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) out.add(`${parts.slice(0, i).join('/')}/`);
  }
  return out;
}

/** The installed Nango CLI: each command with its options, from its own source (commander's .command/.option). */
function nangoCli(): Map<string, Set<string>> {
  const src = readFileSync(path.join(NM, 'nango/dist/index.js'), 'utf8');
  const flags = (text: string) =>
    new Set(
      [...text.matchAll(/(?:\.option\(|new Option\()\s*'([^']*)'/g)].flatMap((m) =>
        [...(m[1] as string).matchAll(/--([a-z][a-z-]*)/g)].map((f) => `--${f[1]}`),
      ),
    );
  const createCommand = src.slice(src.indexOf('createCommand(name)'), src.indexOf('hook(', src.indexOf('createCommand(name)')));
  // commander adds --help to every command by itself
  const global = new Set([...flags(createCommand), '--help']);
  const out = new Map<string, Set<string>>();
  const parts = src.split(/\.command\('/).slice(1);
  for (const part of parts) {
    const name = part.slice(0, part.indexOf("'"));
    const body = part.slice(0, part.indexOf('.action('));
    out.set(name, new Set([...global, ...flags(body)]));
  }
  return out;
}

/** Names the installed SDK declares: members of NangoAction/NangoSync, props of createAction/createSync, proxy options. */
function sdkDeclarations(): { members: Set<string>; deprecated: Set<string>; names: Set<string> } {
  const files = ['action.d.ts', 'sync.d.ts', 'scripts.d.ts'].map((f) => readFileSync(path.join(RUNNER_SDK, f), 'utf8'));
  files.push(readFileSync(path.join(NM, '@nangohq/types/dist/proxy/api.d.ts'), 'utf8'));
  const members = new Set<string>();
  const deprecated = new Set<string>();
  const names = new Set<string>();
  for (const text of files) {
    const lines = text.split('\n');
    let pendingDeprecated = false;
    for (const line of lines) {
      if (/@deprecated/.test(line)) pendingDeprecated = true;
      const m = /^\s+(?:abstract\s+|protected\s+|readonly\s+)*([A-Za-z_$][\w$]*)\??\s*[(<:]/.exec(line);
      if (m) {
        members.add(m[1] as string);
        names.add(m[1] as string);
        if (pendingDeprecated) deprecated.add(m[1] as string);
        pendingDeprecated = false;
      }
    }
  }
  return { members, deprecated, names };
}

// ---------------------------------------------------------------------------------------------
// What a model reads

interface Text {
  readonly where: string;
  readonly text: string;
  readonly interaction: InteractionModel;
}

function texts(): Text[] {
  const [action, sync] = interactions() as [InteractionModel, InteractionModel];
  const out: Text[] = [];
  for (const it0 of [action, sync]) {
    out.push({
      where: `the prompt for ${it0.key}`,
      text: buildPrompt({ interaction: it0, folder: `/ws/.integration-builder/work/${it0.key}` }),
      interaction: it0,
    });
    for (const [rel, content] of scaffoldFiles(it0)) if (rel.endsWith('.ts')) out.push({ where: `the scaffold's ${rel}`, text: content, interaction: it0 });
  }
  for (const name of shippedSkills)
    out.push({ where: `skills/${name}/SKILL.md`, text: readFileSync(path.join(SKILLS, name, 'SKILL.md'), 'utf8'), interaction: action });
  return out;
}

/** The text without fenced code blocks (examples of code, not names for the reader to use). */
const prose = (text: string) => text.replace(/```[\s\S]*?```/g, '').replace(/https?:\/\/\S+/g, '');
/** Inline code spans of the prose. */
const spans = (text: string) => [...prose(text).matchAll(/`([^`\n]+)`/g)].map((m) => m[1] as string);
/** A placeholder path of a skill (`<integration>/actions/<id>.ts`) for one interaction. */
const concrete = (p: string, it0: InteractionModel) => p.replace(/<integration>/g, it0.integrationId).replace(/<id>/g, it0.id);

describe('every name the prompt, the skills and the stubs give exists in what ships', () => {
  const all = texts();

  it('skills: the prompt names every shipped skill and nothing else; every skill named anywhere ships', () => {
    expect([...SKILL_NAMES].sort()).toEqual(shippedSkills);
    const named: [string, string][] = [];
    for (const t of all) {
      const list = /Read the skills before you start: (.*)\./.exec(t.text);
      if (list) for (const n of (list[1] as string).split(', ')) named.push([t.where, n]);
      for (const m of prose(t.text).matchAll(/`([a-z0-9]+(?:-[a-z0-9]+)+)` skill\b|\bthe ([a-z0-9]+(?:-[a-z0-9]+)+) skill\b|\bskill `([a-z0-9-]+)`/g))
        named.push([t.where, (m[1] ?? m[2] ?? m[3]) as string]);
    }
    expect(named.filter(([w]) => w.startsWith('the prompt')).length).toBeGreaterThanOrEqual(2 * shippedSkills.length);
    expect(named.filter(([w]) => w.startsWith('skills/')).length).toBeGreaterThan(0);
    for (const [where, name] of named) expect(shippedSkills, `${where} names the skill "${name}"`).toContain(name);
  });

  it('tools: every snake_case name is a harness tool or a name the installed SDK declares; every harness tool is taught', () => {
    const sdk = sdkDeclarations();
    let checked = 0;
    for (const t of all) {
      for (const m of prose(t.text).matchAll(/(?<![\w.$/-])([a-z]+(?:_[a-z]+)+)(?![\w.$/-])/g)) {
        const name = m[1] as string;
        if (name === t.interaction.id) continue; // the interaction's own id (ids may have underscores)
        checked++;
        expect(
          (HARNESS_TOOLS as readonly string[]).includes(name) || sdk.names.has(name),
          `${t.where} names "${name}", neither a harness tool (${HARNESS_TOOLS.join(', ')}) nor a name the Nango SDK declares`,
        ).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(20);
    // The tools a session really gets are the ones the opencode plugin registers: the same names.
    const plugin = readFileSync(path.join(REPO, 'src/harness-plugin/plugin.ts'), 'utf8');
    const toolStart = plugin.indexOf('\n  tool: {');
    const toolBlock = plugin.slice(toolStart, plugin.indexOf('\n  },', toolStart));
    const registered = [...toolBlock.matchAll(/^ {4}([a-z]+(?:_[a-z]+)*): \{/gm)].map((m) => m[1] as string);
    expect(registered.sort(), 'the tools src/harness-plugin/plugin.ts registers').toEqual([...HARNESS_TOOLS].sort());
    const building = all.find((t) => t.where === 'skills/nango-interaction/SKILL.md')?.text ?? '';
    const prompt = all.find((t) => t.where.startsWith('the prompt'))?.text ?? '';
    for (const tool of HARNESS_TOOLS) {
      expect(building, `the building skill teaches ${tool}`).toContain(`\`${tool}\``);
      expect(prompt, `the prompt names ${tool}`).toContain(tool);
    }
  });

  it("files: every path is one the scaffold writes (or its tests by Nango's names), an import specifier, a package installed, or a file of the agent's own named by the skill's rule", () => {
    let checked = 0;
    for (const t of all) {
      const it0 = t.interaction;
      const shipped = shippedFiles(it0);
      const candidates = t.where.startsWith('the prompt')
        ? [...prose(t.text).matchAll(/(?<![\w/.-])((?:[\w.-]+\/)+[\w.-]*|[\w-]+\.(?:ts|json))(?![\w/-])/g)].map((m) => (m[1] as string).replace(/\.$/, ''))
        : // a file (an extension), a folder (a trailing slash) or a scoped package; `try/catch` is none of them
          spans(t.text).filter((s) => !/\s/.test(s) && (/\.(ts|json|js|md)$/.test(s) || (s.includes('/') && s.endsWith('/')) || /^@[\w-]+\/[\w-]+$/.test(s)));
      for (const raw of candidates) {
        const p = concrete(raw, it0);
        if (p.startsWith('./') || p.startsWith('../')) continue; // an import specifier, relative to the importing file
        if (p === it0.key) continue; // the interaction's key (its folder's path under the work root)
        if (p.startsWith('/')) continue; // an API endpoint (`/v1/things`) or the folder's absolute path
        if (/^\.[a-z]+$/.test(p)) continue; // an extension (`.js`), not a file
        checked++;
        if (p.startsWith('@')) {
          expect(existsSync(path.join(NM, p)) || existsSync(path.join(NM, 'nango/node_modules', p)), `${t.where} names the package ${p}`).toBe(true);
          continue;
        }
        const alternatives = p.includes('actions|syncs') ? [p.replace('actions|syncs', 'actions'), p.replace('actions|syncs', 'syncs')] : [p];
        const own = (q: string) => q.startsWith(`${it0.integrationId}/`) && path.posix.basename(q).startsWith(`${it0.id}-`);
        const shippedOrOwn = alternatives.some(
          (q) => shipped.has(q) || shippedFiles({ ...it0, kind: it0.kind === 'sync' ? 'action' : 'sync' }).has(q) || own(q),
        );
        expect(shippedOrOwn, `${t.where} names the file ${raw}${raw === p ? '' : ` (${p})`}, which no interaction folder has`).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('commands: every nango command and option exists in the installed CLI, every npm script in the scaffold', () => {
    const cli = nangoCli();
    expect(cli.get('dryrun')?.has('--validate')).toBe(true); // the parse itself works
    const anyOption = new Set([...cli.values()].flatMap((s) => [...s]));
    const [action] = interactions() as [InteractionModel];
    const scripts = Object.keys((JSON.parse(scaffoldFiles(action).get('package.json') as string) as { scripts: Record<string, string> }).scripts);
    let checked = 0;
    for (const t of all) {
      for (const s of spans(t.text)) {
        const words = s.trim().split(/\s+/);
        if (words[0] === 'npx') words.shift();
        if (words[0] === 'nango' && words.length > 1) {
          checked++;
          const sub = words[1] as string;
          expect(cli.has(sub), `${t.where} names \`${s}\`: the installed Nango CLI has no command "${sub}"`).toBe(true);
          for (const flag of words.filter((w) => w.startsWith('--')))
            expect(cli.get(sub)?.has(flag), `${t.where} names \`${s}\`: "nango ${sub}" has no option ${flag}`).toBe(true);
        } else if (words[0] === 'npm' && (words[1] === 'run' || words[1] === 'test')) {
          checked++;
          const script = words[1] === 'run' ? (words[2] as string) : 'test';
          expect(scripts, `${t.where} names \`${s}\`: the scaffold's package.json has no script "${script}"`).toContain(script);
        } else if (/^--[a-z][a-z-]*$/.test(s)) {
          checked++;
          expect(anyOption.has(s), `${t.where} names the option ${s}, which no command of the installed Nango CLI has`).toBe(true);
        }
      }
    }
    expect(checked).toBeGreaterThan(3);
  });

  it('SDK calls: every nango.<name> exists in the installed SDK; a deprecated one is named only to say so', () => {
    const sdk = sdkDeclarations();
    expect(sdk.deprecated.has('deleteRecordsFromPreviousExecutions')).toBe(true); // the parse itself works
    let checked = 0;
    for (const t of all) {
      for (const line of t.text.split('\n')) {
        for (const m of line.matchAll(/\bnango\.([A-Za-z_$][\w$]*)/g)) {
          const name = m[1] as string;
          checked++;
          expect(sdk.members.has(name), `${t.where} names nango.${name}, which the installed SDK does not have`).toBe(true);
          if (sdk.deprecated.has(name))
            expect(line, `${t.where} names nango.${name} (deprecated) without saying not to use it`).toMatch(/deprecated|never|\bno\b|legacy/i);
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
