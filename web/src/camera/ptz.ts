/**
 * The PTZ pad (CtrlPTZ, I.2.17): press and hold a direction to move at the chosen speed, release
 * to stop; with "single steps" each press moves one step. Keyboard: Enter or Space on a button
 * acts like pressing it. Presets from GetPTZPresetList, with go to, set and clear.
 */
import { PTZ_PRESET_MAX, PTZ_PRESET_MIN, PTZ_SPEED_DEFAULT, PTZ_SPEED_MAX, PTZ_SPEED_MIN } from '../../../protocol/constants.ts';
import { rpc } from '../api.ts';
import { act, statusLine } from '../action.ts';
import { field, h, replace } from '../dom.ts';

/** Pad layout: direction op, label, arrow. */
const PAD: Array<[string, string, string] | null> = [
  ['upleft', 'Up and left', '↖'],
  ['up', 'Up', '↑'],
  ['upright', 'Up and right', '↗'],
  ['left', 'Left', '←'],
  null,
  ['right', 'Right', '→'],
  ['downleft', 'Down and left', '↙'],
  ['down', 'Down', '↓'],
  ['downright', 'Down and right', '↘'],
];

/** Mount the pad and the presets into `root` for a device, on the channel `channel()` names. */
export function mountPtz(root: HTMLElement, deviceId: string, channel: () => number): void {
  const status = statusLine();
  const speed = h('input', { type: 'range', min: PTZ_SPEED_MIN, max: PTZ_SPEED_MAX, value: PTZ_SPEED_DEFAULT, name: 'speed' });
  const speedOut = h('output', {}, String(PTZ_SPEED_DEFAULT));
  speed.addEventListener('input', () => (speedOut.textContent = speed.value));
  const stepMode = h('input', { type: 'checkbox', name: 'step' });
  // One message after the other: a quick press must never let its stop overtake its move.
  let queue: Promise<unknown> = Promise.resolve();
  const send = (op: string, value?: number) =>
    (queue = queue.then(() =>
      act(null, status, () => rpc(deviceId, 'CtrlPTZ', { channel: channel(), op, ...(value !== undefined ? { value } : {}) }, 'event'), {
        waiting: `Sending ${op}…`,
        done: op === 'stop' ? 'Stopped.' : `Sent ${op}.`,
      }),
    ));
  let moving = false;
  const press = (op: string) => {
    if (stepMode.checked) return void send(`${op}_step`, Number(speed.value));
    moving = true;
    void send(op, Number(speed.value));
  };
  const release = () => {
    if (!moving) return;
    moving = false;
    void send('stop');
  };
  const button = (op: string, label: string, glyph: string) => {
    const b = h('button', { type: 'button', class: 'pad-btn', 'aria-label': label, 'data-op': op, title: label }, glyph);
    b.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      b.setPointerCapture?.(e.pointerId);
      press(op);
    });
    b.addEventListener('pointerup', release);
    b.addEventListener('pointercancel', release);
    b.addEventListener('keydown', (e) => {
      if ((e.key === 'Enter' || e.key === ' ') && !e.repeat) {
        e.preventDefault();
        press(op);
      }
    });
    b.addEventListener('keyup', (e) => {
      if (e.key === 'Enter' || e.key === ' ') release();
    });
    b.addEventListener('blur', release);
    return b;
  };
  const pad = h(
    'div',
    { class: 'pad', role: 'group', 'aria-label': 'Pan and tilt' },
    ...PAD.map((p) => (p ? button(...p) : h('span', { class: 'pad-center', 'aria-hidden': 'true' }, '●'))),
  );
  const zoom = h('div', { class: 'row', role: 'group', 'aria-label': 'Zoom' }, button('zoomin', 'Zoom in', '+'), button('zoomout', 'Zoom out', '−'));

  const presetList = h('ul', { class: 'presets', 'aria-label': 'Presets' });
  const presetStatus = statusLine();
  const presetId = h('input', { type: 'number', min: PTZ_PRESET_MIN, max: PTZ_PRESET_MAX, value: 1, name: 'preset', inputmode: 'numeric' });
  const load = async (button: HTMLButtonElement | null) => {
    const r = await act(button, presetStatus, () => rpc<{ presetList: Array<{ ptzId: number }> }>(deviceId, 'GetPTZPresetList', { channel: channel() }), {
      waiting: 'Reading presets…',
      done: (v) => `${v.resp?.presetList.length ?? 0} presets.`,
    });
    if (!r) return;
    replace(
      presetList,
      ...(r.resp?.presetList ?? []).map(({ ptzId }) =>
        h(
          'li',
          {},
          h('span', {}, `Preset ${ptzId}`),
          h('button', { type: 'button', onclick: () => void presetOp('goto_preset', ptzId) }, 'Go to'),
          h('button', { type: 'button', class: 'danger-text', onclick: () => void presetOp('clear_preset', ptzId) }, 'Clear'),
        ),
      ),
    );
  };
  const presetOp = async (op: string, id: number) => {
    const ok = await act(null, presetStatus, () => rpc(deviceId, 'CtrlPTZ', { channel: channel(), op, value: id }, 'event'), {
      waiting: `${op.replace('_', ' ')} ${id}…`,
      done: `${op.replace('_preset', '')} preset ${id}: sent.`,
    });
    if (ok && op !== 'goto_preset') await load(null);
  };
  const refresh = h('button', { type: 'button' }, 'Read presets');
  refresh.addEventListener('click', () => void load(refresh));
  const setBtn = h('button', { type: 'button' }, 'Set preset here');
  setBtn.addEventListener('click', () => void presetOp('set_preset', Number(presetId.value)));

  root.append(
    h(
      'div',
      { class: 'ptz' },
      pad,
      h('div', { class: 'ptz-side' }, zoom, field('Speed', speed), speedOut, h('label', { class: 'check' }, stepMode, ' Single steps')),
    ),
    status,
    h('h3', {}, 'Presets'),
    h('div', { class: 'row' }, refresh, field('Preset number', presetId), setBtn),
    presetStatus,
    presetList,
  );
}
