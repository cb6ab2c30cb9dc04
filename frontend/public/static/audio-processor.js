// AudioWorklet of the microphone: collects 48 kHz mono input into 480-sample (10 ms) frames of
// PCM s16le and posts each frame's ArrayBuffer to the page, which sends it as a binary WebSocket frame.
class NekoMicProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frame = new Int16Array(480);
    this.fill = 0;
  }

  process(inputs) {
    const input = inputs[0];
    const ch = input && input[0];
    if (!ch) return true;
    for (let i = 0; i < ch.length; i++) {
      let s = ch[i];
      if (s > 1) s = 1;
      else if (s < -1) s = -1;
      this.frame[this.fill++] = s < 0 ? Math.round(s * 32768) : Math.round(s * 32767);
      if (this.fill === this.frame.length) {
        const out = this.frame;
        this.port.postMessage(out.buffer, [out.buffer]);
        this.frame = new Int16Array(480);
        this.fill = 0;
      }
    }
    return true;
  }
}

registerProcessor('neko-mic-processor', NekoMicProcessor);
