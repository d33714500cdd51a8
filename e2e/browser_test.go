package e2e

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"
)

// Bounds of the browser tests: the whole browser's life, and any one
// action in it.
const (
	browserBudget = 45 * time.Second
	actionTimeout = 10 * time.Second
)

// chromium returns the path of the Chromium binary. Without one the test
// is skipped, except under CI=true, where the browser tests must run.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no chromium on PATH (install it with apt-get install -y chromium)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + "; with CI=true the browser tests must run")
	}
	t.Skip(msg + ": skipping the browser tests")
	return ""
}

// browser is one headless Chromium with one tab, driven through chromedp.
type browser struct {
	t   *testing.T
	tab context.Context
	// shots is where screenshots go.
	shots string

	mu sync.Mutex
	// visited are the URLs the tab's main frame navigated to.
	visited []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	// The first action starts the browser and binds its life to its
	// context, so that context carries the overall budget and each action
	// gets its own, shorter, timeout.
	ctx, cancel := context.WithTimeout(t.Context(), browserBudget)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc) // stops the browser and waits for it
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	b := &browser{t: t, tab: tab, shots: t.ArtifactDir()}
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	err := chromedp.Listen(tab, func(ev any) {
		if e, ok := ev.(*cdppage.EventFrameNavigated); ok && e.Frame.ParentID == "" {
			b.mu.Lock()
			b.visited = append(b.visited, e.Frame.URL)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	b.run("phone viewport", phone())
	return b
}

// run runs actions within actionTimeout; what names them in a failure.
func (b *browser) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v (at %s)", what, err, b.location())
	}
}

// location is the tab's URL, for messages.
func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.tab, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown: " + err.Error()
	}
	return loc
}

// text returns the text of the first element that matches a CSS
// selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, actionTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("browser: text of %s: %v (at %s)", sel, err, b.location())
	}
	return s
}

// value returns the value of the form field that matches a CSS selector.
func (b *browser) value(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, actionTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("browser: value of %s: %v (at %s)", sel, err, b.location())
	}
	return s
}

// phone is a 390x844 phone screen with touch, at twice the pixel density.
func phone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2))
}

// desktop is a laptop's screen.
func desktop() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(1280, 800)
}

// colorScheme makes the page see prefers-color-scheme as scheme.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return err
	})
}

// screenshot writes the whole page as PNG, on a desktop, on a phone and
// on a phone in dark mode, and leaves the tab on the phone in light mode.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	b.screenshots(name,
		viewport{"desktop", chromedp.Steps(desktop(), colorScheme("light"))},
		viewport{"phone-dark", chromedp.Steps(phone(), colorScheme("dark"))},
		viewport{"phone", chromedp.Steps(phone(), colorScheme("light"))})
}

// viewport is a screen to take a screenshot on: label names the file,
// set makes the tab look like it.
type viewport struct {
	label string
	set   chromedp.Action[chromedp.Void]
}

// screenshots writes the whole page as PNG, name-label.png, on each
// viewport in turn, and leaves the tab on the last.
func (b *browser) screenshots(name string, viewports ...viewport) {
	b.t.Helper()
	for _, vp := range viewports {
		b.run("viewport "+vp.label, vp.set)
		ctx, cancel := context.WithTimeout(b.tab, actionTimeout)
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err != nil {
			b.t.Fatalf("screenshot of %s: %v", name, err)
		}
		path := filepath.Join(b.shots, name+"-"+vp.label+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot: %s", path)
	}
}

// visitedSince returns the URLs navigated to after the first n.
func (b *browser) visitedSince(n int) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.visited[n:]...)
}

func (b *browser) visits() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.visited)
}

