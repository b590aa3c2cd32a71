import { describe, expect, it } from 'vitest';
import { ProgressReporter } from '../train/progress.js';
import { ProgressBar, type ProgressStream } from './train-progress.js';

/** A stream that records what is written; `isTTY` makes it look like a terminal to cli-progress. */
function fakeStream(isTTY: boolean): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  return {
    isTTY,
    columns: 120,
    write(chunk: string) {
      chunks.push(String(chunk));
      return true;
    },
    text: () => chunks.join(''),
  };
}

// cli-progress's escape sequences (cursor save/restore and moves, line clears, line wrapping).
const ESC = String.fromCharCode(27);
const plain = (s: string) => s.replace(new RegExp(`${ESC}(\\[[0-9;?]*[A-Za-z]|[78])`, 'g'), '');

function runEpochs(bar: ProgressBar, epochs: number, steps: number | undefined, stepsRun = 3) {
  const p = new ProgressReporter(bar.callback, { epochs });
  for (let e = 1; e <= epochs; e++) {
    p.startEpoch(e, steps);
    for (let s = 1; s <= stepsRun; s++) p.step(8, { loss: 1 / (e * s) });
    p.endEpoch({ 'train loss': 0.5 / e, 'test acc': 0.25 * e });
  }
}

describe('ProgressBar (Node terminal)', () => {
  it('draws a cli-progress bar per epoch with ETA, live metrics and examples/s on a terminal', () => {
    const stream = fakeStream(true);
    const bar = new ProgressBar({ stream, barSize: 10 });
    expect(bar.tty).toBe(true);
    runEpochs(bar, 2, 3);
    const out = plain(stream.text());
    // Each epoch's bar ends full, with the epoch's final metrics, on a line of its own.
    expect(out).toMatch(
      /epoch 1\/2 █{10} 3\/3 \[\d+s<0s\] train loss 0\.5 {2}test acc 0\.25 {2}[\d.]+ examples\/s\n/,
    );
    expect(out).toMatch(
      /epoch 2\/2 █{10} 3\/3 \[\d+s<0s\] train loss 0\.25 {2}test acc 0\.5 {2}[\d.]+ examples\/s\n/,
    );
    bar.stop(); // idempotent
  });

  it('shows a step counter when the number of steps is unknown', () => {
    const stream = fakeStream(true);
    runEpochs(new ProgressBar({ stream }), 1, undefined);
    expect(plain(stream.text())).toMatch(
      /epoch 1\/1 step 3 \[\d+s\] train loss 0\.5 {2}test acc 0\.25 {2}[\d.]+ examples\/s\n/,
    );
  });

  it('writes plain lines when the stream is not a terminal (CI)', () => {
    const stream = fakeStream(false);
    const bar = new ProgressBar({ stream, logEverySeconds: 0 });
    expect(bar.tty).toBe(false);
    runEpochs(bar, 2, 3);
    const lines = stream.text().trimEnd().split('\n');
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(
      /^epoch 1\/2 {2}train loss 0\.5 {2}test acc 0\.25 {2}[\d.]+ examples\/s {2}[\d.]+ s$/,
    );
    expect(stream.text()).not.toContain(ESC);
  });

  it('logs step lines at most every logEverySeconds in plain mode', async () => {
    const stream = fakeStream(false);
    const bar = new ProgressBar({ stream, logEverySeconds: 0.02 });
    const p = new ProgressReporter(bar.callback, { epochs: 1 });
    p.startEpoch(1, 3);
    p.step(1, { loss: 1 }); // too soon after the start: not logged
    await new Promise((r) => setTimeout(r, 30));
    p.step(1, { loss: 0.5 });
    p.step(1, { loss: 0.25 }); // too soon after the last line
    p.endEpoch({ loss: 0.5 });
    const lines = stream.text().trimEnd().split('\n');
    expect(lines.length).toBe(2);
    expect(lines[0]).toMatch(/^epoch 1\/1 step 2\/3 {2}loss 0\.5 /);
  });

  it('stop() ends a bar left open by a loop that threw', () => {
    const stream = fakeStream(true);
    const bar = new ProgressBar({ stream });
    const p = new ProgressReporter(bar.callback, { epochs: 1 });
    p.startEpoch(1, 10);
    p.step(4, { loss: 1 });
    bar.stop();
    expect(plain(stream.text())).toMatch(/epoch 1\/1 .* 1\/10 .*loss 1 .*\n$/);
    expect(() => new ProgressBar({ stream, logEverySeconds: -1 })).toThrow(
      'ProgressBar: options.logEverySeconds must be a number ≥ 0, got -1',
    );
  });
});
