/** Where a finished device upload is recorded: its snapshot, alarm or log row (and the consoles, for an alarm's picture). */
import { rmSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import { alarms, deviceLogs, snapshots } from '../../db/schema.ts';
import type { Db } from '../../db/client.ts';
import { isUnder } from '../../lib/safe-path.ts';
import type { EventFeed } from '../console/event-feed.ts';
import type { Grant } from './uploads.ts';

/** What recording an upload uses. */
export interface StoredDeps {
  db: Db;
  feed: Pick<EventFeed, 'alarmPicture'>;
}

/** The `onStored` of {@link Uploads}: record a finished device upload where it belongs. */
export function recordUpload({ db, feed }: StoredDeps) {
  return async (g: Grant, file: string, size: number, root: string): Promise<void> => {
    const { orm } = db;
    if (g.kind === 'snapshot') await orm.update(snapshots).set({ file, size }).where(eq(snapshots.id, g.ref));
    else if (g.kind === 'alarm') {
      await orm.update(alarms).set({ picture: file }).where(eq(alarms.id, g.ref));
      feed.alarmPicture(g.deviceId, g.ref); // the consoles showing its alarm load it
    } else if (g.kind === 'log') {
      // A log uploaded again (LogUploadAsync repeated with its trans_id) replaces the earlier file.
      const where = and(eq(deviceLogs.deviceId, g.deviceId), eq(deviceLogs.transId, g.ref));
      const [before] = await orm.select({ file: deviceLogs.file }).from(deviceLogs).where(where);
      await orm.update(deviceLogs).set({ file, size }).where(where);
      if (before?.file && before.file !== file && isUnder(root, before.file)) rmSync(before.file, { force: true });
    }
  };
}
