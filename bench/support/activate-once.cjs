// One cold activation in a fresh process: load the bundle with the stub `vscode`, call activate().
// Prints {"require_ms", "activate_ms"} as JSON.
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
const t0 = process.hrtime.bigint();
const ext = require(bundle);
const t1 = process.hrtime.bigint();
ext.activate({ subscriptions: [], extensionUri: vscode.Uri, extensionPath: path.dirname(bundle), globalState: vscode, workspaceState: vscode });
const t2 = process.hrtime.bigint();
const ms = (a, b) => Number(b - a) / 1e6;
process.stdout.write(JSON.stringify({ require_ms: ms(t0, t1), activate_ms: ms(t0, t2), activate_call_ms: ms(t1, t2) }));
