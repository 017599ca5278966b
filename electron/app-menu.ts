// The application menu. A released app has no View menu with Reload or
// DevTools: a reload would drop the window's picture of the allocation, and
// DevTools would hand anyone at the keyboard a console inside the page.
// `npm run dev` (not packaged) adds them back for development.
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuOptions {
  platform: NodeJS.Platform;
  /** True only for an unpackaged app started by `npm run dev`. */
  development: boolean;
}

export function appMenuTemplate({ platform, development }: MenuOptions): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const menu: MenuItemConstructorOptions[] = [
    ...(mac ? [{ role: 'appMenu' } as const] : []),
    { label: 'File', submenu: [mac ? { role: 'close' } : { role: 'quit' }] },
    {
      label: 'Edit',
      submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
    },
    { label: 'Window', submenu: [{ role: 'minimize' }, { role: 'zoom' }, ...(mac ? [] : [{ role: 'close' } as const])] },
  ];
  if (development) {
    menu.push({ label: 'Develop', submenu: [{ role: 'reload' }, { role: 'forceReload' }, { role: 'toggleDevTools' }] });
  }
  return menu;
}

/** Every role anywhere in a template (for the tests, and for a check at start). */
export function menuRoles(template: MenuItemConstructorOptions[]): string[] {
  return template.flatMap((item) => [
    ...(item.role ? [item.role] : []),
    ...(Array.isArray(item.submenu) ? menuRoles(item.submenu) : []),
  ]);
}
