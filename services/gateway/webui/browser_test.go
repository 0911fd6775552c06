package webui_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The browser tests drive the web UI in real headless Chromium (Debian's
// chromium package) against the four real domain services, clicking and
// typing as a person would. With TANDEM_SCREENSHOTS=1 (make screenshots)
// they also write screenshots of the main pages into docs/screenshots;
// otherwise they write nothing into the tree.

const chromiumPath = "/usr/bin/chromium"

// screenshotDir is docs/screenshots at the root of the repository.
var screenshotDir = filepath.Join("..", "..", "..", "docs", "screenshots")

func findChromium(t *testing.T) string {
	t.Helper()
	path := chromiumPath
	if _, err := os.Stat(path); err != nil {
		if p, err := exec.LookPath("chromium"); err == nil {
			path = p
		} else {
			msg := "browser tests need Chromium: apt-get install chromium"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return path
}

// browser starts one headless Chromium with a fresh profile for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := findChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	// The first Run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// user is one person at the browser, with their own cookies (a separate
// browser context, like a separate profile).
type user struct {
	t    *testing.T
	ctx  context.Context
	base string
	name string
}

func newUser(t *testing.T, root context.Context, base, name string) *user {
	t.Helper()
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("new browser context: %v", err)
	}
	return &user{t: t, ctx: ctx, base: base, name: name}
}

const step = 45 * time.Second

func (u *user) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, step)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		u.t.Fatalf("%s: %s: %v\npage: %s", u.name, what, err, u.bodyText())
	}
}

// open loads a page of the UI and checks it.
func (u *user) open(path string) {
	u.t.Helper()
	u.do("open "+path, chromedp.Navigate(u.base+path), chromedp.WaitReady(chromedp.CSS("body")))
	u.checkPage()
}

// submit clicks a button that sends a form and waits for the next page.
func (u *user) submit(sel string) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, step)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		u.t.Fatalf("%s: submit %s: %v\npage: %s", u.name, sel, err, u.bodyText())
	}
	u.checkPage()
}

func (u *user) click(sel string) {
	u.t.Helper()
	u.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// typeInto replaces the text of a field by typing.
func (u *user) typeInto(sel, text string) {
	u.t.Helper()
	u.do("type into "+sel,
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf("document.querySelector(%q).value = ''", sel)),
		chromedp.SendKeys(chromedp.CSS(sel), text))
}

// set sets a value the way a picker would (dates, times, selects).
func (u *user) set(sel, value string) {
	u.t.Helper()
	u.do("set "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

func (u *user) text(sel string) string {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, step)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		u.t.Fatalf("%s: read %s: %v\npage: %s", u.name, sel, err, u.bodyText())
	}
	return s
}

func eval[T any](u *user, js string) T {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		u.t.Fatalf("%s: evaluate %s: %v", u.name, js, err)
	}
	return v
}

func (u *user) has(sel string) bool {
	u.t.Helper()
	return eval[bool](u, fmt.Sprintf("!!document.querySelector(%q)", sel))
}

func (u *user) bodyText() string {
	ctx, cancel := context.WithTimeout(u.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return s
}

// waitFor polls the page until the JavaScript predicate holds.
func (u *user) waitFor(what, predicate string) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, step)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](predicate, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(step))); err != nil {
		u.t.Fatalf("%s: waiting for %s: %v\npage: %s", u.name, what, err, u.bodyText())
	}
}

// expect fails unless the element's text contains want.
func (u *user) expect(sel, want string) {
	u.t.Helper()
	if got := u.text(sel); !strings.Contains(got, want) {
		u.t.Fatalf("%s: %s says %q, want it to contain %q\npage: %s", u.name, sel, got, want, u.bodyText())
	}
}

