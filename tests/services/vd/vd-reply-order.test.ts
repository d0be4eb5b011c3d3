/** The per-connection order of Vd answers (H.627.2 9.3.2.1.1) and its bound. */
import { describe, expect, it } from 'bun:test';
import { VD_REPLIES_PENDING_MAX, VdReplyOrder } from '../../../services/vd/vd-reply-order.ts';
import { VD_MESSAGE_BUDGET_DEFAULT } from '../../../services/vd/vd-budget.ts';

function socket() {
  const sent: string[] = [];
  return { sent, send: (t: string) => sent.push(t), close: () => {} };
}

describe('VdReplyOrder', () => {
  it('sends a ready answer at once when nothing is pending', () => {
    const s = socket();
    const r = new VdReplyOrder(s);
    r.send('a');
    expect(s.sent).toEqual(['a']);
    expect(r.waiting).toBe(0);
  });

  it('holds ready answers behind a pending one and releases them in order when it is filled', () => {
    const s = socket();
    const r = new VdReplyOrder(s);
    const first = r.reserve();
    r.send('2');
    const third = r.reserve();
    r.send('4');
    expect(s.sent).toEqual([]);
    r.fill(third, '3');
    expect(s.sent).toEqual([]);
    r.fill(first, '1');
    expect(s.sent).toEqual(['1', '2', '3', '4']);
    expect(r.waiting).toBe(0);
    r.send('5');
    expect(s.sent).toEqual(['1', '2', '3', '4', '5']);
  });

  it('stays within its bound when one answer is always pending', () => {
    const s = socket();
    const r = new VdReplyOrder(s);
    let pending = r.reserve();
    for (let i = 0; i < VD_REPLIES_PENDING_MAX * 4; i++) {
      const next = r.reserve();
      r.fill(pending, String(i));
      pending = next;
      expect(r.waiting).toBe(1);
    }
    expect(s.sent.length).toBe(VD_REPLIES_PENDING_MAX * 4);
    expect((r as unknown as { slots: unknown[] }).slots.length).toBeLessThanOrEqual(2 * VD_REPLIES_PENDING_MAX + 1);
  });

  it(`has no room once ${VD_REPLIES_PENDING_MAX} answers wait, and room again when they leave`, () => {
    const s = socket();
    const r = new VdReplyOrder(s);
    const head = r.reserve();
    for (let i = 1; i < VD_REPLIES_PENDING_MAX; i++) r.send(String(i));
    expect(r.waiting).toBe(VD_REPLIES_PENDING_MAX);
    expect(r.hasRoom).toBe(false);
    r.fill(head, '0');
    expect(s.sent.length).toBe(VD_REPLIES_PENDING_MAX);
    expect(r.hasRoom).toBe(true);
  });

  it('is above the message budget burst, so a device within its budget meets it only when the platform stalls', () => {
    expect(VD_REPLIES_PENDING_MAX).toBeGreaterThan(VD_MESSAGE_BUDGET_DEFAULT.burst);
  });

  it('sends nothing once closed, even an answer that was pending', () => {
    const s = socket();
    const r = new VdReplyOrder(s);
    const slot = r.reserve();
    r.close();
    r.fill(slot, 'late');
    r.send('later');
    expect(s.sent).toEqual([]);
  });
});
