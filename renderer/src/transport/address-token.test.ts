import { describe, expect, it } from 'vitest';
import { addressWithoutToken, dropTokenFromAddress } from './address-token.js';

describe('dropping the token from the address bar', () => {
  it('removes only the token and keeps the rest of the address', () => {
    expect(addressWithoutToken('http://127.0.0.1:5199/?token=abc')).toBe('/');
    expect(addressWithoutToken('http://127.0.0.1:5199/index.html?x=1&token=abc#v')).toBe('/index.html?x=1#v');
  });

  it('leaves an address without a token alone', () => {
    const calls: string[] = [];
    dropTokenFromAddress('http://127.0.0.1:5199/', (_d, _u, url) => calls.push(url));
    expect(calls).toEqual([]);
    dropTokenFromAddress('http://127.0.0.1:5199/?token=abc', (_d, _u, url) => calls.push(url));
    expect(calls).toEqual(['/']);
  });
});
