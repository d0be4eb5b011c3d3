/** The platform's configuration from the environment, with the defaults the layers above lib/ own. */
import { type Config, type ConfigDefaults, parseConfig } from '../lib/config.ts';
import { HB_INTERVAL_DEFAULT_S } from '../protocol/constants.ts';
import { HIBERNATION_OFFLINE_AFTER_S } from '../protocol/hibernation.ts';
import { DEFAULT_LINGER_MS } from '../actors/machines/stream.machine.ts';
import { VD_MESSAGE_BUDGET_DEFAULT } from '../services/vd/vd-budget.ts';
import { LISTENER_DORMANT_AFTER_MS } from '../media/mdu/constants.ts';

/** What an unset variable means: the spec's heartbeat, the stream machine's linger, OVC's hibernation offline time, the Vd message budget, the MDU's dormant listener. */
export const CONFIG_DEFAULTS: ConfigDefaults = {
  hbIntervalS: HB_INTERVAL_DEFAULT_S,
  liveLingerMs: DEFAULT_LINGER_MS,
  hibernationOfflineS: HIBERNATION_OFFLINE_AFTER_S,
  vdMessageBudget: VD_MESSAGE_BUDGET_DEFAULT,
  srtListenerDormantMs: LISTENER_DORMANT_AFTER_MS,
};

/** Read the configuration from `env` (the process's by default); throws ConfigError naming the bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parseConfig(env, CONFIG_DEFAULTS);
}
