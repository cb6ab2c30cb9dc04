// Package pages/modelcheck: client-side checks of model uploads, so a broken upload gets a clear
// message before anything is sent (the server checks again and writes atomically).

export const MAX_VRM_BYTES = 200 * 1024 * 1024;

export interface NamedFile {
  name: string;
  size: number;
  /** path inside the chosen folder (webkitRelativePath), or the name */
  path: string;
}

/** checkLive2DFolder returns an i18n error key, or null when the folder holds exactly one model. */
export function checkLive2DFolder(files: readonly NamedFile[]): string | null {
  if (files.length === 0) return 'models.errEmpty';
  const models = files.filter((f) => /\.model3\.json$/i.test(f.name));
  if (models.length === 0) return 'models.errNoModel3';
  if (models.length > 1) return 'models.errManyModel3';
  if (files.some((f) => f.path.split('/').some((p) => p === '..'))) return 'models.errPath';
  return null;
}

/** checkVrmHeader returns an i18n error key, or null when the bytes start like a binary glTF. */
export function checkVrmHeader(name: string, size: number, head: Uint8Array): string | null {
  if (!/\.vrm$/i.test(name)) return 'models.errNotVrm';
  if (size > MAX_VRM_BYTES) return 'models.errTooBig';
  if (head.length < 12) return 'models.errBrokenVrm';
  const magic = String.fromCharCode(head[0] ?? 0, head[1] ?? 0, head[2] ?? 0, head[3] ?? 0);
  if (magic !== 'glTF') return 'models.errBrokenVrm';
  const version = (head[4] ?? 0) | ((head[5] ?? 0) << 8);
  if (version !== 2) return 'models.errBrokenVrm';
  const declared = ((head[8] ?? 0) | ((head[9] ?? 0) << 8) | ((head[10] ?? 0) << 16) | ((head[11] ?? 0) << 24)) >>> 0;
  if (declared !== size) return 'models.errBrokenVrm';
  return null;
}
