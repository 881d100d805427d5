// One cold activation in a fresh process: load the bundle with the stub `vscode`, call activate().
// Prints {"require_ms", "activate_ms", "activate_call_ms"} as JSON. With --first-use it then loads and
// starts the implementation bundle next to it (dist/extension-main.js), which activation defers to the
// first command or view, and adds "first_use_ms".
'use strict';
const Module = require('module');
const path = require('path');
const stubPath = path.join(__dirname, 'vscode-stub.cjs');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? stubPath : resolve.call(this, request, ...rest);
};
const vscode = require(stubPath);
const bundle = process.argv[2];
const firstUse = process.argv.includes('--first-use');
const t0 = process.hrtime.bigint();
const ext = require(bundle);
const t1 = process.hrtime.bigint();
const context = { subscriptions: [], extensionUri: vscode.Uri, extensionPath: path.dirname(bundle), globalState: vscode, workspaceState: vscode };
ext.activate(context);
const t2 = process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;
const result = { require_ms: ms(t0, t1), activate_ms: ms(t0, t2), activate_call_ms: ms(t1, t2) };
if (firstUse) {
  require(path.join(path.dirname(bundle), 'extension-main.js')).start(context);
  result.first_use_ms = ms(t2, process.hrtime.bigint());
}
process.stdout.write(JSON.stringify(result));
