// The status bar's text as the editor draws it: the agent server's state leads when it is not simply
// ready, a server that is down warns and a click restarts it; totals and the demo model always show.
import { describe, expect, it } from 'vitest';
import { statusBarView } from '../../src/extension/statusBarView';

const totals = { running: 3, queued: 2, tokens: 12345, costUsd: 0.4567 };

describe('status bar view', () => {
  it('ready: the counts and cost, spinning while agents run; a click shows the interactions', () => {
    const v = statusBarView({ totals, demo: false, server: { state: 'ready' } });
    expect(v.text).toBe('$(sync~spin) 3 running, 2 queued · $0.46');
    expect(v.tooltip).toContain('3 agent(s) running, 2 queued, 12,345 tokens, $0.4567 spent');
    expect(v).toMatchObject({ warning: false, click: 'show-interactions' });
    expect(statusBarView({ totals: { ...totals, running: 0, queued: 0 }, demo: true, server: { state: 'idle' } }).text).toBe(
      '$(hubot) 0 running · $0.46 (demo model)',
    );
  });

  it('starting and reconnecting lead the text, with why in the tooltip', () => {
    const starting = statusBarView({ totals, demo: false, server: { state: 'starting' } });
    expect(starting.text).toMatch(/^\$\(sync~spin\) agent server starting… · 3 running/);
    expect(starting.tooltip).toContain('queued runs wait for it');
    const again = statusBarView({ totals, demo: false, server: { state: 'reconnecting', detail: 'the event stream of http://127.0.0.1:4096 dropped' } });
    expect(again.text).toMatch(/^\$\(sync~spin\) agent server reconnecting…/);
    expect(again.tooltip).toContain('the event stream of http://127.0.0.1:4096 dropped');
    expect(again.warning).toBe(false);
  });

  it('down: a warning, the reason, and a click that restarts the server', () => {
    const v = statusBarView({ totals, demo: false, server: { state: 'down', detail: 'opencode exited with code 1' } });
    expect(v.text).toMatch(/^\$\(warning\) agent server down · /);
    expect(v.tooltip).toContain('the agent server is down: opencode exited with code 1');
    expect(v.tooltip).toContain('Restart Agent Server');
    expect(v).toMatchObject({ warning: true, click: 'restart-server' });
  });
});
