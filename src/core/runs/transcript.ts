// A run's transcript as Markdown, from the JSONL the orchestrator writes: what the agent was told,
// what it said, every tool call with its input and output, and how it ended.
import type { Finding } from './report';
import type { RunRecord } from './record';

type Entry = Record<string, unknown>;

const fence = (body: string, lang = '') => {
  const ticks = body.includes('```') ? '````' : '```';
  return `${ticks}${lang}\n${body.replace(/\n$/, '')}\n${ticks}`;
};

function clip(s: string, max = 4000): string {
  return s.length > max ? `${s.slice(0, max)}\n… (${s.length - max} more characters)` : s;
}

export interface RenderedTranscript {
  readonly markdown: string;
  /** For each transcript entry (JSONL line), the 0-based Markdown line where it starts. */
  readonly lineOfEntry: readonly number[];
}

/**
 * The Markdown, plus where each entry landed, so a finding's step (a JSONL line) can be revealed.
 * Findings of the verification are shown in place, under the entry they point at.
 */
export function renderTranscriptWithLines(run: RunRecord, entries: readonly unknown[], findings: readonly Finding[] = []): RenderedTranscript {
  const out: string[] = [];
  const lineOfEntry: number[] = [];
  const findingsAt = new Map<number, Finding[]>();
  for (const f of findings) {
    if (f.step?.attempt === run.attempt) findingsAt.set(f.step.line, [...(findingsAt.get(f.step.line) ?? []), f]);
  }
  out.push(`# ${run.key} — attempt ${run.attempt}${run.demo ? ' (demo model)' : ''}`);
  out.push('');
  out.push(`Status: **${run.status}**${run.detail ? ` — ${run.detail}` : ''}  `);
  out.push(`Model: ${run.model ?? '(server default)'} · session ${run.sessionId ?? '—'} · folder \`${run.folder}\`  `);
  out.push(`Cost: $${run.costUsd.toFixed(4)} · steps ${run.steps} · tool calls ${run.toolCalls}`);
  let step = 0;
  // Markdown lines so far, counted incrementally (transcripts can be long).
  let counted = 0;
  let lines = 0;
  entries.forEach((raw, index) => {
    for (; counted < out.length; counted++) lines += (out[counted] as string).split('\n').length;
    lineOfEntry.push(lines);
    const e = raw as Entry;
    switch (e.type) {
      case 'prompt':
        out.push('', '## Prompt', '', fence(String(e.text ?? ''), 'markdown'));
        break;
      case 'reasoning.done':
        if (e.text) out.push('', '<details><summary>Reasoning</summary>', '', String(e.text), '', '</details>');
        break;
      case 'text.done':
        out.push('', String(e.text ?? ''));
        break;
      case 'tool.finished': {
        const input = (e.input ?? {}) as Entry;
        const title = e.tool === 'bash' ? `\`${String(input.command ?? '')}\`` : String(e.title ?? input.filePath ?? '');
        out.push('', `### ${e.ok ? '✓' : '✗'} ${String(e.tool)} ${title}`.trimEnd());
        if (e.tool === 'write' && typeof input.content === 'string') out.push('', fence(clip(input.content), 'ts'));
        else if (e.tool === 'edit') out.push('', fence(clip(`- ${String(input.oldString ?? '')}\n+ ${String(input.newString ?? '')}`), 'diff'));
        else if (e.tool !== 'bash') out.push('', fence(clip(JSON.stringify(input, null, 2)), 'json'));
        if (e.output) out.push('', fence(clip(String(e.output))));
        break;
      }
      case 'step':
        step += 1;
        out.push('', `<sub>step ${step}: $${Number(e.costUsd ?? 0).toFixed(4)}</sub>`);
        break;
      case 'status':
        if (e.status === 'retry') out.push('', `> ⚠ provider retry ${String(e.attempt ?? '')}: ${String(e.message ?? '')}`);
        break;
      case 'permission.asked':
        out.push('', `> permission asked: ${String(e.permission)} ${JSON.stringify(e.patterns)}`);
        break;
      case 'error':
        out.push('', `> ✗ error ${String(e.name)}: ${String(e.message)}`);
        break;
      case 'finished':
        out.push('', `---`, '', `Finished (${String(e.finish)}). The agent's claim is not a verdict: run Verify.`);
        break;
      case 'violation':
        out.push('', `> ⛔ fixture guard: ${String(e.detail ?? `${String(e.kind)} ${String(e.file)}`)}`);
        break;
      case 'harness.tool':
        break;
      case 'unreadable-file':
        out.push('', `> ⚠ the transcript of this attempt cannot be read (${String(e.error ?? 'unknown error')}): what the agent did is unknown`);
        break;
      case 'unreadable-line':
        // A line cut short (a kill, a full disk): said where it is, the rest of the transcript still shown.
        out.push('', `> ⚠ line ${Number(e.line) + 1} of the transcript file could not be read (${String(e.error ?? 'not JSON')}); it is left out`);
        break;
      default:
        break;
    }
    for (const f of findingsAt.get(index) ?? []) {
      out.push(
        '',
        `> **${f.severity === 'error' ? '✗' : '⚠'} ${f.rule}** — ${f.message}${f.quote ? `  \n> \`${f.quote.replace(/`/g, "'").slice(0, 200)}\`` : ''}`,
      );
    }
  });
  return { markdown: out.join('\n') + '\n', lineOfEntry };
}
