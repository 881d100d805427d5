// The first message an agent gets: everything the spec says about its interaction, where to work,
// and the rules of the harness. Plain text, deterministic (the same spec gives the same prompt).
import type { InteractionModel } from '../spec/model';
import { scriptRelativePath, testsRelativeDir } from '../workspace/scaffold';

/**
 * The skills every session gets, by the names they ship under (`skills/<name>/SKILL.md`); a test holds
 * this list to the folders in `skills/`, so the prompt never sends an agent to a skill that is not there.
 */
export const SKILL_NAMES = ['nango-interaction', 'api-docs-research', 'done-checklist'] as const;

export interface PromptInput {
  readonly interaction: InteractionModel;
  /** Absolute path of the interaction folder (the session's directory). */
  readonly folder: string;
  /** Names of the skills available to the session. */
  readonly skills?: readonly string[];
  /** A restart: what Verify found in the attempt before (its findings, never its code). */
  readonly previous?: PreviousAttempt;
}

/** What the attempt before this one was told by Verify, for a restart from scratch. */
export interface PreviousAttempt {
  readonly attempt: number;
  readonly verdict: string;
  /** One line each: the check, the finding, where. */
  readonly findings: readonly string[];
}

/** At most this many findings are repeated to the next attempt (the rest are counted). */
const PREVIOUS_FINDINGS_SHOWN = 12;

function previousSection(p: PreviousAttempt | undefined): string {
  if (!p) return '';
  const shown = p.findings.slice(0, PREVIOUS_FINDINGS_SHOWN).map((f) => `- ${f}`);
  if (p.findings.length > shown.length) shown.push(`- … and ${p.findings.length - shown.length} more`);
  return section(
    'What went wrong last time',
    [
      `This is a fresh start: attempt ${p.attempt} of this interaction was verified as ${p.verdict} and its folder was deleted. Do not repeat these:`,
      ...(shown.length ? shown : ['- (no finding was recorded)']),
    ].join('\n'),
  );
}

/**
 * The message of a feedback turn: a person reviewed the finished run and asks for changes in the same
 * session. The rules of the first prompt still hold; the agent is reminded of the ones a change breaks.
 */
export function buildFeedbackPrompt(text: string, turn: number): string {
  return [
    `# Feedback on your work (turn ${turn})\n`,
    section('A person reviewed this interaction and says', text),
    section(
      'Rules (unchanged)',
      [
        '- Work only in your folder; fixtures and generated tests are written only by the harness tools.',
        '- After changing the script, run the run_tests tool again; record a new fixture with record_fixture only if the request changed.',
        '- Do not say you are done unless it compiles and run_tests passes; say exactly what is left otherwise.',
        '- If the feedback cannot be done (it needs data or access you do not have), call report_blocked and say why.',
      ].join('\n'),
    ),
  ]
    .filter((line) => line !== '')
    .join('\n');
}

function section(title: string, body: string): string {
  return body.trim() ? `## ${title}\n${body.trim()}\n` : '';
}

export function buildPrompt({ interaction: it, folder, skills = SKILL_NAMES, previous }: PromptInput): string {
  const script = scriptRelativePath(it);
  const kindLine = it.kindInferred ? `${it.kind} (${it.kindReason})` : it.kind;
  const docs = it.docs.map((d) => `- ${d}`).join('\n');
  return [
    `# Build the ${it.kind} "${it.id}" for the ${it.integrationId} integration\n`,
    previousSection(previous),
    section('Task', [`Interaction: ${it.displayName} (${it.key})`, `Kind: ${kindLine}`, `Description: ${it.description || '(none given)'}`].join('\n')),
    section('Instructions from the spec', it.prompt),
    section('Comments from the spec', it.comments),
    section('About the API', it.context),
    section('API documentation', docs),
    section('Test account', [`Connection id: ${it.connectionId || '(none given)'}`, `Environment: ${it.environment || '(none given)'}`].join('\n')),
    section(
      'Where you work',
      [
        `Your folder is ${folder}. Work only inside it; other folders are off limits.`,
        `Write the implementation in ${script} (a stub is there). Keep the default export. Helper files of your own in this folder, imported by the script, are part of the interaction; files outside it are not.`,
        `index.ts, package.json and tsconfig.json were written by the harness: do not change them.`,
        `Recorded API responses (fixtures) live in ${testsRelativeDir(it)}/ and are written only by the harness's recording tool: never create, edit, move or delete them.`,
      ].join('\n'),
    ),
    section(
      'Rules',
      [
        '- Record fixtures with the record_fixture tool and run the tests with the run_tests tool; never run the recorder (`nango dryrun`) yourself.',
        '- If the API answers 401, 403, or says a scope is missing, stop and call the report_blocked tool with the response. Never invent a response.',
        '- Use only commands that exist; if a command fails as unknown, do not guess variants of it.',
        '- Do not say you are done unless it compiles and run_tests passes; say exactly what is left otherwise.',
        `- Read the skills before you start: ${skills.join(', ')}.`,
      ].join('\n'),
    ),
  ]
    .filter((line) => line !== '')
    .join('\n');
}
