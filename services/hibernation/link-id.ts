/**
 * Hibernation link ids. A link's id is a number (kept inline in the maps that hold it: no string per sleeping camera,
 * docs/benchmarks.md, hibernation); the pu's context holds it as text in {@link LINK_ID_RADIX}.
 */
import { randomInt } from 'node:crypto';

/** Link ids are numbers written in this radix (the pu's context holds the text). */
export const LINK_ID_RADIX = 36;
/**
 * Where a link server's numbers start: at random below 2^48 (randomInt's bound), then one up per link, so that two
 * nodes or two runs of one node hand out the same id to one device's links with a negligible chance (a pu compares
 * the link id of a close with the one it sleeps on).
 */
const LINK_NUMBER_START_MAX = 2 ** 48 - 1;
let nextLinkNumber = randomInt(LINK_NUMBER_START_MAX);

/** A new link's number (unique in this thread; see LINK_NUMBER_START_MAX). */
export function newLinkNumber(): number {
  return nextLinkNumber++;
}

/** A link number as the pu records it. */
export function linkText(linkNo: number): string {
  return linkNo.toString(LINK_ID_RADIX);
}

/**
 * A link id as the maps hold it: the number a link id of this format stands for (kept inline in a map: no string per
 * sleeping camera), else the text itself (a link id from elsewhere).
 * @example linkKey(linkText(42)) // 42
 */
export function linkKey(linkId: string): number | string {
  const n = parseInt(linkId, LINK_ID_RADIX);
  return Number.isSafeInteger(n) && linkText(n) === linkId ? n : linkId;
}
