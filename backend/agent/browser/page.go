package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// element is one interactive element of the page summary.
type element struct {
	ID          int    `json:"id"`
	Tag         string `json:"tag"`
	Type        string `json:"type"`
	Name        string `json:"name"`
	Text        string `json:"text"`
	Label       string `json:"label"`
	Placeholder string `json:"placeholder"`
	Href        string `json:"href"`
	Options     string `json:"options"`
}

// pageState is what the model sees of the page.
type pageState struct {
	Title    string    `json:"title"`
	URL      string    `json:"url"`
	Elements []element `json:"elements"`
	Text     string    `json:"text"`
}

// observeJS numbers the visible interactive elements (data-neko-id) and
// returns them with the page's visible text.
const observeJS = `(() => {
  for (const el of document.querySelectorAll('[data-neko-id]')) el.removeAttribute('data-neko-id');
  const out = {title: document.title, url: location.href, elements: [], text: ''};
  const sel = 'a[href],button,input,textarea,select,[role=button],[role=link],[role=checkbox],[onclick],[contenteditable=true]';
  let n = 0;
  for (const el of document.querySelectorAll(sel)) {
    if (el.closest('#__neko_overlay') || el.type === 'hidden' || el.disabled) continue;
    const r = el.getBoundingClientRect(), st = getComputedStyle(el);
    if ((r.width === 0 && r.height === 0) || st.visibility === 'hidden' || st.display === 'none') continue;
    const id = ++n;
    el.setAttribute('data-neko-id', String(id));
    const clip = (s) => (s || '').replace(/\s+/g, ' ').trim().slice(0, 80);
    let label = el.getAttribute('aria-label') || '';
    if (!label && el.labels && el.labels.length) label = el.labels[0].innerText;
    out.elements.push({id, tag: el.tagName.toLowerCase(), type: el.getAttribute('type') || '', name: el.name || '',
      text: clip(el.tagName === 'SELECT' ? '' : (el.innerText || el.value)), label: clip(label), placeholder: clip(el.placeholder),
      href: clip(el.getAttribute('href')),
      options: el.tagName === 'SELECT' ? [...el.options].map(o => o.value + '=' + clip(o.text)).join('|').slice(0, 300) : ''});
    if (n >= 150) break;
  }
  out.text = document.body ? document.body.innerText.replace(/\n{3,}/g, '\n\n').slice(0, 4000) : '';
  return out;
})()`

// overlayJS adds (once) a glowing frame and a badge showing she is at work.
const overlayJS = `(() => {
  if (!document.body || document.getElementById('__neko_overlay')) return true;
  const o = document.createElement('div');
  o.id = '__neko_overlay';
  o.style.cssText = 'position:fixed;inset:0;pointer-events:none;z-index:2147483647;box-shadow:inset 0 0 18px 4px rgba(80,160,255,.75);animation:__neko_breathe 2s ease-in-out infinite';
  const b = document.createElement('div');
  b.textContent = 'N.E.K.O is working…';
  b.style.cssText = 'position:fixed;right:12px;bottom:12px;padding:4px 10px;border-radius:10px;background:rgba(40,110,230,.85);color:#fff;font:12px sans-serif';
  o.appendChild(b);
  const s = document.createElement('style');
  s.textContent = '@keyframes __neko_breathe{0%,100%{opacity:.45}50%{opacity:1}}';
  o.appendChild(s);
  document.body.appendChild(o);
  return true;
})()`

func (b *Browser) observe(ctx context.Context, t *tab) (pageState, error) {
	actx, cancel := b.bounded(ctx, t, b.opts.ActionTimeout)
	defer cancel()
	_, _ = chromedp.Run(actx, chromedp.Evaluate[bool](overlayJS))
	st, err := chromedp.Run(actx, chromedp.Evaluate[pageState](observeJS))
	if err != nil {
		return pageState{}, fmt.Errorf("read the page: %w", err)
	}
	return st, nil
}

// bounded derives an action context from the tab that also ends with the
// task's ctx and after d.
func (b *Browser) bounded(task context.Context, t *tab, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(t.ctx, d)
	stop := context.AfterFunc(task, cancel)
	return ctx, func() { stop(); cancel() }
}

// checkURL allows only http(s) pages.
func checkURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("bad url %q: %w", raw, err)
	}
	if u.Scheme == "" && u.Host == "" && u.Path != "" {
		u, err = url.Parse("https://" + strings.TrimSpace(raw))
		if err != nil {
			return "", fmt.Errorf("bad url %q: %w", raw, err)
		}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("only http(s) pages may be opened, not %q", u.Scheme)
	}
	return u.String(), nil
}

func (b *Browser) navigate(ctx context.Context, t *tab, raw string) error {
	u, err := checkURL(raw)
	if err != nil {
		return err
	}
	actx, cancel := b.bounded(ctx, t, b.opts.LoadTimeout)
	defer cancel()
	if err := chromedp.Do(actx, chromedp.Navigate(u)); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(actx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("page %s did not load within %s", u, b.opts.LoadTimeout)
		}
		return fmt.Errorf("open %s: %w", u, err)
	}
	return nil
}

type point struct {
	X, Y  float64
	Found bool
}

