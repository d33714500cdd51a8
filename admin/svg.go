package admin

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// An uploaded SVG is parsed with encoding/xml and written out again from
// what an allow-list admits, so the stored file holds nothing the parser
// did not understand. Anything that could run code or load something
// from elsewhere is refused outright rather than dropped, so the admin
// learns why a logo was not accepted: scripts and the elements that embed
// other documents, event handler attributes, animation (it can rewrite a
// link into a javascript: URL), references outside the document, and
// javascript: or other non-local URLs. Elements and attributes that are
// merely unknown (an editor's metadata, its own namespaces) are dropped.
// The file is served with a Content-Security-Policy that blocks scripts
// and loads as well; the sanitizer does not rely on it.

const (
	nsSVG   = "http://www.w3.org/2000/svg"
	nsXLink = "http://www.w3.org/1999/xlink"
	nsXML   = "http://www.w3.org/XML/1998/namespace"
)

// Bounds of an SVG logo, so a small file cannot make a large tree.
const (
	maxSVGDepth    = 64
	maxSVGElements = 10000
	maxSVGAttrs    = 100
)

// svgRefused are elements whose presence refuses the file, in any
// namespace, compared in lower case.
var svgRefused = map[string]string{
	"script":           "a script",
	"foreignobject":    "a foreignObject (embedded HTML)",
	"iframe":           "an embedded document",
	"object":           "an embedded object",
	"embed":            "an embedded object",
	"handler":          "an event handler",
	"listener":         "an event listener",
	"animate":          "an animation",
	"animatemotion":    "an animation",
	"animatetransform": "an animation",
	"animatecolor":     "an animation",
	"set":              "an animation",
	"feimage":          "an external image in a filter",
}

// svgElements are the SVG elements kept.
var svgElements = setOf(
	"svg", "g", "defs", "title", "desc", "symbol", "use", "switch",
	"path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
	"text", "tspan", "textPath",
	"linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker", "image", "style",
	"filter", "feGaussianBlur", "feOffset", "feBlend", "feFlood", "feComposite", "feMerge", "feMergeNode",
	"feColorMatrix", "feDropShadow",
)

