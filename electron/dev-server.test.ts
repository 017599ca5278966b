import { describe, expect, it } from 'vitest';
import { devServerOrigin, isDevServerFrame } from './dev-server.js';

describe('the dev server the window may load from (npm run dev)', () => {
  it('is honoured only unpackaged, for loopback http', () => {
    expect(devServerOrigin('http://127.0.0.1:5173/', false)).toBe('http://127.0.0.1:5173');
    expect(devServerOrigin('http://localhost:5173', false)).toBe('http://localhost:5173');
    expect(devServerOrigin('http://127.0.0.1:5173/', true)).toBeNull();
    expect(devServerOrigin(undefined, false)).toBeNull();
    for (const url of ['https://127.0.0.1:5173/', 'http://evil.example:5173/', 'http://user:pw@127.0.0.1:5173/', 'file:///x', 'not a url']) {
      expect(devServerOrigin(url, false), url).toBeNull();
    }
  });

  it('trusts frames on that origin only', () => {
    expect(isDevServerFrame('http://127.0.0.1:5173/index.html', 'http://127.0.0.1:5173')).toBe(true);
    expect(isDevServerFrame('http://127.0.0.1:5174/', 'http://127.0.0.1:5173')).toBe(false);
    expect(isDevServerFrame(null, 'http://127.0.0.1:5173')).toBe(false);
  });
});
