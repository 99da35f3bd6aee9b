// The values of the enumerated settings, for the settings table (settings.ts)
// and their schema (settings-schema.ts, which loads valibot only when needed).
export const CONTAINER_LOG_LEVELS = ['trace', 'debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'fatal'] as const;
export const LOG_TIMESTAMPS = ['lxc', 'rfc3339'] as const;
