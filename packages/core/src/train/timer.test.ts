import { describe, expect, it } from 'vitest';
import { Timer } from './timer.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Timer (d2l)', () => {
  it('keeps the times between start and stop, in seconds', async () => {
    const t = new Timer();
    await sleep(20);
    const first = t.stop();
    expect(first).toBeGreaterThanOrEqual(0.015);
    expect(first).toBeLessThan(1);
    expect(t.elapsed()).toBe(0);
    t.start();
    await sleep(10);
    expect(t.elapsed()).toBeGreaterThan(0);
    const second = t.stop();
    expect(t.laps).toEqual([first, second]);
    expect(t.sum()).toBeCloseTo(first + second, 12);
    expect(t.avg()).toBeCloseTo((first + second) / 2, 12);
    expect(t.cumsum()).toEqual([first, first + second]);
  });

  it('refuses a stop without a start', () => {
    const t = new Timer();
    t.stop();
    expect(() => t.stop()).toThrow('Timer.stop: the timer is not running');
    expect(new Timer().avg()).toBeNaN();
  });
});