// svgAttributes are the attributes without a namespace that are kept, on
// any kept element. href is checked separately.
var svgAttributes = setOf(
	"id", "class", "style", "transform", "d", "points", "pathLength",
	"x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "fr", "dx", "dy",
	"width", "height", "viewBox", "preserveAspectRatio", "version", "baseProfile",
	"fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
	"stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "stroke-opacity", "opacity",
	"clip-path", "clip-rule", "clipPathUnits", "mask", "maskUnits", "maskContentUnits", "filter",
	"filterUnits", "primitiveUnits", "color", "display", "visibility", "overflow", "isolation", "mix-blend-mode",
	"shape-rendering", "text-rendering", "vector-effect", "paint-order",
	"font-family", "font-size", "font-weight", "font-style", "font-variant", "text-anchor", "dominant-baseline",
	"alignment-baseline", "baseline-shift", "letter-spacing", "word-spacing", "text-decoration",
	"textLength", "lengthAdjust", "rotate", "startOffset", "method", "spacing", "side",
	"offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod",
	"patternUnits", "patternContentUnits", "patternTransform",
	"marker-start", "marker-mid", "marker-end", "markerWidth", "markerHeight", "markerUnits", "refX", "refY", "orient",
	"in", "in2", "result", "stdDeviation", "mode", "operator", "values", "type", "k1", "k2", "k3", "k4",
	"flood-color", "flood-opacity", "lighting-color", "color-interpolation-filters",
	"requiredFeatures", "systemLanguage",
	"role", "aria-label", "aria-hidden", "aria-labelledby", "aria-describedby", "focusable", "media",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// svgError is a refused SVG: why, safe to show to the uploader.
type svgError struct{ reason string }

func (e *svgError) Error() string { return e.reason }

func refuse(format string, args ...any) error { return &svgError{fmt.Sprintf(format, args...)} }

// sanitizeSVG returns an SVG document rebuilt from data with only the
// allowed elements and attributes, or an *svgError saying what was
// refused.
func sanitizeSVG(data []byte) ([]byte, error) {
	if !utf8.Valid(data) {
		return nil, refuse("the SVG is not UTF-8 text")
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true // unknown entities and malformed markup are errors
	var (
		out      bytes.Buffer
		depth    int // open elements written or skipped
		skip     int // depth at which a dropped subtree began; 0 when writing
		elements int
		sawRoot  bool
		usesLink bool
		body     bytes.Buffer
		styleBuf *strings.Builder // text of an open <style>
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, refuse("the SVG is not well-formed XML")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			elements++
			if depth > maxSVGDepth || elements > maxSVGElements {
				return nil, refuse("the SVG is too deeply nested or has too many elements")
			}
			if why, bad := svgRefused[strings.ToLower(t.Name.Local)]; bad {
				return nil, refuse("the SVG has %s (<%s>), which is not allowed", why, t.Name.Local)
			}
			if len(t.Attr) > maxSVGAttrs {
				return nil, refuse("an element of the SVG has too many attributes")
			}
			// Event handlers and javascript: URLs refuse the file wherever
			// they are, kept element or not.
			for _, a := range t.Attr {
				if err := checkSVGAttr(a); err != nil {
					return nil, err
				}
			}
			if depth == 1 {
				if sawRoot {
					return nil, refuse("the SVG has more than one root element")
				}
				if !isSVGName(t.Name) || t.Name.Local != "svg" {
					return nil, refuse("the file is not an SVG image (its root element is <%s>)", t.Name.Local)
				}
				sawRoot = true
			}
			if skip > 0 {
				continue
			}
			if !isSVGName(t.Name) || !svgElements[t.Name.Local] {
				skip = depth
				continue
			}
			attrs, link, err := keptAttrs(t)
			if err != nil {
				return nil, err
			}
			usesLink = usesLink || link
			body.WriteByte('<')
			body.WriteString(t.Name.Local)
			for _, a := range attrs {
				body.WriteByte(' ')
				body.WriteString(a.name)
				body.WriteString(`="`)
				xml.EscapeText(&body, []byte(a.value))
				body.WriteByte('"')
			}
			body.WriteByte('>')
			if t.Name.Local == "style" {
				styleBuf = &strings.Builder{}
			}
		case xml.EndElement:
			if skip > 0 {
				if depth == skip {
					skip = 0
				}
				depth--
				continue
			}
			if styleBuf != nil && t.Name.Local == "style" {
				if err := checkCSS(styleBuf.String()); err != nil {
					return nil, err
				}
				styleBuf = nil
			}
			body.WriteString("</")
			body.WriteString(t.Name.Local)
			body.WriteByte('>')
			depth--
		case xml.CharData:
			if skip > 0 || depth == 0 {
				continue
			}
			if styleBuf != nil {
				styleBuf.Write(t)
			}
			xml.EscapeText(&body, t)
		case xml.Directive:
			return nil, refuse("the SVG has a DOCTYPE or other declaration, which is not allowed")
		case xml.ProcInst:
			if t.Target != "xml" {
				return nil, refuse("the SVG has a processing instruction (<?%s?>), which is not allowed", t.Target)
			}
		case xml.Comment:
			// Dropped.
		}
	}
	if !sawRoot {
		return nil, refuse("the file is not an SVG image")
	}
	// The root is written with the namespaces its kept content needs.
	b := body.Bytes()
	out.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	out.WriteString(`<svg xmlns="` + nsSVG + `"`)
	if usesLink {
		out.WriteString(` xmlns:xlink="` + nsXLink + `"`)
	}
	out.Write(b[len("<svg"):])
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// isSVGName reports whether an element is in the SVG namespace, or in
// none (a file without xmlns, which is written out in the SVG namespace).
func isSVGName(n xml.Name) bool { return n.Space == nsSVG || n.Space == "" }

// checkSVGAttr refuses an attribute that is an event handler or carries a
// script URL, whatever its namespace or element.
func checkSVGAttr(a xml.Attr) error {
	if strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
		return refuse("the SVG has an event handler attribute (%s), which is not allowed", a.Name.Local)
	}
	if v := squash(a.Value); strings.Contains(v, "javascript:") || strings.Contains(v, "vbscript:") {
		return refuse("the SVG has a script URL in the %s attribute, which is not allowed", a.Name.Local)
	}
	return nil
}

// squash lower-cases s and removes what browsers ignore inside a URL
// scheme (whitespace and control characters), so "java\tscript:" is seen
// as what it is.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r > ' ' && r != 0x7f {
			b.WriteRune(r)
		}
	}
	return b.String()
}

