package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/png" // screenshots are PNG
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromium finds the browser: $ZONESIM_CHROMIUM, or Debian's chromium. Without one the browser tests
// skip, unless ZONESIM_BROWSER=required (make test sets it, after installing chromium).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ZONESIM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ZONESIM_BROWSER") == "required" {
		t.Fatal("no chromium found (ZONESIM_BROWSER=required): apt-get install chromium, or set ZONESIM_CHROMIUM")
	}
	t.Skip("no chromium: the HTML reports are tested in a browser by make test, which installs it")
	return ""
}

// browserProblems collects what a page reports as broken: console errors and uncaught exceptions.
type browserProblems struct {
	mu   sync.Mutex
	list []string
}

func (b *browserProblems) add(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.list = append(b.list, s)
}

func (b *browserProblems) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.list
	b.list = nil
	return out
}

// Every report is opened from a file:// URL in a headless Chromium, as a reviewer opens it: the zone
// map draws a region per zone, a click on a cell shows its explanation, a click on a zone filters the
// matrix, the findings show, and nothing is logged as an error. Screenshots of the map, the explanation
// and the findings must hold drawn pixels; they are kept in $ZONESIM_SCREENSHOTS when it is set.
func TestHTMLReportsInBrowser(t *testing.T) {
	browser := chromium(t)
	dir := t.TempDir()
	shots := os.Getenv("ZONESIM_SCREENSHOTS")
	if shots != "" {
		require.NoError(t, os.MkdirAll(shots, 0o755))
	}
	paths := writePages(t, dir)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.WindowSize(1400, 1000), chromedp.Flag("disable-gpu", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	problems := &browserProblems{}
	messages := chromedp.Console(ctx) // starts the browser, and listens from now on
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				problems.add(m.String())
			}
		}
	}()

	for _, p := range htmlPages() {
		t.Run(p.name, func(t *testing.T) {
			cell := `#m td[data-x]:not([data-x="-1"])`
			if p.changed {
				cell = `#m td[data-change], #m tr[data-added] td[data-x]:not([data-x="-1"])`
			}
			require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+paths[p.name]), chromedp.WaitVisible(chromedp.CSS(`#zonemap`))))
			zones := must(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#zonemap g.zone").length`))
			mapShot := must(t, ctx, chromedp.Screenshot(chromedp.CSS(`#zonemap`)))
			require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(cell))))
			title := must(t, ctx, chromedp.Text(chromedp.CSS(`#explain-title`)))
			explanation := must(t, ctx, chromedp.Text(chromedp.CSS(`#explain-text`)))
			change := must(t, ctx, chromedp.Evaluate[string](`document.querySelector("#m td.sel").dataset.change || ""`))
			explainShot := must(t, ctx, chromedp.Screenshot(chromedp.CSS(`#explain`)))
			findings := must(t, ctx, chromedp.Text(chromedp.CSS(`#findings`)))
			findingsShot := must(t, ctx, chromedp.Screenshot(chromedp.CSS(`#findings`)))
			// A click on the zone (or endpoint) of the first row keeps that zone's rows and hides the others.
			zone := must(t, ctx, chromedp.Evaluate[string](`document.querySelector("#m tbody tr").dataset.zone`))
			inZone := must(t, ctx, chromedp.Evaluate[int](fmt.Sprintf(`Array.from(document.querySelectorAll("#m tbody tr")).filter(r => r.dataset.zone === %q).length`, zone)))
			require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`#zonemap g[data-zone=%q]`, zone)))))
			count := must(t, ctx, chromedp.Text(chromedp.CSS(`#f-count`)))
			shown := must(t, ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll("#m tbody tr")).filter(r => r.style.display !== "none").length`))
			page := must(t, ctx, chromedp.FullScreenshot(85)) // JPEG below quality 100

			assert.Empty(t, problems.take(), "the page reports no error")
			assert.Equal(t, len(p.zones), zones, "a region per zone")
			assert.Contains(t, title, " → ")
			assert.Contains(t, explanation, "zonesim query ")
			assert.Regexp(t, `(ALLOWED|DENIED|PARTIAL): `, explanation)
			if change != "" {
				assert.Contains(t, explanation, change+" by the change: ", "a changed cell says what it was")
			}
			for _, h := range p.findings {
				assert.Contains(t, findings, h)
			}
			assert.Positive(t, inZone)
			assert.Equal(t, inZone, shown, "a click on %s in the map keeps its rows", zone)
			assert.Contains(t, count, fmt.Sprintf("%d of ", inZone))
			for name, shot := range map[string][]byte{"map": mapShot, "explanation": explainShot, "findings": findingsShot} {
				assert.Greater(t, colours(t, shot), 3, "the %s is drawn", name)
			}
			if shots != "" {
				require.NoError(t, os.WriteFile(filepath.Join(shots, p.name+".jpg"), page, 0o644))
			}
		})
	}
}

// must runs a browser action and returns its value.
func must[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	require.NoError(t, err)
	return v
}

// colours counts the distinct colours of a PNG (up to a few hundred): a blank element has one.
func colours(t *testing.T, shot []byte) int {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(shot))
	require.NoError(t, err)
	seen := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && len(seen) < 300; y += 2 {
		for x := b.Min.X; x < b.Max.X && len(seen) < 300; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[r>>8<<16|g>>8<<8|bl>>8] = true
		}
	}
	return len(seen)
}
