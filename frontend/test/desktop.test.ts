import { describe, expect, it } from 'vitest';
import { labels, parseState } from '../src/desktop/controls';
import { petURL } from '../src/desktop/install';

describe('desktop controls', () => {
  it('reads a state only when every switch is a boolean', () => {
    expect(parseState({ type: 'desktop_controls', mic_muted: true, voice_muted: false, voice_only: true })).toEqual({
      mic_muted: true,
      voice_muted: false,
      voice_only: true,
    });
    expect(parseState(null)).toBeNull();
    expect(parseState('x')).toBeNull();
    expect(parseState({ mic_muted: true, voice_muted: false })).toBeNull();
    expect(parseState({ mic_muted: 'true', voice_muted: false, voice_only: false })).toBeNull();
  });

  it('labels the badges in the page language, English otherwise', () => {
    expect(labels('ja').mic).toBe('マイクミュート中');
    expect(labels('zh-CN').voice).toBe('语音已静音');
    expect(labels('en-GB').mic).toBe('Mic muted');
    expect(labels('ko').mic).toBe('Mic muted');
    expect(labels('').voice).toBe('Voice muted');
  });
});

describe('pet window start page', () => {
  const loc = (search: string) => ({ pathname: '/', search, hash: '#x' });
  it('adds mode=pet once, keeping the rest of the URL', () => {
    expect(petURL('pet', loc(''))).toBe('/?mode=pet#x');
    expect(petURL('pet', loc('?lanlan_name=%E5%B0%8F%E5%A4%A9'))).toBe('/?lanlan_name=%E5%B0%8F%E5%A4%A9&mode=pet#x');
    expect(petURL('pet', loc('?mode=pet'))).toBeNull();
    expect(petURL('window', loc(''))).toBeNull();
    expect(petURL(null, loc(''))).toBeNull();
  });
});
