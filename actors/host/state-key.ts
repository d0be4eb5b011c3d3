/** Flatten an XState state value to a dotted key: `online`, `upgrading.polling`, `a.x,b.y` (parallel). */
export function stateKeyOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      const sub = stateKeyOf(v);
      return sub ? `${k}.${sub}` : k;
    });
    return parts.join(',');
  }
  return '';
}
