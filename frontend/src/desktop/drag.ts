// Package desktop/drag: the pet window's drag handle moves the desktop window. The Wails runtime
// starts a window drag on mousedown over an element whose --wails-draggable is "drag" (WebKitGTK
// ignores -webkit-app-region). On Linux the handle (top centre) stays clickable while click-through
// is on: the desktop keeps a 96×32 px strip there.

/** markDragHandles makes every .drag-handle of doc drag the window; it returns how many it marked. */
export function markDragHandles(doc: Document): number {
  const handles = doc.querySelectorAll<HTMLElement>('.drag-handle');
  handles.forEach((el) => el.style.setProperty('--wails-draggable', 'drag'));
  return handles.length;
}
