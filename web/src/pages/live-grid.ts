/**
 * The live grid (`/live`): every camera the person may see, one tile each with the live player of the camera page
 * (camera/live.ts). A tile starts its stream on demand: when it scrolls into view (at least half of it) and the camera
 * is online; it leaves the stream when it scrolls away, when the tab is hidden and when the page is left, so a
 * camera streams only while someone can see it. The tiles share one feed of the user's stream actors (browsers allow
 * six connections per origin: not one feed per camera) and one device feed for the cameras' states.
 */
import type { DeviceStatus } from '../../../services/devices/devices.ts';
import { api } from '../api.ts';
import { h, replace } from '../dom.ts';
import { openFeed, type TransitionFeedEvent } from '../feed.ts';
import type { Page } from '../page.ts';
import { createLive, type ListenToStreams, type LiveControl } from '../camera/live.ts';
import { connectionLostLine, refreshLost, stateBadge } from '../camera/status.ts';

/** Share of a tile that must be on screen for it to play (IntersectionObserver threshold). */
export const TILE_VISIBLE_FRACTION = 0.5;
/** How often the "offline in … s" texts are recounted (local clock only). */
const LOST_TICK_MS = 1_000;

interface Tile {
  device: DeviceStatus;
  el: HTMLElement;
  head: HTMLElement;
  live: LiveControl;
  visible: boolean;
}

/** Whether a tile may start on its own: the camera is online and connected (a sleeping one is woken only by a press). */
const playable = (d: DeviceStatus) => d.online && d.connected && !d.connection_lost;

export const liveGridPage: Page = (root) => {
  const grid = h('ul', { class: 'live-grid', 'aria-label': 'Live cameras' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No cameras yet. Add one on the Cameras page.');
  root.append(
    h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, 'Live')),
    h('p', { class: 'muted' }, 'Each camera plays while its tile is on screen, and stops when you scroll away or leave the page.'),
    grid,
    empty,
  );
  const tiles = new Map<string, Tile>();

  // One feed of the user's stream actors, fanned out to the tiles by device.
  const streamListeners = new Map<string, Set<(t: TransitionFeedEvent) => void>>();
  const closeStreams = openFeed(
    { topic: 'actors', type: 'stream', context: '1' },
    {
      transition: (t) => {
        for (const f of (t.deviceId && streamListeners.get(t.deviceId)) || []) f(t);
      },
    },
  );
  const listen: ListenToStreams = (deviceId, on) => {
    const set = streamListeners.get(deviceId) ?? new Set();
    streamListeners.set(deviceId, set);
    const f = (t: TransitionFeedEvent) => on.transition?.(t);
    set.add(f);
    return () => set.delete(f);
  };

  const pageShown = () => document.visibilityState === 'visible';
  const reconcile = (t: Tile, edge: boolean) => {
    const want = t.visible && pageShown() && playable(t.device);
    if (!want && t.live.running) t.live.stop();
    else if (want && edge && !t.live.running) t.live.start();
  };
  const observer = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        const t = tiles.get((e.target as HTMLElement).dataset.device ?? '');
        if (!t) continue;
        const visible = e.isIntersecting && e.intersectionRatio >= TILE_VISIBLE_FRACTION;
        if (visible === t.visible) continue;
        t.visible = visible;
        t.el.dataset.visible = String(visible);
        reconcile(t, true);
      }
    },
    { threshold: [0, TILE_VISIBLE_FRACTION] },
  );

  const drawHead = (t: Tile) =>
    replace(
      t.head,
      h('a', { href: `/cameras/${encodeURIComponent(t.device.device_id)}`, 'data-link': true, class: 'camera-name' }, t.device.device_id),
      stateBadge(t.device),
      connectionLostLine(t.device),
    );
  const add = (d: DeviceStatus) => {
    const head = h('div', { class: 'camera-head' });
    const player = h('div', { class: 'live-tile' });
    const el = h('li', { class: 'card tile', 'data-device': d.device_id, 'data-visible': 'false' }, head, player);
    const channel = d.channels[0] ?? 0;
    const t: Tile = {
      device: d,
      el,
      head,
      visible: false,
      live: createLive(player, { deviceId: d.device_id, channel: () => channel, onChannel: () => {} }, listen),
    };
    tiles.set(d.device_id, t);
    drawHead(t);
    return t;
  };
  const update = (d: DeviceStatus) => {
    const t = tiles.get(d.device_id);
    if (!t) {
      const nt = add(d);
      placeAll();
      observer.observe(nt.el);
      return;
    }
    const was = playable(t.device);
    t.device = d;
    drawHead(t);
    reconcile(t, !was && playable(d)); // back online while on screen: play again
  };
  const remove = (id: string) => {
    const t = tiles.get(id);
    if (!t) return;
    observer.unobserve(t.el);
    t.live.dispose();
    t.el.remove();
    tiles.delete(id);
    empty.hidden = tiles.size > 0;
  };
  const placeAll = () => {
    const sorted = [...tiles.values()].sort((a, b) => a.device.device_id.localeCompare(b.device.device_id));
    for (const t of sorted) grid.append(t.el); // appending moves: the order follows the names, the players stay
    empty.hidden = tiles.size > 0;
  };
  const load = async () => {
    const r = await api<{ devices: DeviceStatus[] }>('/api/devices');
    const ids = new Set(r.devices.map((d) => d.device_id));
    for (const id of [...tiles.keys()]) if (!ids.has(id)) remove(id);
    for (const d of r.devices) update(d);
    placeAll();
  };
  const closeDevices = openFeed({ topic: 'devices' }, { ready: () => void load().catch(() => {}), device: (d) => update(d), removed: (id) => remove(id) });
  const onVisibility = () => {
    for (const t of tiles.values()) reconcile(t, pageShown());
  };
  document.addEventListener('visibilitychange', onVisibility);
  const tick = setInterval(() => refreshLost(grid), LOST_TICK_MS);
  return () => {
    clearInterval(tick);
    document.removeEventListener('visibilitychange', onVisibility);
    observer.disconnect();
    closeDevices();
    closeStreams();
    for (const t of tiles.values()) t.live.dispose();
    tiles.clear();
  };
};
