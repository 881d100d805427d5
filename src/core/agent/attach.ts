// OpenCode's own UI attached to one of our sessions: the user inspects it, or takes over by hand.

export interface AttachCommand {
  readonly file: string;
  readonly args: string[];
  /** Added to the environment: the server's password, never on the command line. */
  readonly env: Record<string, string>;
}

/**
 * `opencode attach <server> --dir <folder> --session <id>`: the TUI on our running server, in the
 * interaction's folder (the server keeps one instance per folder), on that session.
 */
export function attachCommand(
  opencodeBin: string,
  endpoint: { readonly url: string; readonly password?: string },
  session: { readonly folder: string; readonly sessionId: string },
): AttachCommand {
  return {
    file: opencodeBin,
    args: ['attach', endpoint.url, '--dir', session.folder, '--session', session.sessionId],
    env: endpoint.password ? { OPENCODE_SERVER_PASSWORD: endpoint.password } : {},
  };
}
