package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"mime"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// files holds the templates and the static assets. Only what is listed
// here is embedded: a stray file in the folders is not served.
//
//go:embed templates/*.html static/*
var files embed.FS

// StaticPrefix is the path under which Static serves the assets; register
// Static for GET StaticPrefix.
const StaticPrefix = "/static/"

// layoutFile is the base layout every page template is parsed with.
const layoutFile = "layout.html"

// staticMaxAge is how long browsers and shared caches keep an asset. The
// names carry a content hash, so a changed file gets a new URL.
const staticMaxAge = 365 * 24 * time.Hour

// Renderer writes the hosted pages. Build it once with New and share it;
// it is safe for concurrent use.
type Renderer struct {
	pages map[string]*template.Template
	// assets are the static files by their hashed name; urls maps a
	// file's own name to the URL of its hashed name.
	assets map[string]asset
	urls   map[string]string
	// nonce returns a fresh CSP nonce; tests pin it.
	nonce func() string
}

type asset struct {
	body        []byte
	contentType string
	etag        string
}

// New parses every embedded template with the base layout and indexes the
// static assets. A template that does not parse is an error here, at
// start-up, never while serving a request.
func New() (*Renderer, error) {
	return newRenderer(files, newNonce)
}

func newRenderer(fsys fs.FS, nonce func() string) (*Renderer, error) {
	r := &Renderer{
		pages:  map[string]*template.Template{},
		assets: map[string]asset{},
		urls:   map[string]string{},
		nonce:  nonce,
	}
	if err := r.loadAssets(fsys); err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: list templates: %w", err)
	}
	funcs := template.FuncMap{
		"asset": r.assetURL,
		"date":  formatDate,
	}
	frame, err := fs.Glob(fsys, "templates/"+dashboardFrame)
	if err != nil {
		return nil, fmt.Errorf("web: find the dashboard frame: %w", err)
	}
	for _, name := range names {
		base := path.Base(name)
		if base == layoutFile || base == dashboardFrame {
			continue
		}
		parts := []string{"templates/" + layoutFile}
		if isDashboard(base) {
			parts = append(parts, frame...)
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(fsys, append(parts, name)...)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", base, err)
		}
		if t.Lookup("layout") == nil || t.Lookup("content") == nil {
			return nil, fmt.Errorf("web: %s must define \"content\" and be parsed with a layout defining \"layout\"", base)
		}
		r.pages[strings.TrimSuffix(base, ".html")] = t
	}
	for _, want := range allPages {
		if r.pages[want] == nil {
			return nil, fmt.Errorf("web: no template for page %q", want)
		}
	}
	return r, nil
}

// loadAssets reads every file under static/ and names it by its content
// hash: "gatehouse.css" is served as "gatehouse.1a2b3c4d5e6f.css".
func (r *Renderer) loadAssets(fsys fs.FS) error {
	entries, err := fs.ReadDir(fsys, "static")
	if err != nil {
		return fmt.Errorf("web: list static assets: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		body, err := fs.ReadFile(fsys, "static/"+name)
		if err != nil {
			return fmt.Errorf("web: read static asset %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:6])
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hash + ext
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		r.assets[hashed] = asset{body: body, contentType: ctype, etag: `"` + hash + `"`}
		r.urls[name] = StaticPrefix + hashed
	}
	return nil
}

// assetURL is the template function that turns an asset's name into its
// content-hashed URL. An unknown name fails the render.
func (r *Renderer) assetURL(name string) (string, error) {
	u, ok := r.urls[name]
	if !ok {
		return "", fmt.Errorf("no static asset %q", name)
	}
	return u, nil
}

// AssetURL returns the URL of a static asset by its file name, and
// whether there is such an asset.
func (r *Renderer) AssetURL(name string) (string, bool) {
	u, ok := r.urls[name]
	return u, ok
}

// formatDate shows a time to a person, in UTC: the pages do not know the
// reader's zone.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// Static serves the assets under StaticPrefix by their hashed names, with
// long-lived immutable caching. Any other path is 404.
func (r *Renderer) Static() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		name, ok := strings.CutPrefix(req.URL.Path, StaticPrefix)
		a, found := r.assets[name]
		if !ok || !found {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(staticMaxAge.Seconds()))+", immutable")
		h.Set("ETag", a.etag)
		if inm := req.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, a.etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", a.contentType)
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
		w.WriteHeader(http.StatusOK)
		if req.Method != http.MethodHead {
			w.Write(a.body)
		}
	})
}

