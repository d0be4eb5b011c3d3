/**
 * The scheduled reconciliation (issue 24, point 5; docs/recording.md, "Storage"): every
 * `RECORDING_RECONCILE_S` a run goes on through the devices that ever recorded, one bounded page of
 * objects and of index rows after another (recording-reconcile.ts), until it has looked at
 * `RECORDING_RECONCILE_BUDGET` objects and rows; the next run continues where it stopped, and after
 * the last device starts over. Orphans are removed (`RECORDING_RECONCILE_REMOVE=1`, the default) or
 * only reported; missing objects are reported. The last run's report is kept for the admin API,
 * with at most {@link REPORT_ITEMS_MAX} items of each kind (the totals count them all).
 * The cursor lives in memory: a restart begins a new cycle (a pass only reads, and removes orphans).
 */
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import type { Logger } from '../../lib/log.ts';
import { type MissingObject, type Orphan, reconcile, RECONCILE_OBJECTS_DEFAULT, type ReconcileDeps } from './recording-reconcile.ts';

/** Items of each kind a run report keeps (orphans, missing objects, size mismatches, errors). */
export const REPORT_ITEMS_MAX = 100;

/** What the scheduled reconciliation does and how far one run goes. */
export interface ReconcilerSettings {
  intervalMs: number;
  budget: number;
  remove: boolean;
}

/** One run, as the admin API shows it. */
export interface ReconcileRun {
  started_at: string;
  finished_at: string;
  /** Devices whose pages this run looked at. */
  devices: number;
  /** Objects and index rows looked at. */
  scanned: number;
  rows_scanned: number;
  orphans: Array<Orphan & { device_id: string }>;
  orphans_total: number;
  removed: number;
  missing: Array<MissingObject & { device_id: string }>;
  missing_total: number;
  size_mismatches: Array<{ device_id: string; key: string; size: number; indexed: number }>;
  /** Devices the run could not reconcile (the store or the database failed), with the error. */
  errors: Array<{ device_id: string; error: string }>;
  /** The run reached the end of the device list (the next one starts over). */
  cycle_done: boolean;
}

/** Where the next run goes on: the device, and each part's cursor (undefined: not begun; null: done). */
interface Cursor {
  device: string;
  after: string | null | undefined;
  afterRow: string | null | undefined;
}

/** Runs the reconciliation on a timer, a budget at a time. */
export class Reconciler {
  /** The last finished run, or null before the first. */
  last: ReconcileRun | null = null;
  private cursor: Cursor | undefined;
  /** The device the cursor last moved to (the list is read in id order). */
  private lastDevice: string | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<ReconcileRun> | undefined;

  constructor(
    private deps: ReconcileDeps & { db: Db; log: Logger },
    readonly settings: ReconcilerSettings,
  ) {}

  /** Run every `intervalMs` (nothing when 0). */
  start(): void {
    if (this.settings.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.run().catch((err) => this.deps.log.error({ err: String(err) }, 'scheduled reconciliation failed'));
    }, this.settings.intervalMs);
  }

  /** Stop the timer and wait for a run in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One run now (a run already going is joined, not doubled). */
  run(): Promise<ReconcileRun> {
    this.running ??= this.runOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async runOnce(): Promise<ReconcileRun> {
    const r: ReconcileRun = {
      started_at: new Date().toISOString(),
      finished_at: '',
      devices: 0,
      scanned: 0,
      rows_scanned: 0,
      orphans: [],
      orphans_total: 0,
      removed: 0,
      missing: [],
      missing_total: 0,
      size_mismatches: [],
      errors: [],
      cycle_done: false,
    };
    let budget = this.settings.budget;
    let visited = '';
    while (budget > 0) {
      const c = this.cursor ?? (await this.nextDevice());
      if (!c) {
        r.cycle_done = true;
        break;
      }
      this.cursor = c;
      if (c.device !== visited) {
        r.devices++;
        visited = c.device;
      }
      const limit = Math.min(RECONCILE_OBJECTS_DEFAULT, budget);
      try {
        const p = await reconcile(this.deps, c.device, {
          remove: this.settings.remove,
          limit,
          ...(typeof c.after === 'string' ? { after: c.after } : {}),
          ...(typeof c.afterRow === 'string' ? { afterRow: c.afterRow } : {}),
        });
        const begun = c.after === undefined && c.afterRow === undefined;
        if (begun || typeof c.after === 'string') c.after = p.next;
        if (begun || typeof c.afterRow === 'string') c.afterRow = p.next_row;
        budget -= Math.max(1, p.scanned + p.rows_scanned);
        r.scanned += p.scanned;
        r.rows_scanned += p.rows_scanned;
        r.removed += p.removed;
        r.orphans_total += p.orphans.length;
        r.missing_total += p.missing.length;
        keep(r.orphans, p.orphans, c.device);
        keep(r.missing, p.missing, c.device);
        keep(r.size_mismatches, p.size_mismatches, c.device);
        for (const m of p.missing) this.deps.log.warn({ device_id: c.device, ...m }, 'a confirmed segment has no object in storage');
      } catch (err) {
        keep(r.errors, [{ error: String(err) }], c.device);
        c.after = c.afterRow = null; // on to the next device; the next cycle tries it again
        budget--;
      }
      if (c.after === null && c.afterRow === null) this.cursor = undefined;
    }
    r.finished_at = new Date().toISOString();
    this.last = r;
    if (r.orphans_total || r.missing_total || r.errors.length)
      this.deps.log.info({ ...r, orphans: undefined, missing: undefined, size_mismatches: undefined }, 'reconciliation run');
    return r;
  }

  /** The device after the current one that ever recorded (it has a record session), or undefined at the end of the list. */
  private async nextDevice(): Promise<Cursor | undefined> {
    const after = this.lastDevice ?? '';
    const rows = await this.deps.db.rows<{ device_id: string }>(
      sql`SELECT DISTINCT device_id FROM recording_sessions WHERE device_id > ${after} ORDER BY device_id LIMIT 1`,
    );
    const next = rows[0]?.device_id;
    this.lastDevice = next;
    return next === undefined ? undefined : { device: next, after: undefined, afterRow: undefined };
  }
}

/** Add items (with their device) to a bounded report list. */
function keep<T extends object>(list: Array<T & { device_id: string }>, items: T[], device: string): void {
  for (const i of items) if (list.length < REPORT_ITEMS_MAX) list.push({ device_id: device, ...i });
}
