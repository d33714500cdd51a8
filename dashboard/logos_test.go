package dashboard_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-id/gatehouse"
	"github.com/gatehouse-id/gatehouse/gatehousetest"
)

// upload posts a file as the logo forms do (multipart/form-data, the file
// in "image") with the form's other fields.
func (b *browser) upload(u string, fields url.Values, filename string, data []byte) *gatehousetest.Page {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("image", filename)
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.URL(u), &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.Do(req)
}

// pngImage is a small PNG of w×h pixels.
func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, x%h, color.RGBA{R: 200, G: 30, B: 60, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLogos uploads an app's light and dark logos from its page: the
// image is checked as the API checks it and served from our origin; each
// problem is shown next to its logo; removing one asks first.
func TestLogos(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	app := s.MustClient(t, fx.tenant.ID, func(c *gatehouse.Client) { c.Name = "Acme CRM" })
	b := newBrowser(t, s)
	b.signIn("/t/acme/dashboard", "", fx.admin.Username)
	self := "/t/acme/dashboard/clients/" + app.ID
	logo := pngImage(t, 64, 32)

	page := b.Get(self)
	for _, want := range []string{
		`action="` + self + `/logos/logo" enctype="multipart/form-data"`,
		`action="` + self + `/logos/logo-dark" enctype="multipart/form-data"`,
		`<input id="logo-file" name="image" type="file" accept="image/png,image/jpeg,image/svg+xml"`,
	} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the app's page lacks %s", want)
		}
	}
	rev := page.Form(t, "/logos/logo").Fields

	t.Run("problems", func(t *testing.T) {
		huge := append(pngImage(t, 8, 8), bytes.Repeat([]byte{0}, gatehouse.MaxAssetSize)...)
		tests := []struct {
			name   string
			logo   string
			file   []byte
			field  string
			want   string
			status int
		}{
			{"no file", "logo", nil, "logo", "Choose an image file to upload.", 422},
			{"a script in an SVG", "logo-dark", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
				"logo-dark", "The SVG has a script (<script>), which is not allowed.", 422},
			{"a broken PNG", "logo", []byte("\x89PNG\r\n\x1a\nnot really"), "logo", "The image is not a readable image/png image.", 422},
			{"not an image", "logo", []byte("just text"), "logo", "The logo must be a PNG, JPEG or SVG image.", 415},
			{"too large", "logo", huge, "logo", "The logo must be at most 256 KiB.", 413},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				p := b.upload(self+"/logos/"+tc.logo, rev, "logo.file", tc.file)
				if p.Status != tc.status || !strings.Contains(fieldError(p, tc.field), tc.want) {
					t.Errorf("got %d with %q next to %s, want %d with %q", p.Status, fieldError(p, tc.field), tc.field, tc.status, tc.want)
				}
				if !strings.Contains(p.Body, `id="form-error"`) {
					t.Error("no alert at the top of the page")
				}
			})
		}
		if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); c.LogoURI != "" || c.LogoDarkURI != "" {
			t.Errorf("refused uploads set logos: %q, %q", c.LogoURI, c.LogoDarkURI)
		}
		if p := b.Post(self+"/logos/logo", url.Values{"revision": rev["revision"]}); p.Status != http.StatusBadRequest {
			t.Errorf("a form that is not multipart: got %d, want 400", p.Status)
		}
		if p := b.upload(self+"/logos/banner", rev, "logo.png", logo); p.Status != http.StatusNotFound {
			t.Errorf("an unknown logo: got %d, want 404", p.Status)
		}
	})

	t.Run("upload", func(t *testing.T) {
		p := b.upload(self+"/logos/logo", rev, "logo.png", logo)
		if p.URL.Path != self || !strings.Contains(p.Body, "The logo is saved.") {
			t.Fatalf("upload: got %d at %s:\n%s", p.Status, p.URL, p.Body)
		}
		c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID)
		if !strings.HasPrefix(c.LogoURI, s.URL+"/t/acme/assets/clients/"+app.ID+"/logo?v=") {
			t.Fatalf("the logo URI is %q, want the copy served on the tenant's issuer", c.LogoURI)
		}
		if !strings.Contains(p.Body, `<img src="`+strings.ReplaceAll(c.LogoURI, "&", "&amp;")+`" alt="The current Logo">`) {
			t.Error("the app's page does not preview the logo")
		}
		img := b.Get(c.LogoURI)
		if img.Status != http.StatusOK || img.Header.Get("Content-Type") != "image/png" || img.Body != string(logo) {
			t.Errorf("the served logo: got %d %s (%d bytes)", img.Status, img.Header.Get("Content-Type"), len(img.Body))
		}
		if evs := s.MustAuditEvents(t, fx.tenant.ID, "client.logo.set"); len(evs) != 1 || evs[0].Actor != "user:"+fx.admin.ID {
			t.Errorf("got client.logo.set events %+v, want one by the admin", evs)
		}
		// The page of before carries a revision that is stale now.
		stale := b.upload(self+"/logos/logo-dark", rev, "dark.png", logo)
		if stale.Status != http.StatusConflict || !strings.Contains(fieldError(stale, "logo-dark"), "Someone changed this") {
			t.Errorf("a stale upload: got %d with %q", stale.Status, fieldError(stale, "logo-dark"))
		}
	})

	t.Run("remove, after confirming", func(t *testing.T) {
		page := b.Get(self)
		if strings.Contains(page.Body, `formaction="`+self+`/logos/logo-dark/delete"`) {
			t.Error("the dark logo, never uploaded, can be removed")
		}
		remove := self + "/logos/logo/delete"
		if !strings.Contains(page.Body, `formaction="`+remove+`"`) {
			t.Fatalf("the uploaded logo has no remove button:\n%s", page.Body)
		}
		confirm := b.Post(remove, url.Values{"revision": page.Form(t, "/logos/logo").Fields["revision"]})
		if confirm.Status != http.StatusOK || !strings.Contains(confirm.Body, "Remove logo") {
			t.Fatalf("remove: got %d, want a confirmation page:\n%s", confirm.Status, confirm.Body)
		}
		c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID)
		if c.LogoURI == "" {
			t.Fatal("the confirmation page removed the logo already")
		}
		gone := b.Submit(confirm, "/logos/logo/delete", nil)
		if !strings.Contains(gone.Body, "The logo is removed.") {
			t.Fatalf("remove: got %d at %s", gone.Status, gone.URL)
		}
		if after, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); after.LogoURI != "" {
			t.Errorf("the logo URI is still %q", after.LogoURI)
		}
		if img := b.Get(c.LogoURI); img.Status != http.StatusNotFound {
			t.Errorf("the removed logo: got %d, want 404", img.Status)
		}
	})
}

// TestCrossSiteUpload checks that a logo posted from another site is
// refused.
func TestCrossSiteUpload(t *testing.T) {
	t.Parallel()
	s := gatehousetest.MustRunServer(t)
	fx := newFixture(t, s, "acme")
	app := s.MustClient(t, fx.tenant.ID, nil)
	b := newBrowser(t, s)
	b.signIn("/t/acme/dashboard", "", fx.owner.Username)
	b.Header.Set("Sec-Fetch-Site", "cross-site")
	b.Header.Set("Origin", "https://evil.example")
	p := b.upload("/t/acme/dashboard/clients/"+app.ID+"/logos/logo", url.Values{"revision": {"1"}}, "logo.png", pngImage(t, 4, 4))
	if p.Status != http.StatusForbidden {
		t.Errorf("got %d, want 403", p.Status)
	}
	if c, _ := s.App.Admin.Client(t.Context(), fx.tenant.ID, app.ID); c.LogoURI != "" {
		t.Error("a cross-site upload set the logo")
	}
}
