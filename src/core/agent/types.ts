// Types of the agent connection the front ends show (they import core only through src/core/app and
// the core's types.ts files).

/**
 * The connection to the agents' server(s): not started yet (or closed), starting (spawning our server or
 * opening the event streams), ready, reconnecting (a stream dropped; backoff under way), or down (the
 * start failed, or the server exited or was killed as hung; the next run starts a fresh one).
 */
export type ConnectionState = 'idle' | 'starting' | 'ready' | 'reconnecting' | 'down';

export interface ConnectionStatus {
  readonly state: ConnectionState;
  /** Why (down: what failed; reconnecting: which server). */
  readonly detail?: string;
}
