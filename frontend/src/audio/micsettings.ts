// Package audio/micsettings: the microphone choice and input gain of the voice controls, kept in
// localStorage (the device id is also sent to the server, as the original stores it there).

export const MIC_DEVICE_KEY = 'neko.micDevice';
export const MIC_GAIN_KEY = 'neko.micGainDb';
export const MIN_GAIN_DB = -20;
export const MAX_GAIN_DB = 20;

export interface MicSettings {
  /** '' = the system default microphone */
  deviceId: string;
  gainDb: number;
}

type Store = Pick<Storage, 'getItem' | 'setItem'>;

/** clampGainDb keeps a gain inside the slider's range, rounded to 1 dB (0 for garbage). */
export function clampGainDb(v: unknown): number {
  const n = typeof v === 'number' ? v : Number.parseFloat(String(v));
  if (!Number.isFinite(n)) return 0;
  return Math.round(Math.min(MAX_GAIN_DB, Math.max(MIN_GAIN_DB, n)));
}

export function loadMicSettings(store: Store): MicSettings {
  return { deviceId: store.getItem(MIC_DEVICE_KEY) ?? '', gainDb: clampGainDb(store.getItem(MIC_GAIN_KEY) ?? 0) };
}

export function saveMicSettings(store: Store, s: MicSettings): void {
  store.setItem(MIC_DEVICE_KEY, s.deviceId);
  store.setItem(MIC_GAIN_KEY, String(clampGainDb(s.gainDb)));
}

/** dbToLinear is the GainNode value for a gain in dB. */
export function dbToLinear(db: number): number {
  return Math.pow(10, clampGainDb(db) / 20);
}

export interface DeviceLike {
  kind: string;
  deviceId: string;
  label: string;
}

/**
 * micOptions lists the audio inputs as [deviceId, label] with the default first; labels are empty
 * until the page has mic permission, so those get a numbered name. A saved device that is gone is
 * still listed (marked), so the choice is not silently lost while it is unplugged.
 */
export function micOptions(devices: readonly DeviceLike[], saved: string, names: { default: string; numbered: (n: number) => string; missing: (id: string) => string }): Array<[string, string]> {
  const out: Array<[string, string]> = [['', names.default]];
  let n = 0;
  for (const d of devices) {
    if (d.kind !== 'audioinput' || d.deviceId === '' || d.deviceId === 'default' || d.deviceId === 'communications') continue;
    n++;
    out.push([d.deviceId, d.label || names.numbered(n)]);
  }
  if (saved && !out.some(([id]) => id === saved)) out.push([saved, names.missing(saved)]);
  return out;
}
