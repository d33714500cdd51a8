package admin

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

const svgOpen = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">`

// TestSanitizeSVGRefuses feeds the sanitizer hostile SVGs: each must be
// refused with a reason, never passed on.
func TestSanitizeSVGRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		svg  string
	}{
		{"a script", svgOpen + `<script>alert(1)</script></svg>`},
		{"a script in the SVG namespace by prefix", `<s:svg xmlns:s="http://www.w3.org/2000/svg"><s:script>alert(1)</s:script></s:svg>`},
		{"an XHTML script", svgOpen + `<g><script xmlns="http://www.w3.org/1999/xhtml">alert(1)</script></g></svg>`},
		{"a script with odd case", svgOpen + `<SCRIPT>alert(1)</SCRIPT></svg>`},
		{"a script inside an element that is dropped", svgOpen + `<metadata><script>alert(1)</script></metadata></svg>`},
		{"a foreignObject", svgOpen + `<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject></svg>`},
		{"an iframe", svgOpen + `<iframe src="https://evil.example"/></svg>`},
		{"an embed", svgOpen + `<embed src="x.swf"/></svg>`},
		{"an object", svgOpen + `<object data="x"/></svg>`},
		{"onload on the root", `<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`},
		{"onclick on a shape", svgOpen + `<rect width="1" height="1" onclick="alert(1)"/></svg>`},
		{"an upper-case handler", svgOpen + `<rect ONMOUSEOVER="alert(1)"/></svg>`},
		{"a handler in another namespace", svgOpen + `<rect xmlns:x="urn:x" x:onload="alert(1)"/></svg>`},
		{"a handler on a dropped element", svgOpen + `<a onclick="alert(1)"><rect/></a></svg>`},
		{"animate setting href", svgOpen + `<a><animate attributeName="href" values="javascript:alert(1)"/></a></svg>`},
		{"set", svgOpen + `<set attributeName="onmouseover" to="alert(1)"/></svg>`},
		{"animateTransform", svgOpen + `<rect><animateTransform attributeName="transform" type="rotate" from="0" to="360"/></rect></svg>`},
		{"a javascript: link", svgOpen + `<a href="javascript:alert(1)"><rect/></a></svg>`},
		{"a javascript: xlink", svgOpen + `<a xlink:href="javascript:alert(1)"><rect/></a></svg>`},
		{"javascript: with spaces and entities", svgOpen + `<a href=" jav&#x09;ascript&#58;alert(1)"><rect/></a></svg>`},
		{"javascript: upper case", svgOpen + `<a href="JaVaScRiPt:alert(1)"><rect/></a></svg>`},
		{"vbscript:", svgOpen + `<a href="vbscript:msgbox(1)"><rect/></a></svg>`},
		{"use of an external file", svgOpen + `<use href="https://evil.example/sprite.svg#icon"/></svg>`},
		{"use of an external file by xlink", svgOpen + `<use xlink:href="sprite.svg#icon"/></svg>`},
		{"use of a data URL", svgOpen + `<use href="data:image/svg+xml;base64,PHN2Zz4="/></svg>`},
		{"an external image", svgOpen + `<image href="https://tracker.example/pixel.png"/></svg>`},
		{"an SVG data image", svgOpen + `<image href="data:image/svg+xml;base64,PHN2Zz4="/></svg>`},
		{"a gradient from another file", svgOpen + `<linearGradient id="g" href="other.svg#g"/></svg>`},
		{"a fill from another file", svgOpen + `<rect fill="url(https://evil.example/x.svg#p)"/></svg>`},
		{"a style importing", svgOpen + `<style>@import url(https://evil.example/x.css);</style></svg>`},
		{"a style loading a font", svgOpen + `<style>@font-face{font-family:x;src:url("https://evil.example/f.woff")}</style></svg>`},
		{"a style attribute loading", svgOpen + `<rect style="fill:url(https://evil.example/x)"/></svg>`},
		{"a style with an escape", svgOpen + `<style>rect{fill:\75 rl(https://evil.example/x)}</style></svg>`},
		{"a style with expression", svgOpen + `<rect style="width:expression(alert(1))"/></svg>`},
		{"a style with behavior", svgOpen + `<style>rect{behavior:url(#x)}</style></svg>`},
		{"a DOCTYPE", `<!DOCTYPE svg [<!ENTITY x "y">]>` + svgOpen + `</svg>`},
		{"an external entity", `<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + svgOpen + `<text>&xxe;</text></svg>`},
		{"an undefined entity", svgOpen + `<text>&xxe;</text></svg>`},
		{"an xml-stylesheet", `<?xml-stylesheet href="https://evil.example/x.css"?>` + svgOpen + `</svg>`},
		{"an HTML page", `<html><body><script>alert(1)</script></body></html>`},
		{"a root that is not svg", `<rect xmlns="http://www.w3.org/2000/svg"/>`},
		{"an svg of another namespace", `<svg xmlns="http://www.w3.org/1999/xhtml"></svg>`},
		{"two roots", svgOpen + `</svg><svg xmlns="http://www.w3.org/2000/svg"/>`},
		{"not well-formed", svgOpen + `<rect></svg>`},
		{"not UTF-8", "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>\xff</text></svg>"},
		{"another encoding", `<?xml version="1.0" encoding="UTF-16"?>` + svgOpen + `</svg>`},
		{"too deep", svgOpen + strings.Repeat("<g>", 70) + strings.Repeat("</g>", 70) + `</svg>`},
		{"empty", ``},
		{"text", `hello`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := sanitizeSVG([]byte(tt.svg))
			var se *svgError
			if !errors.As(err, &se) || out != nil {
				t.Fatalf("got %q, %v; want an *svgError and nothing", out, err)
			}
			if se.reason == "" {
				t.Errorf("the refusal gives no reason")
			}
		})
	}
}

// TestSanitizeSVGKeeps checks what safe SVGs keep and what is dropped
// without refusing the file.
func TestSanitizeSVGKeeps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		svg      string
		want     []string
		wantNot  []string
		wantLink bool
	}{
		{
			name: "shapes, gradients and local references",
			svg: svgOpen + `<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>` +
				`<path id="p" d="M0 0L10 10"/></defs><rect width="10" height="10" fill="url(#g)" rx="2"/>` +
				`<use xlink:href="#p" transform="rotate(45)"/><text x="1" y="9" font-family="sans-serif">A&amp;B &lt;</text></svg>`,
			want: []string{`<linearGradient id="g">`, `fill="url(#g)"`, `<use xlink:href="#p"`, `A&amp;B &lt;`,
				`xmlns:xlink="http://www.w3.org/1999/xlink"`, `viewBox="0 0 10 10"`},
			wantLink: true,
		},
		{
			name: "an editor's extras are dropped",
			svg: `<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + "\n<!-- Created with an editor -->\n" +
				`<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" ` +
				`xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" width="10" height="10" inkscape:version="1.2">` +
				`<sodipodi:namedview pagecolor="#fff"/><metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>` +
				`<g inkscape:label="Layer 1" data-x="1"><circle cx="5" cy="5" r="4" style="fill:#e00;stroke:none"/></g></svg>`,
			want:    []string{`<circle cx="5" cy="5" r="4" style="fill:#e00;stroke:none">`, `<g>`, `width="10"`},
			wantNot: []string{"inkscape", "sodipodi", "metadata", "rdf", "data-x", "<!--"},
		},
		{
			name:    "a link without a script is dropped with its content",
			svg:     svgOpen + `<a href="https://example.com"><rect/></a><circle r="1"/></svg>`,
			want:    []string{`<circle r="1">`},
			wantNot: []string{"<a", "example.com", "<rect"},
		},
		{
			name: "an embedded raster image and a local style",
			svg: svgOpen + `<style>.a{fill:red} g > rect{stroke:url(#g)}</style>` +
				`<image width="2" height="2" href="data:image/png;base64,iVBORw0KGgo="/></svg>`,
			want: []string{`<style>.a{fill:red} g &gt; rect{stroke:url(#g)}</style>`, `href="data:image/png;base64,iVBORw0KGgo="`},
		},
		{
			name: "no namespace at all is written as SVG",
			svg:  `<svg viewBox="0 0 1 1"><rect width="1" height="1"/></svg>`,
			want: []string{`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"></rect></svg>`},
		},
		{
			name:    "attribute values are escaped on the way out",
			svg:     svgOpen + `<text aria-label="a&quot;b&lt;c">x</text></svg>`,
			want:    []string{`aria-label="a&#34;b&lt;c"`},
			wantNot: []string{`a"b`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := sanitizeSVG([]byte(tt.svg))
			if err != nil {
				t.Fatalf("sanitizeSVG: %v", err)
			}
			for _, w := range tt.want {
				if !bytes.Contains(out, []byte(w)) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.wantNot {
				if bytes.Contains(out, []byte(w)) {
					t.Errorf("output keeps %q:\n%s", w, out)
				}
			}
			if got := bytes.Contains(out, []byte("xmlns:xlink")); got != tt.wantLink {
				t.Errorf("xlink namespace declared: got %v, want %v", got, tt.wantLink)
			}
			// The output is well-formed, and sanitizing it again changes
			// nothing: nothing hides in what the sanitizer writes.
			again, err := sanitizeSVG(out)
			if err != nil {
				t.Fatalf("sanitizing the output: %v\n%s", err, out)
			}
			if !bytes.Equal(again, out) {
				t.Errorf("sanitizing twice differs:\n%s\n%s", out, again)
			}
			dec := xml.NewDecoder(bytes.NewReader(out))
			for {
				if _, err := dec.Token(); err != nil {
					if err != io.EOF {
						t.Errorf("output is not well-formed: %v", err)
					}
					break
				}
			}
		})
	}
}

func TestCheckLogo(t *testing.T) {
	t.Parallel()
	svg := []byte("\xef\xbb\xbf  \n" + svgOpen + `<rect/></svg>`)
	out, ctype, err := checkLogo(svg)
	if err != nil || ctype != typeSVG || !bytes.HasPrefix(out, []byte("<?xml")) {
		t.Errorf("an SVG with a byte-order mark: %q %q %v", out, ctype, err)
	}
	// A file whose bytes say PNG is a PNG whatever else it holds, and is
	// served as one with nosniff: an HTML polyglot cannot become a page.
	if _, _, err := checkLogo([]byte("\x89PNG\r\n\x1a\n<html><script>alert(1)</script>")); err == nil {
		t.Errorf("a PNG signature followed by HTML was accepted")
	}
}
