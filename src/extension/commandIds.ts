// Command ids, in one table: package.json contributes exactly these (a test checks it).
export const COMMANDS = {
  generateInteraction: 'integrationBuilder.generateInteraction',
  generateAll: 'integrationBuilder.generateAll',
  stop: 'integrationBuilder.stop',
  restartFromScratch: 'integrationBuilder.restartFromScratch',
  verifyInteraction: 'integrationBuilder.verifyInteraction',
  verifyAll: 'integrationBuilder.verifyAll',
  assembleIntegration: 'integrationBuilder.assembleIntegration',
  openTranscript: 'integrationBuilder.openTranscript',
  openInteractionFolder: 'integrationBuilder.openInteractionFolder',
  attachToSession: 'integrationBuilder.attachToSession',
  refresh: 'integrationBuilder.refresh',
  revealInSpec: 'integrationBuilder.revealInSpec',
  createSpec: 'integrationBuilder.createSpec',
  setNangoSecretKey: 'integrationBuilder.setNangoSecretKey',
  checkSandbox: 'integrationBuilder.checkSandbox',
  showInsights: 'integrationBuilder.showInsights',
  showBoard: 'integrationBuilder.showBoard',
  restartAgentServer: 'integrationBuilder.restartAgentServer',
  reviewInteraction: 'integrationBuilder.reviewInteraction',
  acceptInteraction: 'integrationBuilder.acceptInteraction',
  rejectInteraction: 'integrationBuilder.rejectInteraction',
  sendFeedback: 'integrationBuilder.sendFeedback',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

export const VIEWS = {
  container: 'integrationBuilder',
  interactions: 'integrationBuilder.interactions',
  agents: 'integrationBuilder.agents',
} as const;

/** Context key: the cursor of the active editor is inside an interaction entry of a spec file. */
export const CURSOR_IN_INTERACTION = 'integrationBuilder.cursorInInteraction';

/** SecretStorage key of the Nango secret key. */
export const NANGO_SECRET = 'integrationBuilder.nangoSecretKey';
