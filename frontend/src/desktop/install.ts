// Package desktop/install: side-effect entry imported by main.ts — the companion page follows the
// desktop tray's switches (see controls.ts). In a plain browser the route answers the server's
// state too, so the page shows what the desktop app set.

import { installDesktopControls } from './controls';

if (typeof window !== 'undefined') installDesktopControls();
