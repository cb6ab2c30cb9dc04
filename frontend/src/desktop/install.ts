// Package desktop/install: side-effect entry imported by main.ts, evaluated before the page boots.
// The desktop pet window's start page carries <meta name="neko-window-mode" content="pet"> (the
// window's URL cannot): it becomes ?mode=pet, which the page reads. Then the companion page
// follows the desktop tray's switches (see controls.ts); in a plain browser the route answers the
// server's state too, so the page shows what the desktop app set.

import { installDesktopControls } from './controls';

/** petURL is the URL to show for the pet window, or null when nothing changes. */
export function petURL(mode: string | null | undefined, loc: { pathname: string; search: string; hash: string }): string | null {
  if (mode !== 'pet') return null;
  const params = new URLSearchParams(loc.search);
  if (params.has('mode')) return null;
  params.set('mode', 'pet');
  return `${loc.pathname}?${params.toString()}${loc.hash}`;
}

if (typeof window !== 'undefined') {
  const mode = document.querySelector('meta[name="neko-window-mode"]')?.getAttribute('content');
  const url = petURL(mode, location);
  if (url) history.replaceState(history.state, '', url);
  installDesktopControls();
}