type svgAttr struct{ name, value string }

// keptAttrs returns the attributes of an element that are kept, in their
// output form, and whether one is an xlink:href. It refuses references
// to anything outside the document and unsafe styles.
func keptAttrs(t xml.StartElement) ([]svgAttr, bool, error) {
	var out []svgAttr
	link := false
	for _, a := range t.Attr {
		var name string
		switch {
		case a.Name.Local == "href" && (a.Name.Space == "" || a.Name.Space == nsXLink):
			if err := checkHref(t.Name.Local, a.Value); err != nil {
				return nil, false, err
			}
			name = "href"
			if a.Name.Space == nsXLink {
				name, link = "xlink:href", true
			}
		case a.Name.Space == nsXML && (a.Name.Local == "space" || a.Name.Local == "lang"):
			name = "xml:" + a.Name.Local
		case a.Name.Space == "" && svgAttributes[a.Name.Local]:
			name = a.Name.Local
		default:
			continue // xmlns declarations, editors' namespaces, unknown attributes
		}
		if strings.Contains(strings.ToLower(a.Value), "url(") || name == "style" {
			if err := checkCSS(a.Value); err != nil {
				return nil, false, err
			}
		}
		out = append(out, svgAttr{name, a.Value})
	}
	return out, link, nil
}

// checkHref admits references inside the document ("#id") and, for an
// <image>, an embedded PNG or JPEG; anything else is an external
// reference.
func checkHref(element, v string) error {
	s := strings.TrimSpace(v)
	if strings.HasPrefix(s, "#") && len(s) > 1 && !strings.ContainsAny(s, " \t\r\n") {
		return nil
	}
	if element == "image" {
		lower := strings.ToLower(s)
		if strings.HasPrefix(lower, "data:image/png;base64,") || strings.HasPrefix(lower, "data:image/jpeg;base64,") {
			return nil
		}
	}
	return refuse("the SVG refers to something outside the file (%s), which is not allowed", truncateRunes(v, 60))
}

// checkCSS refuses style text that could load something or run code:
// imports, url() with anything but a local "#id", legacy script hooks,
// and escapes that could hide any of these.
func checkCSS(css string) error {
	lower := strings.ToLower(css)
	for _, bad := range []string{"@import", "expression(", "behavior", "-moz-binding", "javascript:", "vbscript:", `\`} {
		if strings.Contains(lower, bad) {
			return refuse("the SVG has a style that is not allowed (%s)", strings.TrimSpace(bad))
		}
	}
	for rest := lower; ; {
		i := strings.Index(rest, "url(")
		if i < 0 {
			return nil
		}
		rest = rest[i+len("url("):]
		arg := strings.TrimLeft(rest, " \t\r\n\f'\"")
		if !strings.HasPrefix(arg, "#") {
			return refuse("the SVG has a style that refers to something outside the file, which is not allowed")
		}
	}
}

// truncateRunes shortens s to at most n runes for a message.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
