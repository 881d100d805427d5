// The port the run engine drives agents through. The opencode connection (./connection.ts) is the
// implementation the product uses; an in-memory fake (test/support/fakeBackend.ts) is another, so the
// orchestrator's races are unit-tested without a server.
import type { Event } from '../util/emitter';
import type { AgentEvent } from './events';
import type { PermissionRule, PromptRequest, SessionRef, SessionsLost } from './connection';

export interface AgentBackend {
  /** Sessions lost with their server (a crash, a remote gone): their runs end as interrupted. */
  readonly onSessionsLost: Event<SessionsLost>;
  /** Set when the backend runs a server of its own (its sessions do not survive a reload). */
  readonly ownedServer: unknown;
  /** Starts or connects to the server(s); resolves once a session can be created. */
  ensure(): Promise<void>;
  createSession(directory: string, title: string, permission?: readonly PermissionRule[]): Promise<SessionRef>;
  /** Follows one session's events (normalised); disposing stops following. */
  subscribe(sessionId: string, listener: (e: AgentEvent) => void): { dispose(): void };
  prompt(ref: SessionRef, request: PromptRequest): Promise<void>;
  abort(ref: SessionRef): Promise<void>;
  /** The session is no longer ours to follow (its run ended). */
  release(ref: SessionRef): Promise<void>;
  deleteSession(ref: SessionRef): Promise<void>;
  /** A session left running before a reload: is it still there, and is it working? */
  reattach(ref: SessionRef): Promise<'busy' | 'idle' | 'gone'>;
  /** Sends a re-attached session's past events again (it may have finished while nobody watched). */
  replaySession(ref: SessionRef): Promise<void>;
}