// checkPage holds on every page: every visible string is translated, every
// form control has a label, and nothing is wider than the screen.
func (u *user) checkPage() {
	u.t.Helper()
	type report struct {
		Missing   string   `json:"missing"`
		Unlabeled []string `json:"unlabeled"`
		Overflow  bool     `json:"overflow"`
		Requests  int      `json:"requests"`
	}
	r := eval[report](u, `(() => {
		const text = document.body.innerText + " " + [...document.querySelectorAll("[title],[aria-label],[placeholder],option")].map(e => (e.getAttribute("title")||"") + (e.getAttribute("aria-label")||"") + (e.getAttribute("placeholder")||"") + e.textContent).join(" ");
		const i = text.indexOf("⟦");
		const unlabeled = [...document.querySelectorAll("input, select, textarea")].filter(e => {
			if (e.type === "hidden") return false;
			if (e.getAttribute("aria-label") || e.getAttribute("aria-labelledby")) return false;
			return !(e.labels && e.labels.length);
		}).map(e => e.outerHTML.slice(0, 120));
		return {missing: i < 0 ? "" : text.slice(i, i + 60), unlabeled, overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
			requests: performance.getEntriesByType("resource").filter(e => e.initiatorType !== "fetch" && !e.name.includes("/live")).length};
	})()`)
	if r.Missing != "" {
		u.t.Errorf("%s: untranslated text on %s: %q", u.name, u.location(), r.Missing)
	}
	if len(r.Unlabeled) > 0 {
		u.t.Errorf("%s: form controls without a label on %s: %v", u.name, u.location(), r.Unlabeled)
	}
	// A page is its HTML plus at most the style sheet, the script and the icon.
	if r.Requests > 3 {
		u.t.Errorf("%s: %s loads %d resources besides the page", u.name, u.location(), r.Requests)
	}
	if r.Overflow {
		u.t.Errorf("%s: %s is wider than the window", u.name, u.location())
	}
}

func (u *user) location() string {
	ctx, cancel := context.WithTimeout(u.ctx, 5*time.Second)
	defer cancel()
	l, _ := chromedp.Run(ctx, chromedp.Location())
	return strings.TrimPrefix(l, u.base)
}

// shot writes a screenshot of the whole page into docs/screenshots when
// TANDEM_SCREENSHOTS is 1, and does nothing otherwise.
func (u *user) shot(name string) {
	u.t.Helper()
	if os.Getenv("TANDEM_SCREENSHOTS") != "1" {
		return
	}
	ctx, cancel := context.WithTimeout(u.ctx, step)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		u.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		u.t.Fatal(err)
	}
}

// signIn uses the demo sign-in page as a visitor would.
func (u *user) signIn(key string) {
	u.t.Helper()
	u.open("/login")
	u.submit("#login-" + key)
	u.waitFor("the start page", `!!document.querySelector(".tiles")`)
}

// mustSucceed fails when the page shows a problem instead of the result.
func (u *user) mustSucceed(what string) {
	u.t.Helper()
	if u.has("#problem, .problem") {
		u.t.Fatalf("%s: %s failed: %s", u.name, what, u.bodyText())
	}
}

// in returns the same person for subtest t.
func (u *user) in(t *testing.T) *user {
	c := *u
	c.t = t
	return &c
}

// key sends key presses to the focused element.
func (u *user) key(keys string) {
	u.t.Helper()
	u.do("press keys", chromedp.KeyEvent(keys))
}

// pickTerm types into a term picker and chooses the first term offered
// with the keyboard, checking that broader terms are shown.
func (u *user) pickTerm(input, typed string) string {
	u.t.Helper()
	u.click(input)
	u.typeInto(input, typed)
	u.waitFor("term suggestions for "+typed, `document.querySelectorAll("[role=listbox]:not([hidden]) [role=option]").length > 0`)
	label := eval[string](u, `document.querySelector("[role=listbox]:not([hidden]) [role=option] .opt-label").textContent`)
	u.key("\u0301") // ArrowDown
	u.key("\r")     // Enter
	return label
}
