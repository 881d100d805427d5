// A line-based unified diff (for conflicts shown in a terminal or a report): what is in the project
// (`a`) against what Assemble would write (`b`). Longest common subsequence on lines; files too large
// for that are shown as replaced whole.

const MAX_CELLS = 4_000_000;

type Op = { kind: ' ' | '-' | '+'; line: string };

/** The file's lines; a last line without a newline carries the marker, so it differs from one with it. */
function lines(text: string): string[] {
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  else out[out.length - 1] += '\n\\ No newline at end of file';
  return out;
}

function ops(a: readonly string[], b: readonly string[]): Op[] {
  // Common head and tail first: most conflicts are small edits.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const middle: Op[] = [];
  if ((am.length + 1) * (bm.length + 1) > MAX_CELLS) {
    for (const line of am) middle.push({ kind: '-', line });
    for (const line of bm) middle.push({ kind: '+', line });
  } else {
    const n = am.length;
    const m = bm.length;
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      const row = lcs[i] as Uint32Array;
      const next = lcs[i + 1] as Uint32Array;
      for (let j = m - 1; j >= 0; j--) row[j] = am[i] === bm[j] ? (next[j + 1] as number) + 1 : Math.max(next[j] as number, row[j + 1] as number);
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (am[i] === bm[j]) {
        middle.push({ kind: ' ', line: am[i] as string });
        i++;
        j++;
      } else if (((lcs[i + 1] as Uint32Array)[j] as number) >= ((lcs[i] as Uint32Array)[j + 1] as number)) middle.push({ kind: '-', line: am[i++] as string });
      else middle.push({ kind: '+', line: bm[j++] as string });
    }
    while (i < n) middle.push({ kind: '-', line: am[i++] as string });
    while (j < m) middle.push({ kind: '+', line: bm[j++] as string });
  }
  return [...a.slice(0, head).map((line): Op => ({ kind: ' ', line })), ...middle, ...a.slice(a.length - tail).map((line): Op => ({ kind: ' ', line }))];
}

/** `--- a/<rel>` / `+++ b/<rel>` and hunks with `context` lines around each change; '' when equal. */
export function unifiedDiff(rel: string, a: string, b: string, context = 3): string {
  if (a === b) return '';
  const all = ops(lines(a), lines(b));
  const out = [`--- a/${rel}`, `+++ b/${rel}`];
  let k = 0;
  while (k < all.length) {
    while (k < all.length && (all[k] as Op).kind === ' ') k++;
    if (k >= all.length) break;
    // A hunk: from `context` lines before this change to `context` after the last change close to it.
    const start = Math.max(0, k - context);
    let end = k;
    for (let x = k; x < all.length; x++) {
      if ((all[x] as Op).kind !== ' ') end = x;
      else if (x - end > 2 * context) break;
    }
    const stop = Math.min(all.length, end + context + 1);
    let aLine = 1;
    let bLine = 1;
    for (let x = 0; x < start; x++) {
      if ((all[x] as Op).kind !== '+') aLine++;
      if ((all[x] as Op).kind !== '-') bLine++;
    }
    const hunk = all.slice(start, stop);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    const range = (line: number, count: number) => (count === 1 ? `${line}` : `${count ? line : line - 1},${count}`);
    out.push(`@@ -${range(aLine, aCount)} +${range(bLine, bCount)} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
    k = stop;
  }
  return out.join('\n') + '\n';
}
