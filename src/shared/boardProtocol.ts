// The Agents board's messages (the editor tab of every run, src/extension/boardPanel.ts and
// src/webview/board.ts), both directions. Each side validates what it receives with these zod schemas:
// a malformed message is dropped, never half-applied. The board's row is the panel's row (AgentRow)
// and what the board adds to it: when the run entered its state, its last tool call, what it edited.
import * as z from 'zod';
import { AgentRow } from './protocol';

/** The agent's latest tool call, in one line. */
export const LastTool = z.object({
  tool: z.string(),
  title: z.string(),
  state: z.enum(['running', 'ok', 'error']),
});
export type LastTool = z.infer<typeof LastTool>;

/**
 * What the agent's write and edit calls changed, counted from its transcript: the files it wrote or
 * edited, and the lines its calls added and removed (an edit's old and new text; a write's new text,
 * counted as added). Not a diff of the folder against the scaffold (Review shows that).
 */
export const Edits = z.object({ files: z.number().int(), added: z.number().int(), removed: z.number().int() });
export type Edits = z.infer<typeof Edits>;

export const BoardRow = AgentRow.extend({
  /** When the run entered the state the board shows (ISO), where known. */
  since: z.string().optional(),
  lastTool: LastTool.optional(),
  /** Absent: the transcript has not been read (yet). */
  edits: Edits.optional(),
});
export type BoardRow = z.infer<typeof BoardRow>;

export const BoardHostMessage = z.discriminatedUnion('type', [
  /**
   * Rows that are new or changed, and the keys of rows that are gone; `reset` replaces every row.
   * `now` is the host's clock, so time in state does not depend on the webview's.
   */
  z.object({
    type: z.literal('rows'),
    rows: z.array(BoardRow),
    removed: z.array(z.string()),
    reset: z.boolean(),
    now: z.number(),
    demo: z.boolean(),
  }),
]);
export type BoardHostMessage = z.infer<typeof BoardHostMessage>;

export const BoardWebviewMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  /** Open the interaction's transcript (Enter, double-click). */
  z.object({ type: z.literal('open'), key: z.string() }),
  /** Show the Agents view in the sidebar (Shift+Enter). */
  z.object({ type: z.literal('reveal'), key: z.string() }),
]);
export type BoardWebviewMessage = z.infer<typeof BoardWebviewMessage>;

export function parseBoardHostMessage(data: unknown): BoardHostMessage | undefined {
  const r = BoardHostMessage.safeParse(data);
  return r.success ? r.data : undefined;
}

export function parseBoardWebviewMessage(data: unknown): BoardWebviewMessage | undefined {
  const r = BoardWebviewMessage.safeParse(data);
  return r.success ? r.data : undefined;
}
