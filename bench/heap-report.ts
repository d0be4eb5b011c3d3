/**
 * A diagnostic the hibernation bench preloads into the platform (`bun --preload`): on SIGUSR2 it runs a full garbage
 * collection and writes the process's memory to the file HEAP_REPORT_FILE names, as JSON: RSS after the collection,
 * the JavaScript heap's live size and its capacity, and the memory JavaScript objects hold outside it (PGlite's
 * WebAssembly memory, buffers). So a bench can tell live state from what the allocators kept of earlier work.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { heapStats } from 'bun:jsc';

/** The signal that asks for a report. */
export const HEAP_REPORT_SIGNAL = 'SIGUSR2';

/** What a report holds, bytes. */
export interface HeapReport {
  rss: number;
  heapSize: number;
  heapCapacity: number;
  extraMemory: number;
  /** Live objects by type after the collection (JavaScriptCore's counts): what grew with the cameras. */
  objectTypeCounts?: Record<string, number>;
}

const file = process.env.HEAP_REPORT_FILE;
if (file) {
  process.on(HEAP_REPORT_SIGNAL, () => {
    Bun.gc(true);
    const h = heapStats();
    const report: HeapReport = {
      rss: process.memoryUsage().rss,
      heapSize: h.heapSize,
      heapCapacity: h.heapCapacity,
      extraMemory: h.extraMemorySize,
      objectTypeCounts: h.objectTypeCounts,
    };
    writeFileSync(file, JSON.stringify(report));
    // Where the resident memory is, mapping by mapping (a diagnostic to read by hand: which allocator holds it).
    const smapsDir = process.env.HEAP_REPORT_SMAPS;
    if (smapsDir) writeFileSync(join(smapsDir, `${basename(file)}.${Date.now()}.smaps`), readFileSync('/proc/self/smaps', 'utf8'));
  });
}
