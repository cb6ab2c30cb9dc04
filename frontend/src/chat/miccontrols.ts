// Package chat/miccontrols: the microphone picker and input-gain slider of the voice controls.
// Choices are saved in localStorage (and the device id on the server) and applied at once: the
// gain live, a new device by restarting a running capture.

import { loadMicSettings, MAX_GAIN_DB, micOptions, MIN_GAIN_DB, saveMicSettings } from '../audio/micsettings';
import type { MicCapture } from '../audio/mic';
import type { I18n } from '../i18n';
import type { Api } from '../services/api';
import { h } from '../ui/dom';

export interface MicControls {
  el: HTMLElement;
  /** refresh re-reads the device list (labels appear once the mic is allowed) */
  refresh(): Promise<void>;
}

export function micControls(i18n: I18n, mic: MicCapture, api: Api, store: Storage = localStorage): MicControls {
  const settings = loadMicSettings(store);
  mic.deviceId = settings.deviceId;
  mic.gainDb = settings.gainDb;
  const device = h('select', { 'data-testid': 'mic-device', title: i18n.t('chat.micDevice') });
  const gain = h('input', { type: 'range', min: MIN_GAIN_DB, max: MAX_GAIN_DB, step: 1, value: settings.gainDb, 'data-testid': 'mic-gain', title: i18n.t('chat.micGain') });
  const gainLabel = h('span', { 'data-testid': 'mic-gain-label' }, `${settings.gainDb} dB`);

  const refresh = async () => {
    let devices: MediaDeviceInfo[] = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      /* no media devices: only the default entry */
    }
    const opts = micOptions(devices, settings.deviceId, {
      default: i18n.t('chat.micDefault'),
      numbered: (n) => i18n.t('chat.micNumbered', { n }),
      missing: () => i18n.t('chat.micMissing'),
    });
    device.replaceChildren(...opts.map(([id, label]) => h('option', { value: id }, label)));
    device.value = settings.deviceId;
  };

  device.addEventListener('change', async () => {
    settings.deviceId = device.value;
    saveMicSettings(store, settings);
    mic.deviceId = settings.deviceId;
    void api.post('/api/characters/set_microphone', { microphone_id: settings.deviceId }).catch(() => undefined);
    if (mic.running) {
      await mic.stop();
      await mic.start();
    }
  });
  gain.addEventListener('input', () => {
    settings.gainDb = Number(gain.value);
    saveMicSettings(store, settings);
    mic.setGainDb(settings.gainDb);
    gainLabel.textContent = `${settings.gainDb} dB`;
  });
  void refresh();
  navigator.mediaDevices?.addEventListener?.('devicechange', () => void refresh());
  const el = h('div', { class: 'row mic-controls' }, h('label', {}, i18n.t('chat.micDevice')), device,
    h('label', {}, i18n.t('chat.micGain')), gain, gainLabel);
  return { el, refresh };
}
