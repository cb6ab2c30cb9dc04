// Package desktop/drag: the pet window's drag handle moves the desktop window. The Wails runtime
// starts a window drag on mousedown over an element whose --wails-draggable is "drag" (WebKitGTK
// ignores -webkit-app-region). On Linux the handle stays clickable while click-through is on.

/** markDragHandles makes every .drag-handle of doc drag the window; it returns how many it marked. */
export function markDragHandles(doc: Document): number {
  const handles = doc.querySelectorAll<HTMLElement>('.drag-handle');
  handles.forEach((el) => {
    el.style.setProperty('--wails-draggable', 'drag');
    // a larger hit area than the 8 px bar, inside the strip the desktop keeps clickable
    el.style.setProperty('padding', '8px 24px');
    el.style.setProperty('background-clip', 'content-box');
  });
  return handles.length;
}
