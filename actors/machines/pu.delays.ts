/** The pu machine's timeouts of the platform's own choosing (the spec's heartbeat is in pu.heartbeat.ts). */

/** How long a rebooting device may stay away before it counts as offline (platform's choice). */
export const REBOOT_TIMEOUT_MS = 5 * 60_000;
/** How long a device told to reschedule may take to come back through Vs and Vd (platform's choice). */
export const RESCHEDULE_TIMEOUT_MS = 5 * 60_000;
/** Longest firmware upgrade, download and install and restart (platform's choice). */
export const UPGRADE_TIMEOUT_MS = 30 * 60_000;
/** How often QueryUpgrade is polled while upgrading (platform's choice). */
export const UPGRADE_POLL_INTERVAL_MS = 2_000;
/** The upgrade poll timer's id. */
export const UPGRADE_POLL_TIMER = 'upgrade.poll';
