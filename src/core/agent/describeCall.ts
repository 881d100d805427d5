// One line naming a tool call, e.g. `bash: sed -i s/a/b/ tests/x.json`: what the guard's violations,
// the run engine's activity and the insights report all say of a call (a leaf, so each can import it).
export function describeToolCall(tool: string, input: Record<string, unknown>): string {
  const pick = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
  const what = pick('command') ?? pick('filePath') ?? pick('path') ?? pick('pattern') ?? '';
  const line = what.replace(/\s+/g, ' ').trim();
  return line ? `${tool}: ${line.length > 160 ? `${line.slice(0, 157)}…` : line}` : tool;
}
