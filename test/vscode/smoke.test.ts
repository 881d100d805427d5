/// <reference types="mocha" />
// Extension-host smoke test: runs inside a real VS Code (code-server) via test/vscode/run.cjs.
import * as assert from 'assert';
import * as vscode from 'vscode';

suite('Smoke', () => {
  test('runs inside a real VS Code', () => {
    assert.ok(vscode.version, 'vscode.version is set');
    console.log(`VS Code ${vscode.version} (${vscode.env.appName}, host ${vscode.env.appHost})`);
  });
});
