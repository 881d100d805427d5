// The demo model at a pace (bench/scale.mjs): each step answered after the step delay, its tokens
// streamed at the rate, so the whole build takes the model's own time the bench's ideal is made of;
// and without a pace, the demo answers as it always did.
import * as http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DemoModel, demoModelTimeMs, demoScript } from '../../src/core/model/demo';
import { targetsFor } from '../support/specs';

let demo: DemoModel | undefined;
afterEach(async () => {
  await demo?.close();
  demo = undefined;
});

/** One chat request as opencode sends it at `step` (that many assistant messages after the prompt): ms taken, and when each chunk came. */
function ask(url: string, sessionId: string, step: number): Promise<{ ms: number; chunkAt: number[]; body: string }> {
  const messages = [{ role: 'user', content: 'build it' }, ...Array.from({ length: step }, () => ({ role: 'assistant', content: 'ok' }))];
  const payload = JSON.stringify({ model: 'scripted', stream: true, messages, tools: [{ type: 'function', function: { name: 'read' } }] });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}/chat/completions`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'x-session-id': sessionId } },
      (res) => {
        const chunkAt: number[] = [];
        let body = '';
        res.on('data', (d: Buffer) => {
          chunkAt.push(performance.now() - t0);
          body += d.toString();
        });
        res.on('end', () => resolve({ ms: performance.now() - t0, chunkAt, body }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('DemoModel pace (issue 15, item 1)', () => {
  const [target] = targetsFor('google-calendar', ['create-event']);
  const it_ = target!.interaction;

  it('takes the model time the bench counts: each step after its delay, text streamed over the step', async () => {
    demo = new DemoModel();
    const url = await demo.start();
    const pace = { stepDelayMs: 40, tokensPerSecond: 2000 };
    demo.setPace(pace);
    demo.assign('ses_paced', it_);
    const steps = demoScript(it_).length;
    let total = 0;
    for (let step = 0; step < steps; step++) {
      const got = await ask(url, 'ses_paced', step);
      total += got.ms;
      // The first byte waits for the step's delay; the rest streams (several chunks, spread out).
      expect(got.chunkAt[0]).toBeGreaterThanOrEqual(pace.stepDelayMs - 5);
      expect(got.body).toContain('[DONE]');
    }
    const expected = demoModelTimeMs(it_, pace);
    expect(expected).toBeGreaterThan(steps * pace.stepDelayMs);
    // At least the model's own time (how much longer is the machine's load: the bench measures that, not a test).
    expect(total).toBeGreaterThanOrEqual(expected * 0.95);
  });

  it('streams text at the rate: a step of text-only output spreads its chunks over its token time', async () => {
    demo = new DemoModel();
    const url = await demo.start();
    demo.setPace({ stepDelayMs: 0, tokensPerSecond: 200 }); // a 24-character chunk (6 tokens) every 30 ms
    demo.assign('ses_text', it_);
    const last = demoScript(it_).length - 1; // the final report: text only
    const got = await ask(url, 'ses_text', last);
    const span = (got.chunkAt.at(-1) ?? 0) - (got.chunkAt[0] ?? 0);
    expect(got.chunkAt.length).toBeGreaterThan(3);
    expect(span).toBeGreaterThan(200);
  });

  it('answers at once without a pace, as the demo always did', async () => {
    demo = new DemoModel();
    const url = await demo.start();
    demo.assign('ses_plain', it_);
    const got = await ask(url, 'ses_plain', 0);
    expect(got.body).toContain('[DONE]');
    // Far from a paced step's time (2 s before its first byte), on any machine.
    expect(got.ms).toBeLessThan(demoModelTimeMs(it_, { stepDelayMs: 2000, tokensPerSecond: 50 }));
  });
});
