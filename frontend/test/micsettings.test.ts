import { describe, expect, it } from 'vitest';
import { clampGainDb, dbToLinear, loadMicSettings, MIC_DEVICE_KEY, MIC_GAIN_KEY, micOptions, saveMicSettings } from '../src/audio/micsettings';

function memStore() {
  const m = new Map<string, string>();
  return { m, getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

const names = { default: 'Default', numbered: (n: number) => `Mic ${n}`, missing: () => 'Unplugged' };

describe('mic settings', () => {
  it('defaults to the system microphone at 0 dB', () => {
    expect(loadMicSettings(memStore())).toEqual({ deviceId: '', gainDb: 0 });
  });

  it('round-trips through storage and clamps the gain', () => {
    const s = memStore();
    saveMicSettings(s, { deviceId: 'usb-1', gainDb: 7.4 });
    expect(s.m.get(MIC_DEVICE_KEY)).toBe('usb-1');
    expect(s.m.get(MIC_GAIN_KEY)).toBe('7');
    expect(loadMicSettings(s)).toEqual({ deviceId: 'usb-1', gainDb: 7 });
    s.m.set(MIC_GAIN_KEY, '99');
    expect(loadMicSettings(s).gainDb).toBe(20);
    s.m.set(MIC_GAIN_KEY, 'loud');
    expect(loadMicSettings(s).gainDb).toBe(0);
    expect(clampGainDb(-50)).toBe(-20);
  });

  it('converts dB to a linear gain', () => {
    expect(dbToLinear(0)).toBe(1);
    expect(dbToLinear(20)).toBeCloseTo(10);
    expect(dbToLinear(-20)).toBeCloseTo(0.1);
    expect(dbToLinear(6)).toBeCloseTo(1.995, 3);
  });

  it('lists audio inputs, default first, numbered when labels are hidden', () => {
    const devices = [
      { kind: 'audioinput', deviceId: 'default', label: 'Default - USB' },
      { kind: 'audioinput', deviceId: 'a1', label: 'USB Mic' },
      { kind: 'videoinput', deviceId: 'v1', label: 'Camera' },
      { kind: 'audioinput', deviceId: 'a2', label: '' },
      { kind: 'audiooutput', deviceId: 'o1', label: 'Speakers' },
    ];
    expect(micOptions(devices, '', names)).toEqual([['', 'Default'], ['a1', 'USB Mic'], ['a2', 'Mic 2']]);
  });

  it('keeps an unplugged saved microphone in the list', () => {
    expect(micOptions([], 'gone', names)).toEqual([['', 'Default'], ['gone', 'Unplugged']]);
    expect(micOptions([{ kind: 'audioinput', deviceId: 'gone', label: 'Back' }], 'gone', names)).toEqual([['', 'Default'], ['gone', 'Back']]);
  });
});
