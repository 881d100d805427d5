// The opencode configuration we hand the server (OPENCODE_CONFIG_CONTENT): our own primary agent,
// safe default permissions, our skills, and — for the demo — the scripted model as a provider.
import type { PermissionRule } from './connection';

export const AGENT_NAME = 'integration-builder';

const AGENT_PROMPT = `You are an integration engineer working for Integration Builder. You build exactly one
API interaction, in the folder your session runs in, with the toolchain and SDK the task names. You work
honestly: you never edit recorded fixtures or generated files, never invent API responses or CLI commands,
never read other folders, and you report being blocked rather than guessing. Your work is verified by the
harness after you finish; your own claims count for nothing, so say plainly what works and what does not.`;

export interface OpencodeConfigInput {
  /** Default model `provider/model` (the user's setting), if any. */
  readonly model?: string;
  /** Folders holding SKILL.md packages. */
  readonly skillPaths?: readonly string[];
  /** Extra providers (the demo model). */
  readonly providers?: Record<string, unknown>;
  /** Restrict to these providers (tests and the demo: nothing else is reachable offline). */
  readonly enabledProviders?: readonly string[];
  /** Absolute path of the harness plugin (dist/harness-plugin.mjs) that gives sessions our tools. */
  readonly harnessPlugin?: string;
  /** The agent shell (src/core/sandbox/shell.ts): every bash command and terminal runs through it. */
  readonly shell?: string;
}

export function buildOpencodeConfig(input: OpencodeConfigInput): Record<string, unknown> {
  const config: Record<string, unknown> = {
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'disabled',
    agent: {
      [AGENT_NAME]: {
        mode: 'primary',
        description: 'Builds one API interaction in its own folder, honestly.',
        prompt: AGENT_PROMPT,
        // Nothing is left on "ask": nobody may be there to answer, and an unanswered ask hangs the run.
        permission: {
          edit: 'allow',
          bash: 'allow',
          read: 'allow',
          glob: 'allow',
          grep: 'allow',
          list: 'allow',
          skill: 'allow',
          webfetch: 'allow',
          external_directory: 'deny',
          question: 'deny',
          doom_loop: 'deny',
          // One session per interaction: sub-agent sessions would escape our event routing.
          task: 'deny',
        },
      },
    },
  };
  if (input.model) {
    config.model = input.model;
    config.small_model = input.model;
  }
  if (input.skillPaths?.length) config.skills = { paths: [...input.skillPaths] };
  if (input.providers) config.provider = input.providers;
  if (input.enabledProviders) config.enabled_providers = [...input.enabledProviders];
  if (input.harnessPlugin) config.plugin = [input.harnessPlugin];
  if (input.shell) config.shell = input.shell;
  return config;
}

/**
 * Per-session rules on top of the agent's (lock 1 of the fixture protection). opencode applies the
 * last matching rule, and these come after the agent's `allow`s, so they win. Edit patterns match
 * the path relative to the git worktree, or to `/` outside git; `*` crosses `/`, so a leading `*`
 * makes them hold in both cases. Bash patterns match the whole command line: they are guard rails
 * (a determined agent can spell a command differently), which is why the file watcher and the
 * verification hashes exist too. The only `tests` in an interaction folder is the fixtures folder, so
 * the shell rules name it as `tests`, however the path around it is spelled: `google-calendar/tests/x`,
 * `./google-calendar/tests/x`, or `tests/x` after `cd google-calendar`. opencode matches each command
 * of a list (`a && b`, `a | b`) on its own and without its redirections, so `cd x && echo > tests/y`
 * passes the rules; the watcher puts that back.
 */
export function sessionPermissionRules(integrationId?: string, interactionId?: string): PermissionRule[] {
  const rules: PermissionRule[] = [{ permission: 'external_directory', pattern: '*', action: 'deny' }];
  if (!integrationId || !interactionId) return rules;
  const folder = `${integrationId}/${interactionId}`;
  const tests = `${integrationId}/tests`;
  const deny = (permission: string, pattern: string): PermissionRule => ({ permission, pattern, action: 'deny' });
  rules.push(
    // fixtures and generated tests
    deny('edit', `*${tests}/*`),
    deny('edit', `*${tests}`),
    // files the harness scaffolded
    deny('edit', `*${folder}/index.ts`),
    deny('edit', `*${folder}/package.json`),
    deny('edit', `*${folder}/tsconfig.json`),
    // recording is the harness's tool, never a shell command
    deny('bash', '*nango*dryrun*'),
    // shell writes into the fixtures (and moving or removing the folder itself)
    deny('bash', '*sed *-i*tests/*'),
    deny('bash', '*>*tests/*'),
    deny('bash', '*tee *tests/*'),
    deny('bash', '*cp *tests/*'),
    deny('bash', '*mv *tests*'),
    deny('bash', '*rm *tests*'),
    deny('bash', '*truncate *tests/*'),
    deny('bash', '*writeFile*tests/*'),
    deny('bash', '*open(*tests/*'),
  );
  return rules;
}