// etagMatches reports whether an If-None-Match header names etag (or *).
func etagMatches(header, etag string) bool {
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if part == etag || part == "*" {
			return true
		}
	}
	return false
}

// Page is one page to render: its title, whose page it is, and the data
// of the page itself, whose type chooses the template.
type Page struct {
	// Title is the page's <title> and main heading.
	Title string
	Brand Brand
	Data  PageData
}

// Brand is how a tenant's pages look. Colors that are not #rgb or
// #rrggbb are ignored; logos are shown only when set.
type Brand struct {
	Name            string
	LogoURI         string
	LogoDarkURI     string
	PrimaryColor    string
	BackgroundColor string
}

// PageData is the data of one page template: one of the types of this
// package (SignIn, Consent, ...).
type PageData interface {
	template() string
}

// view is what the layout executes with.
type view struct {
	Page
	Nonce string
	Style template.CSS
}

// CSP returns the Content-Security-Policy of a rendered page: nothing
// loads but our own styles and images (tenant logos from any https
// origin), the one inline style must carry nonce, and the page can be
// neither framed nor rebased. There is no form-action: browsers apply it
// to the redirect after a form post, which would block the way back to a
// client's redirect URI.
func CSP(nonce string) string {
	return "default-src 'none'; style-src 'self' 'nonce-" + nonce + "'; img-src 'self' https: data:; " +
		"base-uri 'none'; frame-ancestors 'none'"
}

// Render writes p with the given status, sending the page's CSP with a
// fresh nonce, X-Frame-Options DENY and Cache-Control no-store. The page
// is rendered in full before anything is written: if rendering fails, it
// writes a plain 500 instead and returns the error for the log.
func (r *Renderer) Render(w http.ResponseWriter, status int, p Page) error {
	if p.Data == nil {
		writeFailure(w)
		return errors.New("web: render: page has no data")
	}
	name := p.Data.template()
	t := r.pages[name]
	if t == nil {
		writeFailure(w)
		return fmt.Errorf("web: render: no template %q", name)
	}
	nonce := r.nonce()
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", view{Page: p, Nonce: nonce, Style: brandStyle(p.Brand)}); err != nil {
		writeFailure(w)
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Content-Security-Policy", pageCSP(p.Data, nonce))
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// writeFailure answers when a page cannot be rendered, which is a bug: a
// fixed text, nothing about the cause.
func writeFailure(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte("Something went wrong on our side. Please try again.\n"))
}

// newNonce returns 128 random bits for a CSP nonce.
func newNonce() string {
	var b [16]byte
	rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b[:])
}

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// brandStyle returns the CSS custom properties of a tenant's colors, or ""
// when it has none. Only validated hex colors get in, so the text is safe
// to place in a style element as it is. The text color on the primary
// color is chosen for contrast.
func brandStyle(b Brand) template.CSS {
	var props []string
	if hexColor.MatchString(b.PrimaryColor) {
		c := strings.ToLower(b.PrimaryColor)
		props = append(props, "--primary:"+c, "--on-primary:"+contrastText(c))
	}
	if hexColor.MatchString(b.BackgroundColor) {
		props = append(props, "--tenant-bg:"+strings.ToLower(b.BackgroundColor))
	}
	if len(props) == 0 {
		return ""
	}
	sort.Strings(props)
	return template.CSS(":root{" + strings.Join(props, ";") + "}")
}

// contrastText returns the text color, near-white or near-black, that
// contrasts more with a #rgb or #rrggbb background (WCAG 2 relative
// luminance).
func contrastText(c string) string {
	l := luminance(c)
	// Contrast ratios against #ffffff (L=1) and #111111 (L≈0.0056).
	const white, black = 1.0, 0.0056
	if (white+0.05)/(l+0.05) >= (l+0.05)/(black+0.05) {
		return "#ffffff"
	}
	return "#111111"
}

// luminance is the WCAG 2 relative luminance of a hex color.
func luminance(c string) float64 {
	h := strings.TrimPrefix(c, "#")
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	ch := func(s string) float64 {
		v, _ := strconv.ParseUint(s, 16, 8)
		x := float64(v) / 255
		if x <= 0.03928 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(h[0:2]) + 0.7152*ch(h[2:4]) + 0.0722*ch(h[4:6])
}
