// The one policy and its three users: they differ in connect-src only (and
// the <meta> copy leaves out frame-ancestors, which a meta tag cannot carry).
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../vite.config.js';
import { contentSecurityPolicy } from './content-security-policy.js';

const directives = (policy: string): Map<string, string> =>
  new Map(policy.split('; ').map((d) => [d.slice(0, d.indexOf(' ')), d.slice(d.indexOf(' ') + 1)]));

describe('the window\'s Content-Security-Policy', () => {
  it('allows no inline code, no plugins, no frames and only the given network', () => {
    const p = directives(contentSecurityPolicy({ connect: ["'none'"] }));
    expect(p.get('default-src')).toBe("'none'");
    expect(p.get('script-src')).toBe("'self'");
    expect(p.get('style-src')).toBe("'self'");
    expect(p.get('object-src')).toBe("'none'");
    expect(p.get('frame-ancestors')).toBe("'none'");
    expect(p.get('connect-src')).toBe("'none'");
    expect([...p.values()].join(' ')).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('is the same policy for the Vite build but for what a meta tag cannot carry', () => {
    const meta = directives(CONTENT_SECURITY_POLICY);
    const full = directives(contentSecurityPolicy({ connect: ["'self'"] }));
    expect(meta.has('frame-ancestors')).toBe(false);
    full.delete('frame-ancestors');
    expect(meta).toEqual(full);
  });

  it('allows inline scripts only for the dev server, and says so explicitly', () => {
    expect(contentSecurityPolicy({ connect: ["'self'"] })).not.toContain('unsafe-inline');
    expect(directives(contentSecurityPolicy({ connect: ["'self'"], devServer: true })).get('script-src')).toBe("'self' 'unsafe-inline'");
  });

  it('refuses an empty connect-src rather than writing a broken policy', () => {
    expect(() => contentSecurityPolicy({ connect: [] })).toThrow(/connect-src/);
  });
});
