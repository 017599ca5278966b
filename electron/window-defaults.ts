// The window's default content size. At this size the buttons, the Shared
// memory view, Status and the inspector are all on screen at once (the
// layout's three-column arrangement starts at 1220 px); e2e/web/layout.spec.ts
// checks exactly this size in Chromium. Smaller screens get the two- or
// one-column layout once the window is resized.
export const DEFAULT_WINDOW_SIZE = { width: 1280, height: 800 } as const;
/** Below 1220 px the layout drops to two columns, below 760 px to one. */
export const MIN_WINDOW_SIZE = { width: 640, height: 480 } as const;
