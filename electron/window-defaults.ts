// The window's default content size. At this size the buttons, the Shared
// memory view, Status and the inspector are all on screen at once (the
// layout's widest arrangement starts at 1220 px); the browser tests check it
// at exactly this size. It fits a 1366x768 screen less the task bar only in
// height 720, so the window may be taller than the screen there: Electron
// then clamps it, and the layout still shows view and Status.
export const DEFAULT_WINDOW_SIZE = { width: 1280, height: 800 } as const;
/** Below this the layout drops to two columns, below 760 px to one. */
export const MIN_WINDOW_SIZE = { width: 640, height: 480 } as const;
