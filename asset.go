package gatehouse

import "time"

// Names of the assets a client may have. Each is served from Gatehouse's
// own origin, so a consent page never loads a tenant's image from a host
// the tenant controls.
const (
	AssetLogo     = "logo"      // the logo on light backgrounds
	AssetLogoDark = "logo-dark" // the logo on dark backgrounds
)

// MaxAssetSize bounds an uploaded asset: logos are small, and every byte
// is kept in the database.
const MaxAssetSize = 256 << 10

// ClientAsset is a file uploaded for a client (its light or dark logo),
// kept in the store and served from Gatehouse's origin. Data has been
// checked (a PNG or JPEG by its magic bytes, or an SVG rebuilt from an
// allow-list) before it is stored.
type ClientAsset struct {
	TenantID string
	Client   string // Client.ID of the registration
	Name     string // AssetLogo or AssetLogoDark
	// ContentType is image/png, image/jpeg or image/svg+xml.
	ContentType string
	Data        []byte
	// Digest is the hex SHA-256 of Data: the asset's version in its URL
	// and its ETag, so a new upload never hits an old cached copy.
	Digest    string
	UpdatedAt time.Time
}
