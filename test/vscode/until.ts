// What the extension-host tests share: the extension's id, and waiting for a condition in the editor.

export const EXTENSION_ID = 'integration-builder.integration-builder';

/** Polls `probe` every 100 ms until it gives a value (not undefined, not false); fails after `timeoutMs`, naming `what`. */
export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
