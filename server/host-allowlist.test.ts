// Which Host headers browser mode answers (the DNS-rebinding defence).
import { describe, expect, it } from 'vitest';
import { allowedHosts, hostAllowed, normaliseHost } from './host-allowlist.js';

describe('the Host allowlist', () => {
  const loopback = allowedHosts({ bindHost: '127.0.0.1', port: 5199 });

  it('allows the loopback names on the server\'s own port', () => {
    for (const host of ['127.0.0.1:5199', 'localhost:5199', 'LOCALHOST:5199', '[::1]:5199']) {
      expect(hostAllowed(host, loopback), host).toBe(true);
    }
  });

  it('refuses a rebinding name, another port, a missing port and junk', () => {
    for (const host of [
      'evil.example:5199',
      'evil.example',
      '127.0.0.1:5200',
      '127.0.0.1',
      'localhost',
      '127.0.0.1.evil.example:5199',
      'localhost:5199@evil.example',
      '',
      ' ',
      'localhost:5199/x',
    ]) {
      expect(hostAllowed(host, loopback), host).toBe(false);
    }
    expect(hostAllowed(undefined, loopback)).toBe(false);
  });

  it('adds the --host given, IPv6 in brackets', () => {
    expect(hostAllowed('myhost.lan:8080', allowedHosts({ bindHost: 'myhost.lan', port: 8080 }))).toBe(true);
    expect(hostAllowed('[fd00::5]:8080', allowedHosts({ bindHost: 'fd00::5', port: 8080 }))).toBe(true);
    expect(hostAllowed('0.0.0.0:8080', allowedHosts({ bindHost: '0.0.0.0', port: 8080 }))).toBe(true);
    expect(hostAllowed('10.0.2.15:8080', allowedHosts({ bindHost: '0.0.0.0', port: 8080 }))).toBe(false);
  });

  it('adds the names of a port forward, and refuses a malformed one', () => {
    const forwarded = allowedHosts({ bindHost: '0.0.0.0', port: 8080, extra: ['127.0.0.1:41234'] });
    expect(hostAllowed('127.0.0.1:41234', forwarded)).toBe(true);
    expect(hostAllowed('127.0.0.1:41235', forwarded)).toBe(false);
    expect(() => allowedHosts({ bindHost: '0.0.0.0', port: 8080, extra: ['127.0.0.1'] })).toThrow('--allow-host must be host:port, not "127.0.0.1"');
    expect(() => allowedHosts({ bindHost: '0.0.0.0', port: 8080, extra: ['http://x:1'] })).toThrow('--allow-host');
  });

  it('normalises case and refuses userinfo, paths and spaces', () => {
    expect(normaliseHost('LocalHost:1')).toBe('localhost:1');
    expect(normaliseHost('a b:1')).toBeNull();
    expect(normaliseHost('user@host:1')).toBeNull();
  });
});
