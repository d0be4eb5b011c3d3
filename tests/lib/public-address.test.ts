/** Webhooks go to the public internet only (lib/public-address.ts): which addresses and names count as inside. */
import { describe, expect, it } from 'bun:test';
import { isPublicAddress, notPublicReason } from '../../lib/public-address.ts';

describe('public addresses', () => {
  it('tells public from loopback, private, link-local, shared, reserved and multicast, v4, v6 and mapped', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPublicAddress(ip)).toBe(true);
    const inside = ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255'];
    for (const ip of [...inside, '::1', '::', 'fd00::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip'])
      expect(isPublicAddress(ip)).toBe(false);
  });

  it('names why a URL is refused: an inside literal, a name resolving inside, a name that does not resolve', async () => {
    expect(await notPublicReason('https://8.8.8.8/hook')).toBeNull();
    expect(await notPublicReason('https://127.0.0.1:8443/hook')).toBe('127.0.0.1 is not a public internet address');
    expect(await notPublicReason('https://[::1]/hook')).toBe('::1 is not a public internet address');
    expect(await notPublicReason('https://localhost/hook')).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), not a public internet address$/);
    expect(await notPublicReason('https://no-such-host.invalid/hook')).toMatch(/^no-such-host\.invalid does not resolve/);
  });
});
