// Keyboard shortcuts for the original dialog's three buttons. Alt+Shift
// plus a letter: browsers and Electron's menus keep Ctrl+letter and Alt+letter
// for themselves. Matched by physical key (event.code), so keyboard layouts
// and the characters Alt produces on macOS do not matter.

export type ShortcutAction = 'allocate' | 'fill' | 'release';

export const SHORTCUTS: Record<ShortcutAction, { code: string; label: string }> = {
  allocate: { code: 'KeyA', label: 'Alt+Shift+A' },
  fill: { code: 'KeyF', label: 'Alt+Shift+F' },
  release: { code: 'KeyR', label: 'Alt+Shift+R' },
};

type KeyLike = Pick<KeyboardEvent, 'code' | 'altKey' | 'shiftKey' | 'ctrlKey' | 'metaKey'>;

export function shortcutOf(event: KeyLike): ShortcutAction | null {
  if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return null;
  const found = (Object.keys(SHORTCUTS) as ShortcutAction[]).find((action) => SHORTCUTS[action].code === event.code);
  return found ?? null;
}

/** A button's title: its name and its shortcut. */
export const titleWithShortcut = (name: string, action: ShortcutAction): string => `${name} (${SHORTCUTS[action].label})`;
