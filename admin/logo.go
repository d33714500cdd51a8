package admin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/gatehouse-id/gatehouse"
)

// Content types of logos.
const (
	typePNG  = "image/png"
	typeJPEG = "image/jpeg"
	typeSVG  = "image/svg+xml"
)

// maxLogoPixels bounds a raster logo's width and height: it is shown at a
// few dozen pixels, and a huge canvas costs every browser that draws it.
const maxLogoPixels = 4096

// checkLogo decides what an uploaded logo is from its bytes, never from a
// declared type: a PNG or JPEG (by its magic bytes, with a header that
// decodes) is kept as it is, and anything else must be an SVG, which is
// rebuilt from an allow-list. It returns the bytes to store and their
// content type. Errors: errTooLarge, EINVALID (an SVG construct that is
// refused, an image that does not decode), errUnsupportedMedia (neither).
func checkLogo(data []byte) ([]byte, string, error) {
	switch {
	case len(data) == 0:
		return nil, "", fieldError("body", "is empty; send the image as the request body")
	case len(data) > gatehouse.MaxAssetSize:
		return nil, "", gatehouse.Errorf(errTooLarge, "the logo must be at most %d KiB", gatehouse.MaxAssetSize>>10)
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return checkRaster(data, typePNG, png.DecodeConfig)
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return checkRaster(data, typeJPEG, jpeg.DecodeConfig)
	}
	if looksLikeXML(data) {
		out, err := sanitizeSVG(data)
		var se *svgError
		if errors.As(err, &se) {
			return nil, "", fieldError("body", se.reason)
		}
		if err != nil {
			return nil, "", err
		}
		if len(out) > gatehouse.MaxAssetSize {
			return nil, "", gatehouse.Errorf(errTooLarge, "the logo must be at most %d KiB", gatehouse.MaxAssetSize>>10)
		}
		return out, typeSVG, nil
	}
	return nil, "", gatehouse.Errorf(errUnsupportedMedia, "the logo must be a PNG, JPEG or SVG image")
}

func checkRaster(data []byte, ctype string, decode func(io.Reader) (image.Config, error)) ([]byte, string, error) {
	cfg, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, "", fieldError("body", "is not a readable "+ctype+" image")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxLogoPixels || cfg.Height > maxLogoPixels {
		return nil, "", fieldError("body", "must be between 1 and 4096 pixels wide and high")
	}
	return data, ctype, nil
}

// looksLikeXML reports whether data starts, after a byte-order mark and
// white space, with markup.
func looksLikeXML(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.TrimLeft(data, " \t\r\n")
	return bytes.HasPrefix(data, []byte("<"))
}

// digest is the hex SHA-256 of data.
func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
