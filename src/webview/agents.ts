// Browser side of the Agents view. For now: the empty state and its one button.
declare function acquireVsCodeApi(): { postMessage(msg: unknown): void };

const vscodeApi = acquireVsCodeApi();
document.getElementById('generate')?.addEventListener('click', () => vscodeApi.postMessage({ type: 'generate' }));
