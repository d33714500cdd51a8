package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestDashboardBrowser registers an app in headless Chromium against the
// real binary, the way a tenant admin sets up a WordPress site: the admin
// signs in to the dashboard, registers the app through the form (a
// mistake first), copies the secret from the page that shows it once and
// the setup fields from the app's page with their copy buttons, and a
// relying party (x/oauth2 and go-oidc, configured with exactly those
// values and nothing else) signs a user in. It then visits every other
// page of the dashboard, and writes a screenshot of each, on a desktop
// and on a phone (some also in dark mode), into the test's artifact
// directory.
func TestDashboardBrowser(t *testing.T) {
	t.Parallel()
	chromium(t)
	d := newDeployment(t)
	d.mustTenant("acme", "Acme Inc")
	ana := d.mustUser("acme", "ana", "Ana Lima", "correct horse battery staple", "owner")
	d.mustUser("acme", "bo", "Bo Berg", "another long passphrase", "agent")
	d.start()
	b := newBrowser(t)
	b.run("let the page use the clipboard", grantClipboard())
	dash := d.tenantIssuer("acme") + "/dashboard"

	// Signed out: the dashboard asks to sign in, then comes back.
	b.run("open the dashboard",
		chromedp.Navigate(dash+"/clients"),
		chromedp.WaitVisible(chromedp.ID("password")))
	if got := b.text("h1"); got != "Sign in to the dashboard" {
		t.Errorf("sign-in heading = %q", got)
	}
	b.shot("dashboard-sign-in")
	b.run("sign in",
		chromedp.SendKeys(chromedp.ID("username"), ana.Username),
		chromedp.SendKeys(chromedp.ID("password"), ana.password),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.dash-nav`)))
	if loc := b.location(); loc != dash+"/clients" {
		t.Errorf("after signing in the browser is at %s, want %s/clients", loc, dash)
	}
	b.shot("dashboard-apps-empty")

	// Register the app: first with a mistake (a plain-http redirect URI on
	// a public host), which is named next to its field.
	b.run("open the form",
		chromedp.Click(chromedp.CSS(`a.button.primary`)),
		chromedp.WaitVisible(chromedp.ID("redirect-uris")))
	b.shot("dashboard-register")
	b.run("register with a mistake",
		chromedp.SendKeys(chromedp.ID("name"), "Acme Blog"),
		chromedp.SendKeys(chromedp.ID("redirect-uris"), "http://blog.acme.example/callback"),
		chromedp.Click(chromedp.CSS(`form.stack button.primary`)),
		chromedp.WaitVisible(chromedp.ID("redirect-uris-error")))
	if got := b.text("#redirect-uris-error"); !strings.Contains(got, "must use https") {
		t.Errorf("redirect URI problem = %q", got)
	}
	if got := b.value("#name"); got != "Acme Blog" {
		t.Errorf("after the mistake the name field holds %q, want it kept", got)
	}
	b.screenshot("dashboard-register-errors")
	b.run("register",
		chromedp.Clear(chromedp.ID("redirect-uris")),
		chromedp.SendKeys(chromedp.ID("redirect-uris"), d.app.callback()),
		chromedp.Click(chromedp.ID("scope-offline-access")),
		chromedp.Click(chromedp.CSS(`form.stack button.primary`)),
		chromedp.WaitVisible(chromedp.ID("client-secret")))
	b.screenshot("dashboard-app-registered")
	clientID, secret := b.copied("client-id"), b.copied("client-secret")
	if !strings.HasPrefix(clientID, "gth_ci_") || !strings.HasPrefix(secret, "gth_cs_") {
		t.Fatalf("copied client ID %q and secret %q, want generated values", clientID, secret)
	}

	// The app's page: the setup fields, copied one by one.
	b.run("open the app's page",
		chromedp.Click(chromedp.CSS(`a.button.primary`)),
		chromedp.WaitVisible(chromedp.ID("setup-issuer")))
	b.screenshot("dashboard-app")
	if body := b.text("main"); strings.Contains(body, secret) {
		t.Fatal("the app's page shows the secret again")
	}
	setup := map[string]string{}
	for _, id := range []string{"client-id", "issuer", "discovery", "authorize", "token", "userinfo", "jwks", "logout", "scopes"} {
		setup[id] = b.copied("setup-" + id)
	}
	if setup["client-id"] != clientID {
		t.Errorf("the app's page gives client ID %q, the registration %q", setup["client-id"], clientID)
	}

	// A relying party set up with exactly those values, field by field as a
	// plugin that does not read discovery asks for them; the discovery
	// document at the copied URL must agree.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var disc struct {
		Issuer                string `json:"issuer"`
		AuthorizationEndpoint string `json:"authorization_endpoint"`
		TokenEndpoint         string `json:"token_endpoint"`
		UserinfoEndpoint      string `json:"userinfo_endpoint"`
		JWKSURI               string `json:"jwks_uri"`
		EndSessionEndpoint    string `json:"end_session_endpoint"`
	}
	fetchJSON(t, setup["discovery"], &disc)
	for name, pair := range map[string][2]string{
		"issuer":                 {disc.Issuer, setup["issuer"]},
		"authorization_endpoint": {disc.AuthorizationEndpoint, setup["authorize"]},
		"token_endpoint":         {disc.TokenEndpoint, setup["token"]},
		"userinfo_endpoint":      {disc.UserinfoEndpoint, setup["userinfo"]},
		"jwks_uri":               {disc.JWKSURI, setup["jwks"]},
		"end_session_endpoint":   {disc.EndSessionEndpoint, setup["logout"]},
	} {
		if pair[0] != pair[1] {
			t.Errorf("discovery %s = %q, the dashboard says %q", name, pair[0], pair[1])
		}
	}
	provider := (&oidc.ProviderConfig{
		IssuerURL: setup["issuer"], AuthURL: setup["authorize"], TokenURL: setup["token"],
		UserInfoURL: setup["userinfo"], JWKSURL: setup["jwks"], Algorithms: []string{"RS256"},
	}).NewProvider(ctx)
	conf := oauth2.Config{ClientID: setup["client-id"], ClientSecret: secret, Endpoint: provider.Endpoint(),
		RedirectURL: d.app.callback(), Scopes: strings.Fields(setup["scopes"])}
	state, nonce, verifier := randomString(), randomString(), oauth2.GenerateVerifier()
	b.run("sign in to the app",
		chromedp.Navigate(conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))),
		chromedp.WaitVisible(chromedp.CSS(`button[value="allow"]`)))
	b.run("allow", chromedp.Click(chromedp.CSS(`button[value="allow"]`)), chromedp.WaitVisible(chromedp.ID("app")))
	h := d.app.wait(t, state, actionTimeout)
	if h.Params.Get("iss") != setup["issuer"] {
		t.Errorf("authorization response iss = %q, want %q", h.Params.Get("iss"), setup["issuer"])
	}
	tok, err := conf.Exchange(ctx, h.Params.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange with the copied values: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("verify the ID token with the copied JWKS URL: %v", err)
	}
	var claims struct {
		Nonce string `json:"nonce"`
		Email string `json:"email"`
	}
	if err := idt.Claims(&claims); err != nil || idt.Subject != ana.ID || claims.Nonce != nonce || claims.Email != "ana@example.com" {
		t.Errorf("ID token: sub %s, claims %+v (%v); want ana's", idt.Subject, claims, err)
	}
	if tok.RefreshToken == "" {
		t.Error("offline_access was chosen in the form, but no refresh token came")
	}
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || ui.Subject != ana.ID {
		t.Errorf("userinfo at the copied URL: %v, %v", ui, err)
	}

	// Every other page, each with a screenshot.
	b.run("rotate: confirmation",
		chromedp.Navigate(dash+"/clients"),
		chromedp.WaitVisible(chromedp.CSS(`.items a`)),
		chromedp.Click(chromedp.CSS(`.items a`)),
		chromedp.WaitVisible(chromedp.ID("setup-issuer")),
		chromedp.Click(chromedp.CSS(`form[action$="/rotate"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="grace"]`)))
	b.shot("dashboard-rotate-confirm")
	b.run("rotate", chromedp.Click(chromedp.CSS(`form button.danger`)), chromedp.WaitVisible(chromedp.ID("client-secret")))
	if got := b.value("#client-id"); got == clientID {
		t.Error("rotation kept the client ID")
	}
	b.run("edit form",
		chromedp.Click(chromedp.CSS(`a.button.primary`)),
		chromedp.WaitVisible(chromedp.ID("setup-issuer")),
		chromedp.Click(chromedp.CSS(`a[href$="/edit"]`)),
		chromedp.WaitVisible(chromedp.ID("redirect-uris")))
	b.shot("dashboard-app-edit")
	b.run("delete: confirmation",
		chromedp.Navigate(dash+"/clients"),
		chromedp.Click(chromedp.CSS(`.items a`)),
		chromedp.WaitVisible(chromedp.ID("setup-issuer")),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="settings-heading"] button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(`form.stack button.danger`)))
	b.shot("dashboard-delete-confirm")
	b.run("apps list", chromedp.Navigate(dash+"/clients"), chromedp.WaitVisible(chromedp.CSS(`.items a`)))
	b.shot("dashboard-apps")

	b.run("users", chromedp.Click(chromedp.CSS(`nav a[href$="/users"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href$="/users/new"]`)))
	b.shot("dashboard-users")
	b.run("add a user: form", chromedp.Click(chromedp.CSS(`a.button.primary`)), chromedp.WaitVisible(chromedp.ID("username")))
	b.shot("dashboard-user-new")
	b.run("add a user",
		chromedp.SendKeys(chromedp.ID("username"), "carla"),
		chromedp.SendKeys(chromedp.ID("email"), "carla@example.com"),
		chromedp.SendKeys(chromedp.ID("roles"), "agent"),
		chromedp.Click(chromedp.CSS(`form.stack button.primary`)),
		chromedp.WaitVisible(chromedp.ID("password-link")))
	if link := b.copied("password-link"); !strings.HasPrefix(link, d.tenantIssuer("acme")+"/password/set?token=") {
		t.Errorf("set-password link = %q", link)
	}
	b.shot("dashboard-user-invited")
	b.run("user page", chromedp.Click(chromedp.CSS(`a.button.primary`)), chromedp.WaitVisible(chromedp.ID("roles")))
	b.shot("dashboard-user")
	b.run("disable: confirmation",
		chromedp.Click(chromedp.CSS(`form[action$="/status"] button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(`form.stack button.danger`)))
	b.shot("dashboard-disable-confirm")

	b.run("API keys", chromedp.Click(chromedp.CSS(`nav a[href$="/apikeys"]`)), chromedp.WaitVisible(chromedp.CSS(`a[href$="/apikeys/new"]`)))
	b.run("API key form", chromedp.Click(chromedp.CSS(`a.button.primary`)), chromedp.WaitVisible(chromedp.ID("name")))
	b.shot("dashboard-apikey-new")
	b.run("create an API key",
		chromedp.SendKeys(chromedp.ID("name"), "CRM sync"),
		chromedp.Click(chromedp.ID("scope-oauth-clients-read")),
		chromedp.Click(chromedp.CSS(`form.stack button.primary`)),
		chromedp.WaitVisible(chromedp.ID("api-key")))
	if key := b.copied("api-key"); !strings.HasPrefix(key, "gth_sk_") {
		t.Errorf("API key = %q", key)
	}
	b.shot("dashboard-apikey-created")
	b.run("API key list", chromedp.Click(chromedp.CSS(`a.button.primary`)), chromedp.WaitVisible(chromedp.CSS(`.items form[action$="/revoke"]`)))
	b.shot("dashboard-apikeys")

	b.run("audit log", chromedp.Click(chromedp.CSS(`nav a[href$="/audit"]`)), chromedp.WaitVisible(chromedp.CSS(`.events`)))
	if got := b.text(".events"); !strings.Contains(got, "client.create") || !strings.Contains(got, "user ana") {
		t.Errorf("the audit log does not name ana's registration of the app:\n%s", got)
	}
	b.screenshot("dashboard-audit")

	b.run("branding", chromedp.Click(chromedp.CSS(`nav a[href$="/branding"]`)), chromedp.WaitVisible(chromedp.ID("primary-color")))
	b.run("save branding",
		chromedp.SendKeys(chromedp.ID("primary-color"), "#0a7d32"),
		chromedp.SendKeys(chromedp.ID("background-color"), "#eef6f0"),
		chromedp.Click(chromedp.CSS(`form.stack button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	b.screenshot("dashboard-branding")

	// An agent gets the 403 page.
	b.run("sign out", chromedp.Click(chromedp.CSS(`.dash-who button`)), chromedp.WaitVisible(chromedp.CSS(`p.lead[role="status"]`)))
	b.run("sign in as an agent",
		chromedp.Navigate(dash),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("username"), "bo"),
		chromedp.SendKeys(chromedp.ID("password"), "another long passphrase"),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert`)))
	if got := b.text("h1"); got != "You cannot use this dashboard" {
		t.Errorf("agent: heading %q", got)
	}
	b.shot("dashboard-denied")
}