// center scrolls element id into view and returns its centre.
func (b *Browser) center(ctx context.Context, id int) (point, error) {
	js := fmt.Sprintf(`(() => { const el = document.querySelector('[data-neko-id="%d"]'); if (!el) return {Found:false};
	  el.scrollIntoView({block:'center', inline:'center'}); const r = el.getBoundingClientRect();
	  return {X: r.left + r.width/2, Y: r.top + r.height/2, Found: true}; })()`, id)
	p, err := chromedp.Run(ctx, chromedp.Evaluate[point](js))
	if err != nil {
		return point{}, err
	}
	if !p.Found {
		return point{}, fmt.Errorf("element [%d] is not on the page (look again)", id)
	}
	return p, nil
}

func (b *Browser) click(ctx context.Context, t *tab, id int) error {
	actx, cancel := b.bounded(ctx, t, b.opts.ActionTimeout)
	defer cancel()
	p, err := b.center(actx, id)
	if err != nil {
		return err
	}
	if err := chromedp.Do(actx, chromedp.MouseClickXY(p.X, p.Y)); err != nil {
		return fmt.Errorf("click [%d]: %w", id, err)
	}
	return b.settle(ctx, t)
}

// settle waits for a navigation the last action may have started.
func (b *Browser) settle(ctx context.Context, t *tab) error {
	deadline := time.Now().Add(b.opts.LoadTimeout)
	time.Sleep(50 * time.Millisecond)
	for time.Now().Before(deadline) {
		actx, cancel := b.bounded(ctx, t, b.opts.ActionTimeout)
		state, err := chromedp.Run(actx, chromedp.Evaluate[string](`document.readyState`))
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil && state == "complete" {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the page did not finish loading within %s", b.opts.LoadTimeout)
}

func (b *Browser) typeInto(ctx context.Context, t *tab, id int, text string, submit bool) error {
	actx, cancel := b.bounded(ctx, t, b.opts.ActionTimeout)
	defer cancel()
	p, err := b.center(actx, id)
	if err != nil {
		return err
	}
	clear := fmt.Sprintf(`(() => { const el = document.querySelector('[data-neko-id="%d"]'); el.focus();
	  if ('value' in el) { el.value = ''; el.dispatchEvent(new Event('input', {bubbles:true})); } else { el.textContent = ''; } return true; })()`, id)
	if err := chromedp.Do(actx, chromedp.MouseClickXY(p.X, p.Y)); err != nil {
		return fmt.Errorf("focus [%d]: %w", id, err)
	}
	if _, err := chromedp.Run(actx, chromedp.Evaluate[bool](clear)); err != nil {
		return fmt.Errorf("clear [%d]: %w", id, err)
	}
	if err := chromedp.Do(actx, chromedp.KeyEvent(text)); err != nil {
		return fmt.Errorf("type into [%d]: %w", id, err)
	}
	if submit {
		if err := chromedp.Do(actx, chromedp.KeyEvent("\r")); err != nil {
			return fmt.Errorf("submit [%d]: %w", id, err)
		}
		return b.settle(ctx, t)
	}
	return nil
}

func (b *Browser) selectOption(ctx context.Context, t *tab, id int, value string) error {
	actx, cancel := b.bounded(ctx, t, b.opts.ActionTimeout)
	defer cancel()
	v, _ := json.Marshal(value)
	js := fmt.Sprintf(`(() => { const el = document.querySelector('[data-neko-id="%d"]'); if (!el || el.tagName !== 'SELECT') return 'not a select';
	  const want = %s; const o = [...el.options].find(o => o.value === want || o.text.trim() === want);
	  if (!o) return 'no option ' + want; el.value = o.value;
	  el.dispatchEvent(new Event('input', {bubbles:true})); el.dispatchEvent(new Event('change', {bubbles:true})); return ''; })()`, id, v)
	msg, err := chromedp.Run(actx, chromedp.Evaluate[string](js))
	if err != nil {
		return fmt.Errorf("select in [%d]: %w", id, err)
	}
	if msg != "" {
		return fmt.Errorf("select in [%d]: %s", id, msg)
	}
	return nil
}

func (b *Browser) scroll(ctx context.Context, t *tab, pages float64) error {
	actx, cancel := b.bounded(ctx, t, b.opts.ActionTimeout)
	defer cancel()
	_, err := chromedp.Run(actx, chromedp.Evaluate[bool](fmt.Sprintf(`(window.scrollBy(0, %f * window.innerHeight), true)`, pages)))
	return err
}

func (b *Browser) extract(ctx context.Context, t *tab, id int) (string, error) {
	actx, cancel := b.bounded(ctx, t, b.opts.ActionTimeout)
	defer cancel()
	js := `document.body ? document.body.innerText.slice(0, 8000) : ''`
	if id > 0 {
		js = fmt.Sprintf(`(() => { const el = document.querySelector('[data-neko-id="%d"]'); return el ? (el.innerText || el.value || '').slice(0, 8000) : null; })()`, id)
	}
	s, err := chromedp.Run(actx, chromedp.Evaluate[*string](js))
	if err != nil {
		return "", fmt.Errorf("extract: %w", err)
	}
	if s == nil {
		return "", fmt.Errorf("element [%d] is not on the page", id)
	}
	return *s, nil
}

func (b *Browser) screenshot(ctx context.Context, t *tab) ([]byte, error) {
	actx, cancel := b.bounded(ctx, t, b.opts.ActionTimeout)
	defer cancel()
	return chromedp.Run(actx, chromedp.CaptureScreenshot())
}
