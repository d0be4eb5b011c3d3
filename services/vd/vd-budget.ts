/**
 * Fair share on Vd (issue #19, "Fair share"): each device has a budget of messages, and tighter ones for what costs
 * the platform stored rows (alarms) or guesses (Bind codes). Budgets belong to the device, not to one connection, so
 * reconnecting does not refill them. Over budget a request gets `err` ERR_OVER_BUDGET; a device that keeps going is
 * closed with a policy code (RFC 6455 1008).
 *
 * Sized for real cameras (docs/security.md): a camera sends a Keepalive every 10 s (H.627.2 I.2.2), GetServerInfo
 * and Bind once per login, alarms in start/end pairs a few seconds apart; an NVR reports per channel. The message
 * budget is a hundred times a camera's steady rate and lets an NVR announce a burst of 100 channel events at once.
 */
import { KeyedBuckets, type Budget } from '../../lib/token-bucket.ts';

/** Default message budget of a device: sustained rate and burst (platform's choice; VD_MESSAGES_PER_S, VD_MESSAGE_BURST). */
export const VD_MESSAGE_BUDGET_DEFAULT: Budget = { ratePerS: 10, burst: 100 };
/**
 * Alarms recorded per device: one a second sustained, 60 at once (an NVR's channels all starting, or a camera's
 * start/end pairs for a minute of motion). Each costs an alarm row, a history row and a picture grant.
 */
export const VD_ALARM_BUDGET: Budget = { ratePerS: 1, burst: 60 };
/**
 * Alarm pictures per device: 20 at once, then one every 30 s (platform's choice). An alarm past it is recorded
 * without a picture URL; each picture may be PICTURE_MAX_BYTES, and pictures are what fills a disk.
 */
export const VD_PICTURE_BUDGET: Budget = { ratePerS: 1 / 30, burst: 20 };
/** Bind attempts per device: five at once, then one a minute (bind codes are 8 characters of 31: no guessing). */
export const VD_BIND_BUDGET: Budget = { ratePerS: 1 / 60, burst: 5 };
/**
 * Successful logins per device: 20 at once, then one every 6 s (a device closed for a policy reason that reconnects
 * at once, in a loop, would otherwise cost two history rows per turn). Only logins whose credentials were right
 * count, so nobody else can use up a device's logins.
 */
export const VD_LOGIN_BUDGET: Budget = { ratePerS: 1 / 6, burst: 20 };
/** Frames refused in a row, over the message budget, after which the connection is closed (platform's choice). */
export const VD_OVERRUNS_TO_CLOSE = 50;
/** Vd `err.code` of a request refused for being over budget: in Table 9-1's 400–499 range, HTTP's Too Many Requests. */
export const ERR_OVER_BUDGET = 429;

/** The per-device budgets of Vd. */
export class VdBudgets {
  readonly messages: KeyedBuckets;
  readonly alarms = new KeyedBuckets(VD_ALARM_BUDGET);
  readonly binds = new KeyedBuckets(VD_BIND_BUDGET);
  readonly pictures = new KeyedBuckets(VD_PICTURE_BUDGET);
  readonly logins = new KeyedBuckets(VD_LOGIN_BUDGET);

  constructor(messageBudget: Budget = VD_MESSAGE_BUDGET_DEFAULT) {
    this.messages = new KeyedBuckets(messageBudget);
  }
}