// TestBrowser clicks through the hosted pages in headless Chromium against
// the real binary: sign-in (a wrong password first), consent, single
// sign-on into a second app, an authorization request posted from another
// site, the form_post response mode (the page's own script posts it), the
// account page and the logout confirmation. It writes a screenshot of each
// page, on a desktop, on a phone and on a phone in dark mode, into the
// test's artifact directory (kept with `go test -artifacts`).
func TestBrowser(t *testing.T) {
	t.Parallel()
	chromium(t)
	d := newDeployment(t)
	d.mustTenant("acme", "Acme Inc")
	ana := d.mustUser("acme", "ana", "Ana Lima", "correct horse battery staple", "agent")
	blog := d.mustClient("acme", "Acme Blog", "--scopes", "openid profile email offline_access")
	desk := d.mustClient("acme", "Acme Help Desk", "--first-party")
	d.start()
	b := newBrowser(t)
	rp := newRelyingParty(t, d, d.issuer, blog, "openid", "profile", "email", "offline_access")
	deskRP := newRelyingParty(t, d, d.issuer, desk, "openid", "profile")

	// Sign-in and consent, typed and clicked.
	state, verifier := randomString(), oauth2.GenerateVerifier()
	b.run("open the authorization URL",
		chromedp.Navigate(rp.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))),
		chromedp.WaitVisible(chromedp.ID("username")))
	if got := b.text("h1"); got != "Sign in" {
		t.Errorf("sign-in page heading = %q, want %q", got, "Sign in")
	}
	b.screenshot("sign-in")
	// A wrong password: a message that says nothing about which part was
	// wrong, the name kept, the password not.
	b.run("sign in with a wrong password",
		chromedp.SendKeys(chromedp.ID("username"), ana.Username),
		chromedp.SendKeys(chromedp.ID("password"), "not the password"),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("form-error")))
	if got := b.text("#form-error"); got != "The username or password is incorrect." {
		t.Errorf("sign-in error = %q, want the generic message", got)
	}
	if name, pw := b.value("#username"), b.value("#password"); name != ana.Username || pw != "" {
		t.Errorf("after a failed sign-in the form holds %q and a password of %d characters; want the name only", name, len(pw))
	}
	b.screenshot("sign-in-error")
	b.run("sign in",
		chromedp.SendKeys(chromedp.ID("password"), ana.password),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[value="allow"]`)))
	if got := b.text("main"); !strings.Contains(got, "Acme Blog") {
		t.Errorf("consent page does not name the client:\n%s", got)
	}
	b.screenshot("consent")
	b.run("allow", chromedp.Click(chromedp.CSS(`button[value="allow"]`)), chromedp.WaitVisible(chromedp.ID("app")))
	h := d.app.wait(t, state, actionTimeout)
	if h.Path != "/callback" || h.Params.Get("code") == "" || h.Params.Get("iss") != d.issuer {
		t.Fatalf("callback: got %s %v, want /callback with code, state and iss", h.Path, h.Params)
	}
	if loc := b.location(); !strings.HasPrefix(loc, d.app.callback()+"?") {
		t.Errorf("the browser ended at %s, want the app's callback", loc)
	}
	tok, err := rp.oauth.Exchange(rp.ctx, h.Params.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange the browser's code: %v", err)
	}
	_, idt, _ := rp.verifyIDToken(tok)
	if idt.Subject != ana.ID {
		t.Errorf("ID token sub = %s, want %s", idt.Subject, ana.ID)
	}

	// Single sign-on into a second app of the tenant: no page at all.
	n := b.visits()
	state = randomString()
	b.run("sign in to the second app",
		chromedp.Navigate(deskRP.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))),
		chromedp.WaitVisible(chromedp.ID("app")))
	if h := d.app.wait(t, state, actionTimeout); h.Params.Get("code") == "" {
		t.Errorf("single sign-on: got %v, want a code", h.Params)
	}
	for _, u := range b.visitedSince(n) {
		if !strings.HasPrefix(u, d.app.URL+"/") {
			t.Errorf("single sign-on showed %s; want straight back to the app", u)
		}
	}

	// An authorization request posted from the app's own pages, from
	// another site (localhost is not 127.0.0.1): the session cookie is
	// SameSite=Lax and not sent with that POST, yet single sign-on works.
	state = randomString()
	post := url.Values{"to": {rp.provider.Endpoint().AuthURL}}
	for k, v := range authorizeParams(blog, d.app.callback(), state, nil) {
		post[k] = v
	}
	crossSite := strings.Replace(d.app.URL, "127.0.0.1", "localhost", 1)
	b.run("authorization request posted from another site",
		chromedp.Navigate(crossSite+"/post?"+post.Encode()),
		chromedp.Click(chromedp.ID("go")),
		chromedp.WaitVisible(chromedp.ID("app")))
	if h := d.app.wait(t, state, actionTimeout); h.Params.Get("code") == "" {
		t.Errorf("authorization by a cross-site POST: got %v, want a code", h.Params)
	}

	// form_post: the page's own script posts the response to the app,
	// within the page's Content-Security-Policy.
	state = randomString()
	b.run("form_post",
		chromedp.Navigate(rp.oauth.AuthCodeURL(state, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
			oauth2.SetAuthURLParam("response_mode", "form_post"))),
		chromedp.WaitVisible(chromedp.ID("app")))
	if h := d.app.wait(t, state, actionTimeout); h.Method != "POST" || h.Params.Get("code") == "" || h.Params.Get("iss") != d.issuer {
		t.Errorf("form_post: got %s %v, want a POST with code, state and iss", h.Method, h.Params)
	}

	// The account page on the tenant's issuer lists the allowed app.
	b.run("account page",
		chromedp.Navigate(d.tenantIssuer("acme")+"/account"),
		chromedp.WaitVisible(chromedp.ID("apps-heading")))
	if got := b.text("main"); !strings.Contains(got, "Acme Blog") || !strings.Contains(got, "This browser") {
		t.Errorf("account page does not list the app and this browser's session:\n%s", got)
	}
	b.screenshot("account")

	// Logout without an id_token_hint asks first.
	state = randomString()
	b.run("logout confirmation",
		chromedp.Navigate(rp.meta.EndSession+"?"+url.Values{
			"client_id":                {blog.ClientID()},
			"post_logout_redirect_uri": {d.app.signedOut()},
			"state":                    {state},
		}.Encode()),
		chromedp.WaitVisible(chromedp.CSS(`form button[type="submit"]`)))
	if got := b.text("h1"); got != "Sign out?" {
		t.Errorf("logout page heading = %q, want %q", got, "Sign out?")
	}
	b.screenshot("logout")
	b.run("sign out", chromedp.Click(chromedp.CSS(`form button[type="submit"]`)), chromedp.WaitVisible(chromedp.ID("app")))
	if h := d.app.wait(t, state, actionTimeout); h.Path != "/signed-out" {
		t.Errorf("after signing out: at %s, want the post-logout URI", h.Path)
	}
	// Signed out: the next authorization asks for the password again.
	b.run("authorize after logout",
		chromedp.Navigate(rp.oauth.AuthCodeURL(randomString(), oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))),
		chromedp.WaitVisible(chromedp.ID("password")))
}