// shot writes a screenshot of the whole page on a desktop and on a phone
// (b.screenshot adds the phone in dark mode) and leaves the tab on the
// phone.
func (b *browser) shot(name string) {
	b.t.Helper()
	b.screenshots(name, viewport{"desktop", desktop()}, viewport{"phone", phone()})
}

// grantClipboard lets pages read and write the clipboard without asking,
// so the test can copy as a person does and read what was copied. A
// headless tab is never focused, and the clipboard works only in a
// focused document: the tab is made to behave as if it were.
func grantClipboard() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
			return err
		}
		for _, name := range []string{"clipboard-read", "clipboard-write"} {
			_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
				Permission: &cdpbrowser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
				Setting:    "granted",
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// copied clicks the copy button of the read-only field with id, as a
// person does, and returns what reached the clipboard.
func (b *browser) copied(id string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab, actionTimeout)
	defer cancel()
	sel := chromedp.CSS(`button[data-copy="` + id + `"]`)
	err := chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`navigator.clipboard.writeText("")`, chromedp.EvalAwaitPromise),
		chromedp.WaitVisible(sel),
		chromedp.Click(sel))
	if err != nil {
		b.t.Fatalf("browser: copy #%s: %v (at %s)", id, err, b.location())
	}
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
		if err != nil {
			b.t.Fatalf("browser: read the clipboard after copying #%s: %v", id, err)
		}
		if got != "" {
			return got
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("browser: copying #%s put nothing on the clipboard", id)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// fetchJSON reads a JSON document over HTTP.
func fetchJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// TestDashboardBrowserManage uses the dashboard's forms that keep an app
// and its users up to date, in headless Chromium against the real binary:
// it uploads the app's logos (one refused, named next to its field), adds
// a credential and copies its secret, stops a credential after
// confirming, changes a user's email (a mistake first) and sets a custom
// domain, then removes it after confirming. Each page is written as a
// screenshot on a desktop and a phone into the test's artifact directory.
func TestDashboardBrowserManage(t *testing.T) {
	t.Parallel()
	chromium(t)
	d := newDeployment(t)
	d.mustTenant("acme", "Acme Inc")
	ana := d.mustUser("acme", "ana", "Ana Lima", "correct horse battery staple", "owner")
	bo := d.mustUser("acme", "bo", "Bo Berg", "another long passphrase", "agent")
	app := d.mustClient("acme", "Acme Blog")
	d.start()
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.png")
	if err := os.WriteFile(logo, logoPNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	badSVG := filepath.Join(dir, "dark.svg")
	if err := os.WriteFile(badSVG, []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 0o644); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.run("let the page use the clipboard", grantClipboard())
	dash := d.tenantIssuer("acme") + "/dashboard"
	appPage := dash + "/clients/" + app.ID

	b.run("sign in",
		chromedp.Navigate(appPage),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("username"), ana.Username),
		chromedp.SendKeys(chromedp.ID("password"), ana.password),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("logo-file")))

	// Logos: a PNG for light backgrounds, then an SVG with a script for
	// dark ones, which is refused next to its field.
	b.run("upload the logo",
		chromedp.SetUploadFiles(chromedp.ID("logo-file"), []string{logo}),
		chromedp.Click(chromedp.CSS(`form[action$="/logos/logo"] button[type="submit"]:not([formaction])`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if got := b.text(".notice"); !strings.Contains(got, "The logo is saved.") {
		t.Errorf("after the upload: notice %q", got)
	}
	b.run("upload a refused dark logo",
		chromedp.SetUploadFiles(chromedp.ID("logo-dark-file"), []string{badSVG}),
		chromedp.Click(chromedp.CSS(`form[action$="/logos/logo-dark"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("logo-dark-error")))
	if got := b.text("#logo-dark-error"); !strings.Contains(got, "script") {
		t.Errorf("the refused SVG: problem %q, want it to name the script", got)
	}
	ctx, cancel := context.WithTimeout(b.tab, actionTimeout)
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(done => {
		const img = document.querySelector(".logo-preview img");
		if (!img) return done(false);
		if (img.complete) return done(img.naturalWidth === 64);
		img.onload = () => done(img.naturalWidth === 64);
		img.onerror = () => done(false);
	})`, chromedp.EvalAwaitPromise))
	cancel()
	if err != nil || !loaded {
		t.Errorf("the preview of the uploaded logo did not load from our origin (%v)", err)
	}
	b.screenshot("dashboard-app-logos")
	b.run("remove the logo: confirmation",
		chromedp.Click(chromedp.CSS(`button[formaction$="/logos/logo/delete"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.stack button.danger`)))
	if got := b.text("h1"); got != "Remove the logo of Acme Blog?" {
		t.Errorf("the remove button led to %q, want the confirmation", got)
	}
	b.shot("dashboard-logo-remove-confirm")
	b.run("keep the logo",
		chromedp.Click(chromedp.CSS(`form.stack a.button.secondary`)),
		chromedp.WaitVisible(chromedp.CSS(`.logo-preview img`)))

	// Another credential, its secret shown once.
	b.run("add a credential: form",
		chromedp.Click(chromedp.CSS(`a[href$="/credentials/new"]`)),
		chromedp.WaitVisible(chromedp.ID("expires-never")))
	b.shot("dashboard-credential-new")
	// A time filled in chooses "at a time" (the page's script), as a
	// person picking it from the browser's calendar does.
	ctx, cancel = context.WithTimeout(b.tab, actionTimeout)
	chosen, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const field = document.getElementById("expires-time");
		field.value = "2030-12-31T09:30";
		field.dispatchEvent(new Event("input", {bubbles: true}));
		return document.getElementById("expires-at").checked;
	})()`))
	cancel()
	if err != nil || !chosen {
		t.Errorf("filling in the time did not choose it (%v)", err)
	}
	b.run("add a credential",
		chromedp.SendKeys(chromedp.ID("name"), "staging server"),
		chromedp.Click(chromedp.CSS(`form.stack button.primary`)),
		chromedp.WaitVisible(chromedp.ID("client-secret")))
	if secret := b.copied("client-secret"); !strings.HasPrefix(secret, "gth_cs_") {
		t.Errorf("the new credential's secret = %q", secret)
	}
	if got := b.text("main"); !strings.Contains(got, "31 Dec 2030, 09:30 UTC") {
		t.Errorf("the new credential does not expire at the time chosen:\n%s", got)
	}
	b.shot("dashboard-credential-added")

	// Stop the first credential now, after confirming.
	b.run("expiry form",
		chromedp.Click(chromedp.CSS(`a.button.primary`)),
		chromedp.WaitVisible(chromedp.ID("logo-file")),
		chromedp.Click(chromedp.CSS(`a[href$="/expiry"]`)),
		chromedp.WaitVisible(chromedp.ID("expires-time")))
	b.shot("dashboard-credential-expiry")
	b.run("stop now: confirmation",
		chromedp.Click(chromedp.ID("expires-now")),
		chromedp.Click(chromedp.CSS(`form.stack button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`form.stack button.danger`)))
	b.shot("dashboard-credential-stop-confirm")
	b.run("stop now",
		chromedp.Click(chromedp.CSS(`form.stack button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(`.items .badge.warn`)))
	if got := b.text(".notice"); !strings.Contains(got, "stopped working") {
		t.Errorf("after stopping the credential: notice %q", got)
	}
	b.shot("dashboard-app-credentials")

	// A user's email: a mistake first, named next to the field.
	b.run("edit a user",
		chromedp.Navigate(dash+"/users/"+bo.ID),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/edit"]`)),
		chromedp.Click(chromedp.CSS(`a[href$="/edit"]`)),
		chromedp.WaitVisible(chromedp.ID("full-name")),
		chromedp.Clear(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "bo@"),
		chromedp.Click(chromedp.CSS(`form.stack button.primary`)),
		chromedp.WaitVisible(chromedp.ID("email-error")))
	b.screenshot("dashboard-user-edit-errors")
	b.run("save the user",
		chromedp.Clear(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "bo.berg@example.com"),
		chromedp.Click(chromedp.CSS(`form.stack button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if got := b.text("main"); !strings.Contains(got, "bo.berg@example.com") {
		t.Error("the user's page does not show the new email")
	}

	// A custom domain, then its removal, which asks first.
	b.run("set a custom domain",
		chromedp.Navigate(dash+"/branding"),
		chromedp.WaitVisible(chromedp.ID("domains")),
		chromedp.SendKeys(chromedp.ID("domains"), "login.acme.example"),
		chromedp.Click(chromedp.CSS(`form[action$="/domains"] button`)),
		chromedp.WaitVisible(chromedp.ID("domain-issuer-1")))
	if got := b.value("#domain-issuer-1"); got != "https://login.acme.example" {
		t.Errorf("the issuer on the domain = %q", got)
	}
	b.screenshot("dashboard-branding-domains")
	b.run("remove the domain: confirmation",
		chromedp.Clear(chromedp.ID("domains")),
		chromedp.Click(chromedp.CSS(`form[action$="/domains"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form.stack button.danger`)))
	b.shot("dashboard-domains-remove-confirm")
	b.run("remove the domain",
		chromedp.Click(chromedp.CSS(`form.stack button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if got := b.value("#domains"); got != "" {
		t.Errorf("after removing: the domains field holds %q", got)
	}
}

// logoPNG is a 64×32 logo.
func logoPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for x := range 64 {
		for y := range 32 {
			if (x/8+y/8)%2 == 0 {
				img.Set(x, y, color.RGBA{R: 10, G: 125, B: 50, A: 255})
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
