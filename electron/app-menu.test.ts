import { describe, expect, it } from 'vitest';
import { appMenuTemplate, menuRoles } from './app-menu.js';

const DEVELOPER_ROLES = ['reload', 'forceReload', 'toggleDevTools'];

describe('the application menu', () => {
  it.each(['linux', 'win32', 'darwin'] as const)('has no Reload or DevTools in a released app on %s', (platform) => {
    const roles = menuRoles(appMenuTemplate({ platform, development: false }));
    for (const role of DEVELOPER_ROLES) expect(roles).not.toContain(role);
    expect(roles).toContain('copy');
    expect(roles).toContain(platform === 'darwin' ? 'close' : 'quit');
  });

  it('adds them for npm run dev only', () => {
    expect(menuRoles(appMenuTemplate({ platform: 'linux', development: true }))).toEqual(expect.arrayContaining(DEVELOPER_ROLES));
  });
});
